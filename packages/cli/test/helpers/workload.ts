/**
 * A known workload as Prometheus data: counters and the session histogram
 * under the semconv names (`promNames`) and labels (`LABELS`), sampled every
 * minute over two hours, written as OpenMetrics for promtool to backfill,
 * with the exact answers the report must show.
 */
import {
  LABELS,
  METRIC_AUDIT_DROPPED,
  METRIC_AUDIT_RECEIVED,
  METRIC_AUDIT_RECORDS,
  METRIC_CONTEXT_TOKENS,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_SESSION_REQUESTS,
  METRIC_SESSIONS_OVER_LIMIT,
  METRIC_SESSIONLESS_REQUESTS,
  METRIC_TOOL_CALLS,
  promNames,
  type MetricDefinition,
} from '@mcp-conservation/semconv';

export const STEP_S = 60;
export const SAMPLES = 121; // two hours, both ends included

type Labels = Record<string, string>;
interface CounterSeries {
  readonly labels: Labels;
  readonly total: number;
}

const svcA = { job: 'svc-a', [LABELS.server]: 'srv-1', [LABELS.observer]: 'sdk' };
const svcB = { job: 'svc-b', [LABELS.server]: 'srv-2', [LABELS.observer]: 'sdk' };
/** A proxy in front of a stateless (2026-07-28) HTTP server: calls in no session, and nothing else. */
const svcC = { job: 'svc-c', [LABELS.server]: 'srv-3', [LABELS.observer]: 'proxy' };
const L = LABELS;

/** Final counter values; each rises linearly from 0 at the first sample. */
const COUNTERS: [MetricDefinition, CounterSeries[]][] = [
  [METRIC_CONTEXT_TOKENS, [
    { labels: { ...svcA, [L.disposition]: 'meaningful', [L.source]: 'tool_result', [L.tool]: 'search' }, total: 5200 },
    { labels: { ...svcA, [L.disposition]: 'meaningful', [L.source]: 'tool_result', [L.tool]: 'fetch' }, total: 3500 },
    { labels: { ...svcA, [L.disposition]: 'redundant', [L.source]: 'tool_result', [L.tool]: 'search' }, total: 800 },
    { labels: { ...svcA, [L.disposition]: 'unused', [L.source]: 'tool_definition', [L.tool]: 'admin_reset' }, total: 500 },
    { labels: { ...svcB, [L.disposition]: 'meaningful', [L.source]: 'tool_result', [L.tool]: 'lookup' }, total: 1000 },
  ]],
  [METRIC_RESPONSES_EXPECTED, [
    { labels: { ...svcA, [L.method]: 'tools/call', [L.tool]: 'search' }, total: 600 },
    { labels: { ...svcA, [L.method]: 'tools/call', [L.tool]: 'fetch' }, total: 400 },
    { labels: { ...svcB, [L.method]: 'tools/call', [L.tool]: 'lookup' }, total: 50 },
  ]],
  [METRIC_RESPONSES_CANCELLED, [
    { labels: { ...svcA, [L.method]: 'tools/call', [L.tool]: 'search' }, total: 20 },
    { labels: { ...svcA, [L.method]: 'tools/call', [L.tool]: 'fetch' }, total: 0 },
    { labels: { ...svcB, [L.method]: 'tools/call', [L.tool]: 'lookup' }, total: 0 },
  ]],
  [METRIC_RESPONSES_LOST, [
    { labels: { ...svcA, [L.cause]: 'timeout', [L.method]: 'tools/call', [L.tool]: 'fetch' }, total: 9 },
    { labels: { ...svcA, [L.cause]: 'late', [L.method]: 'tools/call', [L.tool]: 'search' }, total: 3 },
  ]],
  [METRIC_TOOL_CALLS, [
    { labels: { ...svcA, [L.outcome]: 'success', [L.tool]: 'search' }, total: 300 },
    { labels: { ...svcA, [L.outcome]: 'tool_error', [L.tool]: 'search' }, total: 2 },
    { labels: { ...svcA, [L.outcome]: 'cancelled', [L.tool]: 'search' }, total: 5 },
    { labels: { ...svcA, [L.outcome]: 'success', [L.tool]: 'fetch' }, total: 185 },
    { labels: { ...svcA, [L.outcome]: 'tool_error', [L.tool]: 'fetch' }, total: 4 },
    { labels: { ...svcA, [L.outcome]: 'timeout', [L.tool]: 'fetch' }, total: 3 },
    { labels: { ...svcB, [L.outcome]: 'success', [L.tool]: 'lookup' }, total: 50 },
  ]],
  [METRIC_SESSIONS_OVER_LIMIT, [
    { labels: svcA, total: 2 },
    { labels: svcB, total: 0 },
  ]],
  [METRIC_SESSIONLESS_REQUESTS, [{ labels: svcC, total: 250 }]],
  [METRIC_AUDIT_RECORDS, [
    { labels: svcA, total: 1010 },
    { labels: svcB, total: 50 },
  ]],
  [METRIC_AUDIT_DROPPED, [{ labels: { job: 'svc-a', [L.dropReason]: 'queue_full' }, total: 4 }]],
  [METRIC_AUDIT_RECEIVED, [
    { labels: { job: 'svc-a' }, total: 1000 },
    { labels: { job: 'svc-b' }, total: 50 },
  ]],
];

/** Requests of each ended session, and the sample at which it ended. */
const SESSIONS: { labels: Labels; requests: number; endsAt: number }[] = [
  ...[12, 35, 40, 45, 60, 80, 95, 100, 120, 300].map((requests, i) => ({ labels: svcA, requests, endsAt: 10 * (i + 1) })),
  { labels: svcB, requests: 40, endsAt: 50 },
];

/** What the report must say for --service svc-a over the whole data. */
export const TRUTH_SVC_A = {
  tokenEfficiency: 8700 / 10000,
  contextLossRate: 12 / (1000 - 20),
  toolSuccessRate: 485 / 494,
  meanRequestsPerSession: 887 / 10,
  shareWithinBand: 7 / 10,
  sessionsEnded: 10,
  sessionsOverLimit: 2,
  renderedTokens: 10000,
  // Expected less cancelled: the loss rate's own base.
  responsesExpected: 1000 - 20,
  toolCalls: 494,
  verdicts: { tokenEfficiency: 'fail', contextLossRate: 'pass', toolSuccessRate: 'pass', requestsPerSession: 'fail' },
  topFailingTools: [
    { tool: 'fetch', failed: 7, successRate: 185 / 192 },
    { tool: 'search', failed: 2, successRate: 300 / 302 },
  ],
  waste: [
    { disposition: 'redundant', source: 'tool_result', server: 'srv-1', tool: 'search', tokens: 800 },
    { disposition: 'unused', source: 'tool_definition', server: 'srv-1', tool: 'admin_reset', tokens: 500 },
  ],
  lostByCause: [
    { cause: 'timeout', responses: 9 },
    { cause: 'late', responses: 3 },
  ],
  pipeline: { emitted: 1010, dropped: 4, droppedByReason: [{ reason: 'queue_full', records: 4 }], received: 1000, unreceived: 10, healthy: false },
} as const;

/** All services together. */
export const TRUTH_ALL = {
  /** svc-c's calls over stateless HTTP: in no session, so said beside requests per session. */
  sessionlessRequests: 250,
  toolSuccessRate: (485 + 50) / (494 + 50),
  tokenEfficiency: (8700 + 1000) / (10000 + 1000),
};

const BUCKETS = [...(METRIC_SESSION_REQUESTS.buckets ?? []), Infinity];

function labelText(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
}

/** OpenMetrics text of the workload, ending at `end` (Unix seconds, a whole minute). */
export function workloadOpenMetrics(end: number): string {
  const t0 = end - (SAMPLES - 1) * STEP_S;
  const out: string[] = [];
  for (const [def, series] of COUNTERS) {
    const name = promNames(def)[0] as string; // e.g. mcp_conservation_tool_calls_total
    out.push(`# TYPE ${name.replace(/_total$/, '')} counter`);
    for (const s of series) {
      for (let i = 0; i < SAMPLES; i++) out.push(`${name}{${labelText(s.labels)}} ${Math.round((s.total * i) / (SAMPLES - 1))} ${t0 + i * STEP_S}`);
    }
  }
  const family = (promNames(METRIC_SESSION_REQUESTS, '_bucket')[0] as string).replace(/_bucket$/, '');
  out.push(`# TYPE ${family} histogram`);
  for (const labels of [svcA, svcB]) {
    const mine = SESSIONS.filter((s) => s.labels === labels);
    for (let i = 0; i < SAMPLES; i++) {
      const ended = mine.filter((s) => s.endsAt <= i);
      for (const le of BUCKETS) {
        const n = ended.filter((s) => s.requests <= le).length;
        out.push(`${family}_bucket{${labelText({ ...labels, le: le === Infinity ? '+Inf' : String(le) })}} ${n} ${t0 + i * STEP_S}`);
      }
      out.push(`${family}_count{${labelText(labels)}} ${ended.length} ${t0 + i * STEP_S}`);
      out.push(`${family}_sum{${labelText(labels)}} ${ended.reduce((a, s) => a + s.requests, 0)} ${t0 + i * STEP_S}`);
    }
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}
