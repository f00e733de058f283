/**
 * Alert rule definitions, written once. The Prometheus rule file, Grafana's
 * file provisioning and the plugin's provisioning-API bodies are all
 * rendered from these.
 */
import {
  auditRecordsDropped,
  auditRecordsUnreceivedShare,
  contextLossRate,
  responsesAwaited,
  sessionsOverLimit,
  tokenEfficiency,
  toolCalls,
  toolSuccessRate,
  renderedTokens,
  LABELS,
  type QueryScope,
} from './queries.js';
import {
  DEFAULT_MIN_VOLUME,
  TARGET_CONTEXT_LOSS_RATE,
  TARGET_TOKEN_EFFICIENCY,
  TARGET_TOOL_SUCCESS_RATE,
  TARGET_REQUESTS_PER_SESSION,
} from './targets.js';
import {
  DEFAULT_DEFINITION_TOKEN_BUDGET,
  TARGET_SERVER_TOOL_FAILURE_RATE,
  definitionTokensPerServer,
  serverToolCalls,
  serverToolFailureRate,
} from './server-queries.js';

export type AlertComparator = '<' | '>';

export interface AlertRuleDefinition {
  /** Stable identifier; Grafana rule uids and Prometheus alert names derive from it. */
  readonly id: string;
  /** Prometheus `alert:` name. */
  readonly alert: string;
  readonly title: string;
  /** The measured value, with its minimum-volume guard folded in (no guard, no value). */
  readonly query: (scope: QueryScope) => string;
  readonly comparator: AlertComparator;
  /** Default threshold; editable in the Grafana app. */
  readonly threshold: number;
  readonly for: string;
  readonly severity: 'critical' | 'warning';
  readonly summary: string;
  readonly description: string;
}

/** Window the rules evaluate over. */
export const ALERT_WINDOW = '5m';

/**
 * An alert's summary for a Grafana-managed rule: Prometheus templates read
 * `$value`; a Grafana rule sees its query's value as `$values.A.Value`
 * (A being the instant query). Both the file provisioning and the app use it.
 */
export function grafanaTemplate(text: string): string {
  return text.replace(/\$value\b/g, '$values.A.Value');
}

function guarded(measure: string, volume: string, minimum: number): string {
  // `and on()` keeps the measure only while the window has enough volume.
  return `(${measure}) and on() (${volume} >= ${minimum})`;
}

export const ALERT_RULES: readonly AlertRuleDefinition[] = [
  {
    id: 'token-efficiency-low',
    alert: 'McpTokenEfficiencyLow',
    title: 'MCP token efficiency below target',
    query: (s) => guarded(tokenEfficiency(s), renderedTokens(s), DEFAULT_MIN_VOLUME.tokens),
    comparator: '<',
    threshold: TARGET_TOKEN_EFFICIENCY.threshold,
    for: '5m',
    severity: 'warning',
    summary: 'Token efficiency is {{ $value | humanizePercentage }}, below the target.',
    description: 'Meaningful rendered tokens over all rendered tokens delivered by MCP fell below the target for 5 minutes. Look for unused tool definitions and repeated content.',
  },
  {
    id: 'context-loss-high',
    alert: 'McpContextLossHigh',
    title: 'MCP context loss rate above target',
    // The guard counts the rate's own denominator: requests less those the caller cancelled.
    query: (s) => guarded(contextLossRate(s), responsesAwaited(s), DEFAULT_MIN_VOLUME.responses),
    comparator: '>',
    threshold: TARGET_CONTEXT_LOSS_RATE.threshold,
    for: '5m',
    severity: 'critical',
    summary: 'Context loss rate is {{ $value | humanizePercentage }}, above the target.',
    description: 'Responses are lost (timeouts, closed transports, late, invalid, unparseable or truncated) above the target rate for 5 minutes.',
  },
  {
    id: 'tool-success-low',
    alert: 'McpToolSuccessLow',
    title: 'MCP tool call success rate below target',
    query: (s) => guarded(toolSuccessRate(s), toolCalls(s), DEFAULT_MIN_VOLUME.toolCalls),
    comparator: '<',
    threshold: TARGET_TOOL_SUCCESS_RATE.threshold,
    for: '5m',
    severity: 'critical',
    summary: 'Tool call success rate is {{ $value | humanizePercentage }}, below the target.',
    description: 'Tool calls fail (tool errors, protocol errors, timeouts, transport errors, invalid results) above the allowed rate for 5 minutes.',
  },
  {
    id: 'session-over-limit',
    alert: 'McpSessionOverRequestLimit',
    title: `MCP session crossed ${TARGET_REQUESTS_PER_SESSION.max} requests`,
    query: (s) => sessionsOverLimit(s),
    comparator: '>',
    threshold: 0,
    for: '0m',
    severity: 'warning',
    summary: '{{ $value }} session(s) crossed the request limit.',
    description: `A session made more than ${TARGET_REQUESTS_PER_SESSION.max} requests: an agent loop or a runaway client. The audit Sessions page lists them.`,
  },
  {
    id: 'audit-dropped',
    alert: 'McpAuditRecordsDropped',
    title: 'MCP audit records dropped',
    query: (s) => auditRecordsDropped(s),
    comparator: '>',
    threshold: 0,
    for: '0m',
    severity: 'critical',
    summary: '{{ $value }} audit record(s) were dropped before export.',
    description: 'The SDK dropped audit records (queue full, export failure or shutdown). The audit trail has gaps.',
  },
  {
    id: 'audit-unreceived',
    alert: 'McpAuditRecordsNotReceived',
    title: 'MCP audit records emitted but not received',
    // A share well above the extrapolation noise of two increase()s.
    query: (s) => auditRecordsUnreceivedShare(s, DEFAULT_MIN_VOLUME.auditRecords),
    comparator: '>',
    threshold: 0.05,
    for: '5m',
    severity: 'critical',
    summary: '{{ $value | humanizePercentage }} of audit records emitted were not received by the gateway.',
    description: 'The gateway Collector counted fewer audit records than the SDKs emitted, by more than 5% of them, for 5 minutes: records are being lost in the pipeline.',
  },
  {
    id: 'server-tool-failure-high',
    alert: 'McpServerToolFailureHigh',
    title: 'MCP server tool failure rate above target',
    // Server errors only: a caller's mistake (invalid params, unknown tool) is not the server failing.
    query: (s) => guarded(serverToolFailureRate(s), serverToolCalls(s), DEFAULT_MIN_VOLUME.toolCalls),
    comparator: '>',
    threshold: TARGET_SERVER_TOOL_FAILURE_RATE.threshold,
    for: '5m',
    severity: 'critical',
    summary: 'Server tool failure rate is {{ $value | humanizePercentage }}, above the target.',
    description:
      'MCP servers failed tool calls by their own fault (thrown errors, isError results, internal errors; caller mistakes excluded) above the allowed rate for 5 minutes. The Servers page shows which server and tool.',
  },
  {
    id: 'definition-tokens-over-budget',
    alert: 'McpServerDefinitionsOverBudget',
    title: 'MCP server definitions over the token budget',
    // One series per server: the alert names the server over budget.
    query: (s) => definitionTokensPerServer(s),
    comparator: '>',
    threshold: DEFAULT_DEFINITION_TOKEN_BUDGET,
    for: '5m',
    severity: 'warning',
    summary: `Server {{ $labels.${LABELS.server} }} definitions cost {{ $value }} tokens, over the budget.`,
    description:
      'What a host pays to list this server (its tools, prompts, resources and templates, rendered) is over the definition token budget. Every host that lists the server carries it in context before any call: trim descriptions and schemas, or split the server.',
  },
];

/** The full Prometheus expression of a rule at a threshold. */
export function alertExpr(rule: AlertRuleDefinition, scope: QueryScope = { window: ALERT_WINDOW }, threshold = rule.threshold): string {
  // Parenthesised: `and` binds looser than comparisons.
  return `(${rule.query(scope)}) ${rule.comparator} ${threshold}`;
}
