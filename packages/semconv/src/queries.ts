/**
 * Every PromQL expression of the product, written once. Alert rules,
 * dashboards, plugin pages and reports import these builders.
 *
 * How each query holds on every export path:
 * - metric names: selectors match both the unit-suffixed (Collector, remote
 *   write, Prometheus 3 OTLP) and unsuffixed (in-process JS exporter) forms;
 * - service: filtered on `job`. The Collector's exporters set `job` from
 *   `service.namespace/service.name`; in-process, name the scrape job after
 *   the service (the JS exporter puts service.name only on `target_info`);
 * - histogram `le`: matched as `100` or `100.0` (Prometheus 3 normalises).
 */
import {
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_SERVER_NAME,
  ATTR_TOKEN_DISPOSITION,
  ATTR_CONTEXT_SOURCE,
  ATTR_DROP_REASON,
} from './attributes.js';
import {
  METRIC_AUDIT_DROPPED,
  METRIC_AUDIT_RECEIVED,
  METRIC_AUDIT_RECORDS,
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_CLIENT_SESSION_DURATION,
  METRIC_CONTEXT_TOKENS,
  METRIC_LOST_TOKENS,
  METRIC_ESTIMATED_TOKENS,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_SESSION_REQUESTS,
  METRIC_SESSIONS_OVER_LIMIT,
  METRIC_SESSIONLESS_REQUESTS,
  METRIC_TOOL_CALLS,
  METRIC_WIRE_OVERHEAD,
  METRIC_CONTEXT_BINARY_SIZE,
  type MetricDefinition,
} from './metrics.js';
import { ATTR_DEFINITION_KIND, ATTR_DEFINITION_NAME, ATTR_ERROR_ORIGIN } from './server-metrics.js';
import { leMatcher, promLabel, selector, type SeriesPart } from './prometheus.js';
import { TARGET_REQUESTS_PER_SESSION } from './targets.js';

/** Prometheus label names of the attributes queries filter and group on. */
export const LABELS = {
  service: 'job',
  server: promLabel(ATTR_SERVER_NAME),
  tool: promLabel(ATTR_GEN_AI_TOOL_NAME),
  method: promLabel(ATTR_MCP_METHOD_NAME),
  observer: promLabel(ATTR_OBSERVER),
  outcome: promLabel(ATTR_OUTCOME),
  cause: promLabel(ATTR_LOSS_CAUSE),
  disposition: promLabel(ATTR_TOKEN_DISPOSITION),
  source: promLabel(ATTR_CONTEXT_SOURCE),
  dropReason: promLabel(ATTR_DROP_REASON),
  origin: promLabel(ATTR_ERROR_ORIGIN),
  definitionKind: promLabel(ATTR_DEFINITION_KIND),
  definitionName: promLabel(ATTR_DEFINITION_NAME),
} as const;

export type GroupLabel = keyof typeof LABELS;

/**
 * Where a query looks. Filters are regular expressions (Grafana's
 * multi-value variables expand to one); each is applied only to metrics that
 * carry its label.
 */
export interface QueryScope {
  /** Regex on `job`, the service. */
  readonly service?: string;
  /** Regex on the MCP server name. */
  readonly server?: string;
  /** Regex on the tool name. */
  readonly tool?: string;
  /** Regex on the observer (`sdk` or `proxy`). */
  readonly observer?: string;
  /**
   * Range of `rate()`/`increase()`, e.g. `5m` or `$__rate_interval`.
   * `lifetime` reads raw counter values: exact totals since process start,
   * which is what tests compare with ground truth.
   */
  readonly window?: string;
}

export const DEFAULT_WINDOW = '5m';
export const LIFETIME = 'lifetime';

/**
 * A filter regex as the content of a PromQL double-quoted string: its
 * backslashes doubled and its quotes escaped, so `acme\.tools` matches a
 * dot and a quote cannot end the string (and inject matchers).
 */
export function promQuoted(regex: string): string {
  return `"${regex.replace(/[\\"]/g, '\\$&')}"`;
}

function scopeMatchers(def: MetricDefinition, scope: QueryScope): string[] {
  const matchers: string[] = [];
  if (scope.service !== undefined) matchers.push(`${LABELS.service}=~${promQuoted(scope.service)}`);
  const filters: [string | undefined, string][] = [
    [scope.server, ATTR_SERVER_NAME],
    [scope.tool, ATTR_GEN_AI_TOOL_NAME],
    [scope.observer, ATTR_OBSERVER],
  ];
  for (const [value, attr] of filters) {
    if (value !== undefined && def.attributes.includes(attr)) matchers.push(`${promLabel(attr)}=~${promQuoted(value)}`);
  }
  return matchers;
}

// The building blocks below are exported for the server-side queries
// (server-queries.ts), which scope, window and group the same way.

/** A scoped series selector of a metric, on every export path's name. */
export function series(def: MetricDefinition, scope: QueryScope, extra: readonly string[] = [], part: SeriesPart = ''): string {
  return selector(def, [...scopeMatchers(def, scope), ...extra], part);
}

export function windowOf(scope: QueryScope): string {
  return scope.window ?? DEFAULT_WINDOW;
}

/** `rate(sel[w])`, or the raw series for lifetime totals. */
export function rate(sel: string, scope: QueryScope): string {
  return windowOf(scope) === LIFETIME ? sel : `rate(${sel}[${windowOf(scope)}])`;
}

/** `increase(sel[w])`, or the raw series for lifetime totals. */
export function increase(sel: string, scope: QueryScope): string {
  return windowOf(scope) === LIFETIME ? sel : `increase(${sel}[${windowOf(scope)}])`;
}

export function by(groups: readonly GroupLabel[]): string {
  return groups.length ? ` by (${groups.map((g) => LABELS[g]).join(', ')})` : '';
}

export function sumRate(def: MetricDefinition, scope: QueryScope, extra: readonly string[] = [], groups: readonly GroupLabel[] = []): string {
  return `sum${by(groups)} (${rate(series(def, scope, extra), scope)})`;
}

export function sumIncrease(def: MetricDefinition, scope: QueryScope, extra: readonly string[] = [], groups: readonly GroupLabel[] = []): string {
  return `sum${by(groups)} (${increase(series(def, scope, extra), scope)})`;
}

const MEANINGFUL = `${LABELS.disposition}="meaningful"`;
const SUCCESS = `${LABELS.outcome}="success"`;
const NOT_CANCELLED = `${LABELS.outcome}!="cancelled"`;
const FAILED = `${LABELS.outcome}!~"success|cancelled"`;
const TOOLS_CALL = `${LABELS.method}="tools/call"`;

// --- The four measures ------------------------------------------------------

/** Token efficiency: meaningful / (meaningful + redundant + unused). */
export function tokenEfficiency(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return `${sumRate(METRIC_CONTEXT_TOKENS, scope, [MEANINGFUL], groups)} / ${sumRate(METRIC_CONTEXT_TOKENS, scope, [], groups)}`;
}

/** Responses expected less cancelled: the loss denominator. */
export function expectedResponses(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  const expected = sumRate(METRIC_RESPONSES_EXPECTED, scope, [], groups);
  const cancelled = sumRate(METRIC_RESPONSES_CANCELLED, scope, [], groups);
  // Cancelled series are created at zero with expected ones, but a fresh
  // target may not be scraped yet: fall back to zero per group.
  return `(${expected} - (${cancelled} or ${expected} * 0))`;
}

/** Context loss rate: lost responses / (expected - cancelled). */
export function contextLossRate(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  const lost = sumRate(METRIC_RESPONSES_LOST, scope, [], groups);
  // No loss series yet means no loss: count zero for each group that expects responses.
  return `(${lost} or ${expectedResponses(scope, groups)} * 0) / ${expectedResponses(scope, groups)}`;
}

/** Tool call success rate: success / (tool calls - cancelled). */
export function toolSuccessRate(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return `${sumRate(METRIC_TOOL_CALLS, scope, [SUCCESS], groups)} / ${sumRate(METRIC_TOOL_CALLS, scope, [NOT_CANCELLED], groups)}`;
}

/** Share of ended sessions whose request count is within the target band [30, 100]. */
export function sessionsWithinBand(scope: QueryScope = {}): string {
  const bucket = (le: number) => `sum (${rate(series(METRIC_SESSION_REQUESTS, scope, [leMatcher(le)], '_bucket'), scope)})`;
  const count = `sum (${rate(series(METRIC_SESSION_REQUESTS, scope, [], '_count'), scope)})`;
  return `(${bucket(TARGET_REQUESTS_PER_SESSION.max)} - ${bucket(TARGET_REQUESTS_PER_SESSION.min - 1)}) / ${count}`;
}

/** Sessions that crossed the request limit, live, in the window. */
export function sessionsOverLimit(scope: QueryScope = {}): string {
  return sumIncrease(METRIC_SESSIONS_OVER_LIMIT, scope);
}

/**
 * Logical calls in no observable session (stateless HTTP through the proxy)
 * in the window: requests per session is not observable for them. No series
 * yet means none.
 */
export function sessionlessRequests(scope: QueryScope = {}): string {
  return `${sumIncrease(METRIC_SESSIONLESS_REQUESTS, scope)} or vector(0)`;
}

/** Sessions that ended in the window. */
export function sessionsEnded(scope: QueryScope = {}): string {
  return `sum (${increase(series(METRIC_SESSION_REQUESTS, scope, [], '_count'), scope)})`;
}

/** Mean requests per ended session. */
export function meanRequestsPerSession(scope: QueryScope = {}): string {
  const sum = `sum (${rate(series(METRIC_SESSION_REQUESTS, scope, [], '_sum'), scope)})`;
  const count = `sum (${rate(series(METRIC_SESSION_REQUESTS, scope, [], '_count'), scope)})`;
  return `${sum} / ${count}`;
}

/** Distribution of requests per session, as cumulative bucket counts. */
export function requestsPerSessionBuckets(scope: QueryScope = {}): string {
  return `sum by (le) (${increase(series(METRIC_SESSION_REQUESTS, scope, [], '_bucket'), scope)})`;
}

// --- Volumes (the guards of ratio alerts, and panel context) ---------------

export function toolCalls(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_TOOL_CALLS, scope, [NOT_CANCELLED], groups);
}

export function toolCallsByOutcome(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_TOOL_CALLS, scope, [], ['outcome', ...groups]);
}

export function responsesExpected(scope: QueryScope = {}): string {
  return sumIncrease(METRIC_RESPONSES_EXPECTED, scope);
}

/**
 * Expected responses in the definition's sense, the context loss rate's
 * denominator as a count: decided requests less those the caller cancelled.
 */
export function responsesAwaited(scope: QueryScope = {}): string {
  const expected = sumIncrease(METRIC_RESPONSES_EXPECTED, scope);
  return `(${expected} - (${sumIncrease(METRIC_RESPONSES_CANCELLED, scope)} or ${expected} * 0))`;
}

export function responsesLostByCause(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_RESPONSES_LOST, scope, [], ['cause', ...groups]);
}

export function lostTokens(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_LOST_TOKENS, scope, [], groups);
}

export function renderedTokens(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_CONTEXT_TOKENS, scope, [], groups);
}

/**
 * Share of rendered tokens (delivered or lost) whose count was estimated
 * from bytes under overload rather than counted exactly. Zero when no
 * estimate was made; efficiency and loss over a window with a large share
 * are approximate to that extent.
 */
export function estimatedShare(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  const all = sumRate(METRIC_CONTEXT_TOKENS, scope, [], groups);
  const lost = sumRate(METRIC_LOST_TOKENS, scope, [], groups);
  const estimated = sumRate(METRIC_ESTIMATED_TOKENS, scope, [], groups);
  // No estimate (or loss) series yet means none: zero for each group that has tokens.
  return `(${estimated} or ${all} * 0) / (${all} + (${lost} or ${all} * 0))`;
}

export function tokensByDisposition(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_CONTEXT_TOKENS, scope, [], ['disposition', ...groups]);
}

/** Largest sources of waste: redundant and unused tokens by source, tool and server. */
export function wastedTokens(scope: QueryScope = {}, groups: readonly GroupLabel[] = ['disposition', 'source', 'server', 'tool'], limit = 10): string {
  return `topk(${limit}, ${sumIncrease(METRIC_CONTEXT_TOKENS, scope, [`${LABELS.disposition}=~"redundant|unused"`], groups)})`;
}

export function wireOverheadBytes(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_WIRE_OVERHEAD, scope, [], groups);
}

export function binaryBytes(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_CONTEXT_BINARY_SIZE, scope, [], groups);
}

/** Top failing tools by failed calls (every outcome but success and cancelled). */
export function topFailingTools(scope: QueryScope = {}, limit = 10): string {
  return `topk(${limit}, ${sumIncrease(METRIC_TOOL_CALLS, scope, [FAILED], ['tool'])} > 0)`;
}

// --- Latency ------------------------------------------------------------------

/** A quantile of client operation duration, in seconds. */
export function operationLatency(quantile: number, scope: QueryScope = {}, groups: readonly GroupLabel[] = [], methods?: string): string {
  const extra = methods ? [`${LABELS.method}=~"${methods}"`] : [];
  const inner = rate(series(METRIC_CLIENT_OPERATION_DURATION, scope, extra, '_bucket'), scope);
  return `histogram_quantile(${quantile}, sum by (${['le', ...groups.map((g) => LABELS[g])].join(', ')}) (${inner}))`;
}

/** A quantile of tools/call latency per tool. */
export function toolLatency(quantile: number, scope: QueryScope = {}): string {
  const inner = rate(series(METRIC_CLIENT_OPERATION_DURATION, scope, [TOOLS_CALL], '_bucket'), scope);
  return `histogram_quantile(${quantile}, sum by (le, ${LABELS.tool}) (${inner}))`;
}

/** A quantile of session duration, in seconds. */
export function sessionDuration(quantile: number, scope: QueryScope = {}): string {
  const inner = rate(series(METRIC_CLIENT_SESSION_DURATION, scope, [], '_bucket'), scope);
  return `histogram_quantile(${quantile}, sum by (le) (${inner}))`;
}

/** Operations per second by method. */
export function operationRate(scope: QueryScope = {}, groups: readonly GroupLabel[] = ['method']): string {
  return `sum${by(groups)} (${rate(series(METRIC_CLIENT_OPERATION_DURATION, scope, [], '_count'), scope)})`;
}

// --- The audit pipeline's health ---------------------------------------------

export function auditRecordsEmitted(scope: QueryScope = {}): string {
  return sumIncrease(METRIC_AUDIT_RECORDS, scope);
}

export function auditRecordsDropped(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_AUDIT_DROPPED, scope, [], groups);
}

export function auditRecordsReceived(scope: QueryScope = {}): string {
  return sumIncrease(METRIC_AUDIT_RECEIVED, scope);
}

/**
 * Records the SDK emitted that the gateway did not receive. Both counters
 * are read over the same window; the pipeline's batching delay makes this
 * briefly positive, which is why its alert waits (`for`).
 */
export function auditRecordsUnreceived(scope: QueryScope = {}): string {
  const pipeline = pipelineScope(scope);
  return `(${auditRecordsEmitted(pipeline)}) - (${auditRecordsReceived(pipeline)} or vector(0))`;
}

/**
 * The gateway counts what it receives per service only: an emitted count
 * filtered by server or observer would be compared with every server's
 * received records. The pipeline's health is read per service.
 */
function pipelineScope(scope: QueryScope): QueryScope {
  return { ...(scope.service !== undefined ? { service: scope.service } : {}), ...(scope.window !== undefined ? { window: scope.window } : {}) };
}

/**
 * The share of emitted records the gateway did not receive, over at least
 * `floor` records. `increase()` extrapolates each counter from its own
 * sample times, so the difference of two increases is off by a few records
 * either way while traffic flows; dividing by no less than `floor` keeps
 * that noise far below the alert threshold, and a quiet window reads 0
 * (present, on the safe side) rather than nothing.
 */
export function auditRecordsUnreceivedShare(scope: QueryScope = {}, floor = 200): string {
  return `(${auditRecordsUnreceived(scope)}) / clamp_min(${auditRecordsEmitted(pipelineScope(scope))}, ${floor})`;
}

/**
 * A count over a window for display: `increase()` extrapolates to the
 * window's edges, so it is approximate and seldom whole. Rounded, so that
 * no panel shows "2.1 sessions"; exact counts come from raw samples
 * (`countedSeries`, the report).
 */
export function roundedCount(expr: string): string {
  return `round(${expr})`;
}

// --- Raw series for exact counts -------------------------------------------------

/**
 * The counter series whose raw samples give exact counts. PromQL on
 * Prometheus 2.x cannot count exactly: `increase()` extrapolates to the
 * window's edges (fractional counts) and starts a series at its first sample,
 * and differences of `@` values break on resets and new series. The report
 * reads `selector[range]` (`rawSamples`) and adds each series' increments
 * itself, resets included. Plain selectors, scoped like every other query,
 * on every export path's name.
 */
export const countedSeries = {
  contextTokens: (scope: QueryScope = {}): string => series(METRIC_CONTEXT_TOKENS, scope),
  responsesExpected: (scope: QueryScope = {}): string => series(METRIC_RESPONSES_EXPECTED, scope),
  lostTokens: (scope: QueryScope = {}): string => series(METRIC_LOST_TOKENS, scope),
  /** Rendered tokens estimated from bytes under overload: the report's estimated share. */
  estimatedTokens: (scope: QueryScope = {}): string => series(METRIC_ESTIMATED_TOKENS, scope),
  responsesCancelled: (scope: QueryScope = {}): string => series(METRIC_RESPONSES_CANCELLED, scope),
  responsesLost: (scope: QueryScope = {}): string => series(METRIC_RESPONSES_LOST, scope),
  toolCalls: (scope: QueryScope = {}): string => series(METRIC_TOOL_CALLS, scope),
  sessionsOverLimit: (scope: QueryScope = {}): string => series(METRIC_SESSIONS_OVER_LIMIT, scope),
  sessionsEnded: (scope: QueryScope = {}): string => series(METRIC_SESSION_REQUESTS, scope, [], '_count'),
  /** Logical calls in no observable session: what the requests-per-session measure cannot cover. */
  sessionlessRequests: (scope: QueryScope = {}): string => series(METRIC_SESSIONLESS_REQUESTS, scope),
  sessionRequests: (scope: QueryScope = {}): string => series(METRIC_SESSION_REQUESTS, scope, [], '_sum'),
  /** Ended sessions with at most `le` requests (a bucket boundary). */
  sessionsUpTo: (le: number, scope: QueryScope = {}): string => series(METRIC_SESSION_REQUESTS, scope, [leMatcher(le)], '_bucket'),
  auditRecordsEmitted: (scope: QueryScope = {}): string => series(METRIC_AUDIT_RECORDS, scope),
  /** Emitted records per service only: what the gateway's received count is compared with. */
  auditRecordsEmittedPerService: (scope: QueryScope = {}): string => series(METRIC_AUDIT_RECORDS, pipelineScope(scope)),
  auditRecordsDropped: (scope: QueryScope = {}): string => series(METRIC_AUDIT_DROPPED, scope),
  auditRecordsReceived: (scope: QueryScope = {}): string => series(METRIC_AUDIT_RECEIVED, pipelineScope(scope)),
} as const;

/** Every raw sample of `selector` in the `seconds` before the query's evaluation time. */
export function rawSamples(selector: string, seconds: number): string {
  return `${selector}[${Math.max(1, Math.ceil(seconds))}s]`;
}

// --- The catalogue ------------------------------------------------------------

export type QueryUnit = 'percentunit' | 'short' | 's' | 'bytes';

export interface QueryDefinition {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly unit: QueryUnit;
  readonly expr: (scope: QueryScope) => string;
}

/** The named queries that dashboards, pages and reports show. */
export const QUERY_CATALOGUE: readonly QueryDefinition[] = [
  { id: 'tokenEfficiency', title: 'Token efficiency', unit: 'percentunit', description: 'Meaningful over all rendered tokens.', expr: (s) => tokenEfficiency(s) },
  { id: 'contextLossRate', title: 'Context loss rate', unit: 'percentunit', description: 'Lost over expected responses, cancellations excluded.', expr: (s) => contextLossRate(s) },
  { id: 'toolSuccessRate', title: 'Tool call success rate', unit: 'percentunit', description: 'Successful over non-cancelled tool calls.', expr: (s) => toolSuccessRate(s) },
  { id: 'sessionsWithinBand', title: 'Sessions within 30-100 requests', unit: 'percentunit', description: 'Share of ended sessions with 30 to 100 requests.', expr: (s) => sessionsWithinBand(s) },
  { id: 'sessionsOverLimit', title: 'Sessions over 100 requests', unit: 'short', description: 'Sessions that crossed 100 requests.', expr: (s) => sessionsOverLimit(s) },
  { id: 'sessionsEnded', title: 'Sessions ended', unit: 'short', description: 'Sessions that ended.', expr: (s) => sessionsEnded(s) },
  { id: 'sessionlessRequests', title: 'Requests in no session', unit: 'short', description: 'Logical calls over stateless HTTP (through the proxy): requests per session is not observable for them.', expr: (s) => sessionlessRequests(s) },
  { id: 'meanRequestsPerSession', title: 'Mean requests per session', unit: 'short', description: 'Mean client requests per ended session.', expr: (s) => meanRequestsPerSession(s) },
  { id: 'toolCalls', title: 'Tool calls', unit: 'short', description: 'Tool calls, cancellations excluded.', expr: (s) => toolCalls(s) },
  { id: 'responsesExpected', title: 'Responses expected', unit: 'short', description: 'Requests that expect a response.', expr: (s) => responsesExpected(s) },
  { id: 'lostTokens', title: 'Lost tokens', unit: 'short', description: 'Tokens of lost responses whose content was seen.', expr: (s) => lostTokens(s) },
  { id: 'estimatedShare', title: 'Estimated token share', unit: 'percentunit', description: 'Rendered tokens estimated from bytes under overload, over all rendered tokens.', expr: (s) => estimatedShare(s) },
  { id: 'renderedTokens', title: 'Rendered tokens', unit: 'short', description: 'All rendered tokens delivered.', expr: (s) => renderedTokens(s) },
  { id: 'wireOverheadBytes', title: 'Wire overhead', unit: 'bytes', description: 'JSON-RPC envelope bytes beyond the rendering.', expr: (s) => wireOverheadBytes(s) },
  { id: 'auditRecordsEmitted', title: 'Audit records emitted', unit: 'short', description: 'Records handed to the Logs SDK.', expr: (s) => auditRecordsEmitted(s) },
  { id: 'auditRecordsDropped', title: 'Audit records dropped', unit: 'short', description: 'Records dropped before export.', expr: (s) => auditRecordsDropped(s) },
  { id: 'auditRecordsReceived', title: 'Audit records received', unit: 'short', description: 'Records counted at the gateway.', expr: (s) => auditRecordsReceived(s) },
  { id: 'auditRecordsUnreceived', title: 'Audit records not received', unit: 'short', description: 'Emitted but not received at the gateway.', expr: (s) => auditRecordsUnreceived(s) },
];
