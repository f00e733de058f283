/**
 * Exact counts, against a real Prometheus (Debian's 2.42) holding a TSDB
 * backfilled with promtool: a counter that resets in the middle of the range
 * (a restarted process), series born inside the range (above zero and at
 * zero), a series that lived before the range, and the session histogram
 * first scraped after two sessions had ended. The report's counts equal what
 * the counters counted; `increase()` over the same data is fractional.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LABELS, METRIC_SESSION_REQUESTS, METRIC_SESSIONS_OVER_LIMIT, METRIC_TOOL_CALLS, promNames, queries } from '@mcp-conservation/semconv';
import { runCli } from './helpers/cli.ts';
import { startPrometheusWith, type RunningPrometheus } from './helpers/prometheus-server.ts';
import { countSeries } from '../src/report/exact-counts.ts';

// A whole minute, ten minutes ago: the last sample, and the report's end.
const end = Math.floor(Date.now() / 60_000) * 60 - 600;
const MINUTES = 90;
/** Minute m of the data (0..90), as Unix seconds; the report's range is the last 60 minutes, from minute 30. */
const at = (m: number) => end - (MINUTES - m) * 60;
const job = 'svc-exact';
let prom: RunningPrometheus;

type Series = { labels: Record<string, string>; value: (m: number) => number | undefined };
const calls = (outcome: string, tool: string) => ({ job, [LABELS.outcome]: outcome, [LABELS.tool]: tool });
const TOOL_CALLS: Series[] = [
  // Lived before the range (baseline 60 at minute 30), +2 a minute, the process restarts at minute 60 (value 1).
  { labels: calls('success', 'search'), value: (m) => (m < 60 ? 2 * m : 2 * (m - 60) + 1) },
  // Born inside the range, first scraped at 3, one more every five minutes: 12 at the end.
  { labels: calls('tool_error', 'search'), value: (m) => (m >= 45 ? 3 + Math.floor((m - 45) / 5) : undefined) },
  // Born inside the range at zero (a known series), +1 a minute: 40 at the end.
  { labels: calls('timeout', 'fetch'), value: (m) => (m >= 50 ? m - 50 : undefined) },
];
/** Sessions: two (40 and 50 requests) ended before the histogram's first scrape at minute 40; three more (10, 120, 35) by minute 70. */
const SESSIONS = [
  { requests: 40, seenAt: 40 },
  { requests: 50, seenAt: 40 },
  { requests: 10, seenAt: 70 },
  { requests: 120, seenAt: 70 },
  { requests: 35, seenAt: 70 },
];
const TRUTH = {
  success: 58 + 1 + 60,
  toolErrors: 12,
  timeouts: 40,
  sessionsEnded: 5,
  requests: 255,
  within: 3,
  overLimit: 1,
};

function openMetrics(): string {
  const out: string[] = [];
  const label = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(',');
  const toolCalls = promNames(METRIC_TOOL_CALLS)[0] as string;
  out.push(`# TYPE ${toolCalls.replace(/_total$/, '')} counter`);
  for (const s of TOOL_CALLS)
    for (let m = 0; m <= MINUTES; m++) {
      const v = s.value(m);
      if (v !== undefined) out.push(`${toolCalls}{${label(s.labels)}} ${v} ${at(m)}`);
    }
  const over = promNames(METRIC_SESSIONS_OVER_LIMIT)[0] as string;
  out.push(`# TYPE ${over.replace(/_total$/, '')} counter`);
  for (let m = 0; m <= MINUTES; m++) out.push(`${over}{job="${job}"} ${m >= 70 ? 1 : 0} ${at(m)}`);
  const family = (promNames(METRIC_SESSION_REQUESTS, '_bucket')[0] as string).replace(/_bucket$/, '');
  out.push(`# TYPE ${family} histogram`);
  for (let m = 40; m <= MINUTES; m++) {
    const ended = SESSIONS.filter((s) => s.seenAt <= m);
    for (const le of [...(METRIC_SESSION_REQUESTS.buckets ?? []), Infinity]) {
      out.push(`${family}_bucket{job="${job}",le="${le === Infinity ? '+Inf' : le}"} ${ended.filter((s) => s.requests <= le).length} ${at(m)}`);
    }
    out.push(`${family}_count{job="${job}"} ${ended.length} ${at(m)}`);
    out.push(`${family}_sum{job="${job}"} ${ended.reduce((n, s) => n + s.requests, 0)} ${at(m)}`);
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

before(async () => {
  prom = await startPrometheusWith(openMetrics());
});

after(async () => {
  await prom?.stop();
});

test('countSeries: baseline before the start, a reset, a series born above zero', () => {
  const s = (points: [number, number][]) => ({ labels: {}, points });
  assert.deepEqual(
    { ...countSeries(s([[0, 5], [10, 7], [20, 2], [30, 4]]), 0), increments: undefined, labels: undefined },
    { labels: undefined, counted: 2 + 2 + 2, resets: 1, bornInside: false, firstSeenAboveZero: false, firstSample: 10, lastSample: 30, increments: undefined },
  );
  const born = countSeries(s([[10, 3], [20, 3], [30, 5]]), 0);
  assert.deepEqual([born.counted, born.bornInside, born.firstSeenAboveZero, born.increments], [5, true, true, [[10, 3], [30, 2]]]);
  const zero = countSeries(s([[10, 0], [20, 4]]), 0);
  assert.deepEqual([zero.counted, zero.firstSeenAboveZero], [4, false]);
  assert.equal(countSeries(s([]), 0).counted, 0);
});

test('exact counts over the range equal what the counters counted: reset, series born inside, histogram first seen above zero', async () => {
  const r = await runCli(['report', '--prometheus', prom.url, '--range', '60m', '--end', String(end), '--service', job, '--out', `${prom.dir}/report.html`, '--no-png', '--json', '--quiet']);
  const report = JSON.parse(r.stdout);
  const m = Object.fromEntries(report.measures.map((x: { id: string }) => [x.id, x]));
  const success = m.toolSuccessRate;
  assert.equal(success.context['successful tool calls'], TRUTH.success);
  assert.equal(success.context['tool calls'], TRUTH.success + TRUTH.toolErrors + TRUTH.timeouts);
  assert.equal(success.value, TRUTH.success / (TRUTH.success + TRUTH.toolErrors + TRUTH.timeouts));
  assert.deepEqual(report.topFailingTools, [
    { tool: 'fetch', failed: TRUTH.timeouts, successRate: 0 },
    { tool: 'search', failed: TRUTH.toolErrors, successRate: TRUTH.success / (TRUTH.success + TRUTH.toolErrors) },
  ]);
  const volume = m.requestsPerSession;
  assert.deepEqual(volume.context, { 'sessions ended': TRUTH.sessionsEnded, 'sessions within 30-100': TRUTH.within, 'sessions over limit': TRUTH.overLimit });
  assert.equal(volume.value, TRUTH.requests / TRUTH.sessionsEnded);
  assert.equal(volume.verdict, 'fail');
  // One reset (the restart); first seen above zero: the tool_error series, and the histogram's _count, _sum and le=100 bucket (le=29 starts at 0).
  assert.equal(report.coverage.resets, 1);
  assert.equal(report.coverage.firstSeenAboveZero, 4);
  assert.equal(report.coverage.firstSample, at(31));
  assert.equal(report.coverage.lastSample, at(MINUTES));
  assert.equal(report.coverage.scrapeIntervalSeconds, 60);
  const html = (await import('node:fs')).readFileSync(`${prom.dir}/report.html`, 'utf8');
  assert.match(html, /<span id="coverage-resets">1<\/span> counter reset/);
  assert.match(html, /<span id="coverage-above-zero">4<\/span> series first seen above zero/);

  // What PromQL on 2.42 would have said over the same data: fractional, and short of the truth.
  const increase = async (selector: string) => {
    const body = new URLSearchParams({ query: `sum(increase(${selector}[60m]))`, time: String(end) });
    const answer = (await (await fetch(`${prom.url}/api/v1/query`, { method: 'POST', body })).json()) as { data: { result: { value: [number, string] }[] } };
    return Number(answer.data.result[0]?.value[1]);
  };
  const promCalls = await increase(queries.countedSeries.toolCalls({ service: job }));
  const promSessions = await increase(queries.countedSeries.sessionsEnded({ service: job }));
  assert.ok(!Number.isInteger(promCalls) && promCalls !== TRUTH.success + TRUTH.toolErrors + TRUTH.timeouts, `increase() of tool calls: ${promCalls}`);
  assert.ok(!Number.isInteger(promSessions) && promSessions < TRUTH.sessionsEnded, `increase() of sessions: ${promSessions}`);
});
