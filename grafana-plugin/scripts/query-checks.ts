/**
 * How the end-to-end test checks each shipped PromQL query against a real
 * Prometheus fed by an instrumented workload whose true answers are known:
 * `exact` asserts the value against the ground truth named here; `non-empty`
 * only asserts a result, where the value has no exact truth (histogram
 * quantiles interpolate within buckets; envelope bytes depend on the SDK's
 * JSON encoding). Keyed by `queryKey` of src/queries/collect.ts:
 * `<page or alert rule>/<panel>/<refId>`.
 *
 * Exact values hold when Grafana's window spans exactly the load phase:
 * `$__range` = `$__rate_interval` = the time between a scrape before the
 * load and one after it, evaluated at the later one, so that Prometheus
 * neither extrapolates nor misses a first sample; filters at All.
 */
export type QueryCheck =
  { readonly kind: 'exact'; readonly truth: string } | { readonly kind: 'non-empty'; readonly why: string };

const exact = (truth: string): QueryCheck => ({ kind: 'exact', truth });
const nonEmpty = (why: string): QueryCheck => ({ kind: 'non-empty', why });

const QUANTILE = 'histogram_quantile interpolates inside a bucket';
// The collector e2e suite checks that these rules fire on the faults they watch.
const ALERT_WINDOW = 'the rule’s fixed 5m window extrapolates over a run shorter than 5 minutes';
const EFFICIENCY = exact('meaningful / (meaningful + redundant + unused) rendered tokens of the workload');
const LOSS = exact('lost responses / (expected - cancelled) responses of the workload');
const SUCCESS = exact('successful tool calls / tool calls less cancelled');
const MEAN_REQUESTS = exact('mean client requests (initialize and ping excluded) per ended session');
const WITHIN_BAND = exact('share of ended sessions with 30 to 100 requests');
const OVER_LIMIT = exact('sessions that made more than 100 requests');
// The workload's sessions are in-process clients, each a session in either era; stateless HTTP through the proxy is the CLI's proxy-http-stateless-chain test.
const SESSIONLESS = exact('0 requests in no session: every call of the workload is in a session (the query reads 0, not empty, with no series)');
const DROPPED = exact('0 audit records dropped (an empty result reads as 0)');
const EMITTED = exact('audit records written by the workload');

export const QUERY_CHECKS: Readonly<Record<string, QueryCheck>> = {
  'overview/token-efficiency/A': EFFICIENCY,
  'overview/context-loss-rate/A': LOSS,
  'overview/tool-success-rate/A': SUCCESS,
  'overview/requests-per-session/A': MEAN_REQUESTS,
  'overview/ratios-trend/A': EFFICIENCY,
  'overview/ratios-trend/B': LOSS,
  'overview/ratios-trend/C': SUCCESS,
  'overview/sessions-within-band/A': WITHIN_BAND,
  'overview/sessions-over-limit/A': OVER_LIMIT,
  'overview/mean-requests-trend/A': MEAN_REQUESTS,
  'overview/volumes/A': exact('tool calls less cancelled'),
  'overview/volumes/B': exact('requests that expect a response'),
  'overview/volumes/C': exact('sessions ended'),
  'overview/volumes/D': SESSIONLESS,
  'tools/success-by-tool/A': exact('per tool: successful calls / calls less cancelled'),
  'tools/top-failing-tools/A': exact('per tool with failures: calls with an outcome other than success and cancelled'),
  'tools/outcomes-by-tool/A': exact('per tool and outcome: calls'),
  'tools/latency-p50/A': nonEmpty(QUANTILE),
  'tools/latency-p95/A': nonEmpty(QUANTILE),
  'tools/latency-p99/A': nonEmpty(QUANTILE),
  'sessions/requests-distribution/A': exact('per bucket bound: ended sessions with at most that many requests'),
  'sessions/sessions-within-band/A': WITHIN_BAND,
  'sessions/mean-requests/A': MEAN_REQUESTS,
  'sessions/sessions-ended/A': exact('sessions ended'),
  'sessions/sessions-over-limit/A': OVER_LIMIT,
  'sessions/sessionless-requests/A': SESSIONLESS,
  'sessions/session-duration/A': nonEmpty(QUANTILE),
  'sessions/session-duration/B': nonEmpty(QUANTILE),
  'sessions/session-duration/C': nonEmpty(QUANTILE),
  'context/efficiency-trend/A': exact('per server: meaningful / all rendered tokens'),
  'context/loss-rate-trend/A': exact('per server: lost / (expected - cancelled) responses'),
  'context/tokens-by-method/A': exact('per method and disposition: rendered tokens'),
  'context/tokens-by-tool/A': exact('per tool and disposition: rendered tokens'),
  'context/tokens-by-server/A': exact('per server and disposition: rendered tokens'),
  'context/wasted-tokens/A': exact('per disposition, source, server and tool: redundant and unused tokens (top 10)'),
  'context/lost-by-cause/A': exact('per loss cause: lost responses'),
  'context/token-totals/A': exact('all rendered tokens'),
  'context/token-totals/B': exact('rendered tokens of lost responses whose content was seen'),
  'context/estimated-share/A': exact('0: the workload counts every token exactly (the test runner sets an unlimited backlog budget), and the query reads 0, not empty, with no estimate series; the instrumentation\'s overload test checks a non-zero share'),
  'context/wire-overhead/A': nonEmpty('envelope bytes depend on the SDK’s JSON encoding, not on the workload script'),
  'audit/records-emitted/A': EMITTED,
  'audit/records-received/A': exact(
    'audit records counted by the gateway Collector (= emitted once the pipeline has flushed)'
  ),
  'audit/records-dropped/A': DROPPED,
  'audit/records-unreceived/A': exact('0 once the pipeline has flushed'),
  'audit/dropped-by-reason/A': DROPPED,
  // The Servers page: the workload's server side is synthetic until the server instrumentation lands (e2e/workload.ts).
  'servers/server-failure-rate/A': exact('per server: tool calls failed by the server (caller mistakes excluded) / calls less cancelled'),
  'servers/definition-tokens-per-server/A': exact('per server: tokens of all its current definitions'),
  'servers/server-latency-p50/A': nonEmpty(QUANTILE),
  'servers/server-latency-p95/A': nonEmpty(QUANTILE),
  'servers/server-latency-p99/A': nonEmpty(QUANTILE),
  'servers/server-outcomes/A': exact('per server, outcome and error origin: tool calls the server answered'),
  'servers/definition-tokens/A': exact('per server, kind and name: definition tokens'),
  'servers/never-called-tools/A': exact('per server and never-called tool: definition tokens × tools/list answers'),
  'servers/definition-cost-vs-calls/A': exact('per server and tool: definition tokens × tools/list answers'),
  'servers/definition-cost-vs-calls/B': exact('per server and tool: tool calls less cancelled'),
  'servers/tool-latency-p50/A': nonEmpty(QUANTILE),
  'servers/tool-latency-p95/A': nonEmpty(QUANTILE),
  'servers/tool-latency-p99/A': nonEmpty(QUANTILE),
  'servers/tool-errors/A': exact('per tool and error origin: failed tool calls'),
  'servers/result-tokens/A': exact('per tool: rendered result tokens the server sent'),
  'mcpc-token-efficiency-low/A': nonEmpty(ALERT_WINDOW),
  'mcpc-context-loss-high/A': nonEmpty(ALERT_WINDOW),
  'mcpc-tool-success-low/A': nonEmpty(ALERT_WINDOW),
  'mcpc-session-over-limit/A': nonEmpty(ALERT_WINDOW),
  'mcpc-audit-dropped/A': DROPPED,
  'mcpc-audit-unreceived/A': nonEmpty(ALERT_WINDOW),
  'mcpc-server-tool-failure-high/A': nonEmpty(ALERT_WINDOW),
  // A gauge's latest value: no extrapolation, exact over any window.
  'mcpc-definition-tokens-over-budget/A': exact('per server: tokens of all its current definitions'),
};
