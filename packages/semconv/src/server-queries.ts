/**
 * The server side's PromQL, written once: what the Servers page, its
 * dashboard and the two server alert rules show. Scoped, windowed and
 * grouped as queries.ts does, on every export path's names.
 *
 * Server-side figures are per registered tool (the instrumentation folds any
 * other name a client asks for into `_OTHER`), so grouping by tool is bounded.
 */
import { ATTR_GEN_AI_TOOL_NAME, OUTCOME_VALUES } from './attributes.js';
import { promLabel } from './prometheus.js';
import {
  LABELS,
  LIFETIME,
  by,
  promQuoted,
  rate,
  series,
  sumIncrease,
  sumRate,
  windowOf,
  type GroupLabel,
  type QueryDefinition,
  type QueryScope,
} from './queries.js';
import {
  DEFINITION_KIND_VALUES,
  ERROR_ORIGIN_VALUES,
  METRIC_SERVER_DEFINITION_TOKENS,
  METRIC_SERVER_LISTINGS,
  METRIC_SERVER_OPERATION_DURATION,
  METRIC_SERVER_RESULT_TOKENS,
  METRIC_SERVER_TOOL_CALLS,
} from './server-metrics.js';
import { TARGET_TOOL_SUCCESS_RATE } from './targets.js';

// --- Targets ---------------------------------------------------------------------

/**
 * The server's own tool failures (caller mistakes excluded) over its tool
 * calls, less cancelled: the mirror of the client's tool success target
 * (> 98% success, so < 2% server failures).
 */
export const TARGET_SERVER_TOOL_FAILURE_RATE = {
  id: 'serverToolFailureRate',
  title: 'Server tool failure rate',
  comparator: 'lt',
  // Rounded: 1 - 0.98 is 0.020000000000000018 in binary floating point.
  threshold: Math.round((1 - TARGET_TOOL_SUCCESS_RATE.threshold) * 1e9) / 1e9,
  description: 'Tool calls that failed by the server’s own fault (caller mistakes excluded) over tool calls, less cancellations.',
} as const;

/**
 * Default budget of a server's definitions: the tokens every host that lists
 * the server pays before any call, summed over its tools, prompts, resources
 * and templates. Hosts report tens of thousands of tokens of MCP definitions
 * per request; 5,000 per server keeps ten servers within 50,000. Editable
 * per installation (the alert's threshold).
 */
export const DEFAULT_DEFINITION_TOKEN_BUDGET = 5000;

// --- Label matchers -----------------------------------------------------------

const TOOLS_CALL = `${LABELS.method}="tools/call"`;
const TOOLS_LIST = `${LABELS.method}="tools/list"`;
const NOT_CANCELLED = `${LABELS.outcome}!="${OUTCOME_VALUES.cancelled}"`;
const SERVER_ORIGIN = `${LABELS.origin}="${ERROR_ORIGIN_VALUES.server}"`;
const ANY_ORIGIN = `${LABELS.origin}=~"${ERROR_ORIGIN_VALUES.caller}|${ERROR_ORIGIN_VALUES.server}"`;
const TOOL_DEFINITIONS = `${LABELS.definitionKind}="${DEFINITION_KIND_VALUES.tool}"`;

// --- Latency -------------------------------------------------------------------

/** A quantile of server operation duration (every method), in seconds, per server by default. */
export function serverOperationLatency(quantile: number, scope: QueryScope = {}, groups: readonly GroupLabel[] = ['server']): string {
  const inner = rate(series(METRIC_SERVER_OPERATION_DURATION, scope, [], '_bucket'), scope);
  return `histogram_quantile(${quantile}, sum by (${['le', ...groups.map((g) => LABELS[g])].join(', ')}) (${inner}))`;
}

/** A quantile of tools/call duration on the server, per tool. */
export function serverToolLatency(quantile: number, scope: QueryScope = {}): string {
  const inner = rate(series(METRIC_SERVER_OPERATION_DURATION, scope, [TOOLS_CALL], '_bucket'), scope);
  return `histogram_quantile(${quantile}, sum by (le, ${LABELS.tool}) (${inner}))`;
}

/** Operations the server answered per second, by method. */
export function serverOperationRate(scope: QueryScope = {}, groups: readonly GroupLabel[] = ['method']): string {
  return `sum${by(groups)} (${rate(series(METRIC_SERVER_OPERATION_DURATION, scope, [], '_count'), scope)})`;
}

// --- Calls and outcomes --------------------------------------------------------------

/** Tool calls the server answered, cancellations excluded: the failure rate's denominator as a count. */
export function serverToolCalls(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_SERVER_TOOL_CALLS, scope, [NOT_CANCELLED], groups);
}

/** Tool calls by outcome and by whose mistake a failure was (`origin` is empty on a success). */
export function serverToolCallsByOutcome(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_SERVER_TOOL_CALLS, scope, [], ['outcome', 'origin', ...groups]);
}

/** Failed tool calls by origin: the caller's mistakes apart from the server's own failures. */
export function serverToolErrors(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  return sumIncrease(METRIC_SERVER_TOOL_CALLS, scope, [ANY_ORIGIN], ['origin', ...groups]);
}

/**
 * Server tool failure rate: the server's own failures over tool calls less
 * cancelled. Caller mistakes (invalid params, unknown tool, ...) are not the
 * server's failures and count only in the denominator. No failure series
 * yet reads as 0 for each group that has calls.
 */
export function serverToolFailureRate(scope: QueryScope = {}, groups: readonly GroupLabel[] = []): string {
  const failed = sumRate(METRIC_SERVER_TOOL_CALLS, scope, [SERVER_ORIGIN], groups);
  const calls = sumRate(METRIC_SERVER_TOOL_CALLS, scope, [NOT_CANCELLED], groups);
  return `(${failed} or ${calls} * 0) / ${calls}`;
}

/** Rendered tokens of the results the server sent, per tool by default. */
export function serverResultTokens(scope: QueryScope = {}, groups: readonly GroupLabel[] = ['tool']): string {
  return sumIncrease(METRIC_SERVER_RESULT_TOKENS, scope, [], groups);
}

/** List requests answered (each page counted), by method by default. */
export function serverListings(scope: QueryScope = {}, groups: readonly GroupLabel[] = ['method']): string {
  return sumIncrease(METRIC_SERVER_LISTINGS, scope, [], groups);
}

// --- Definition cost ------------------------------------------------------------------

/**
 * The definition gauge's latest value in the window. Replicas of one server
 * report the same definitions, so they are taken once (max), not summed.
 * The tool filter applies to tool definitions' names.
 */
function definitionGauge(scope: QueryScope, extra: readonly string[] = []): string {
  const matchers = scope.tool !== undefined ? [...extra, `${LABELS.definitionName}=~${promQuoted(scope.tool)}`] : extra;
  const sel = series(METRIC_SERVER_DEFINITION_TOKENS, scope, matchers);
  return windowOf(scope) === LIFETIME ? sel : `last_over_time(${sel}[${windowOf(scope)}])`;
}

/** Tokens of each current definition, by server, kind and name. */
export function definitionTokens(scope: QueryScope = {}): string {
  return `max${by(['server', 'definitionKind', 'definitionName'])} (${definitionGauge(scope)})`;
}

/**
 * Tokens a host pays to list a server's definitions (all kinds), per server:
 * the measure of the definition budget alert.
 */
export function definitionTokensPerServer(scope: QueryScope = {}): string {
  return `sum${by(['server'])} (${definitionTokens(scope)})`;
}

/** Tokens of each tool's definition with the tool's name in the tool label, so it joins tool calls. */
function toolDefinitionTokens(scope: QueryScope): string {
  const renamed = `label_replace(${definitionGauge(scope, [TOOL_DEFINITIONS])}, "${promLabel(ATTR_GEN_AI_TOOL_NAME)}", "$1", "${LABELS.definitionName}", "(.*)")`;
  return `max${by(['server', 'tool'])} (${renamed})`;
}

/**
 * Definition tokens served per tool: each tool's definition tokens times the
 * `tools/list` answers its server sent in the window. An undercount of what
 * hosts carried: clients cache listings, and one listing may feed many
 * requests of a host's model.
 */
export function definitionTokensServed(scope: QueryScope = {}): string {
  const listings = sumIncrease(METRIC_SERVER_LISTINGS, scope, [TOOLS_LIST], ['server']);
  return `${toolDefinitionTokens(scope)} * on (${LABELS.server}) group_left ${listings}`;
}

/**
 * Tools listed but never called in the window, with the definition tokens
 * their listings served: the context they cost for nothing.
 */
export function neverCalledTools(scope: QueryScope = {}): string {
  const called = `${sumIncrease(METRIC_SERVER_TOOL_CALLS, scope, [], ['server', 'tool'])} > 0`;
  return `(${definitionTokensServed(scope)} > 0) unless on (${LABELS.server}, ${LABELS.tool}) (${called})`;
}

// --- Raw series for exact counts ----------------------------------------------------------

/** The server counters whose raw samples give exact counts (see `countedSeries` in queries.ts). */
export const countedServerSeries = {
  toolCalls: (scope: QueryScope = {}): string => series(METRIC_SERVER_TOOL_CALLS, scope),
  listings: (scope: QueryScope = {}): string => series(METRIC_SERVER_LISTINGS, scope),
  resultTokens: (scope: QueryScope = {}): string => series(METRIC_SERVER_RESULT_TOKENS, scope),
} as const;

// --- The catalogue ---------------------------------------------------------------

/** The named server-side queries that the Servers page, its dashboard and the docs show. */
export const SERVER_QUERY_CATALOGUE: readonly QueryDefinition[] = [
  {
    id: 'serverToolFailureRate',
    title: 'Server tool failure rate',
    unit: 'percentunit',
    description: 'Tool calls failed by the server’s own fault over non-cancelled tool calls (caller mistakes excluded).',
    expr: (s) => serverToolFailureRate(s),
  },
  { id: 'serverToolCalls', title: 'Server tool calls', unit: 'short', description: 'Tool calls the server answered, cancellations excluded.', expr: (s) => serverToolCalls(s) },
  {
    id: 'serverToolErrors',
    title: 'Server tool errors by origin',
    unit: 'short',
    description: 'Failed tool calls, the caller’s mistakes apart from the server’s own failures.',
    expr: (s) => serverToolErrors(s),
  },
  { id: 'serverOperationLatencyP95', title: 'Server operation duration p95', unit: 's', description: 'The 95th percentile of server operation duration per server.', expr: (s) => serverOperationLatency(0.95, s) },
  { id: 'serverResultTokens', title: 'Server result tokens', unit: 'short', description: 'Rendered tokens of the results the server sent, per tool.', expr: (s) => serverResultTokens(s) },
  { id: 'serverListings', title: 'Listings served', unit: 'short', description: 'List requests answered, each page counted, by method.', expr: (s) => serverListings(s) },
  { id: 'definitionTokens', title: 'Definition tokens', unit: 'short', description: 'Tokens of each current tool, prompt, resource and template definition.', expr: (s) => definitionTokens(s) },
  {
    id: 'definitionTokensPerServer',
    title: 'Definition tokens per server',
    unit: 'short',
    description: 'Tokens a host pays to list all of a server’s definitions.',
    expr: (s) => definitionTokensPerServer(s),
  },
  {
    id: 'definitionTokensServed',
    title: 'Definition tokens served per tool',
    unit: 'short',
    description: 'Each tool’s definition tokens times the tools/list answers its server sent (an undercount: clients cache listings).',
    expr: (s) => definitionTokensServed(s),
  },
  {
    id: 'neverCalledTools',
    title: 'Tools listed, never called',
    unit: 'short',
    description: 'Tools with listings and no call in the window, with the definition tokens their listings served.',
    expr: (s) => neverCalledTools(s),
  },
];
