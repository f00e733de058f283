/**
 * Every PromQL query the plugin ships (pages, dashboards, alert rules; the
 * checked-in table shipped-queries.json), run against the real Prometheus of
 * the shared end-to-end harness, fed through the real Collector agent and
 * gateway by a real instrumented MCP workload. Each `exact` row is asserted
 * against the workload's ground truth, each `non-empty` row for a result.
 *
 * Grafana's variables are substituted as Grafana would at All: filters `.*`,
 * and `$__range` = `$__rate_interval` = the time between a scrape taken
 * before the load and one taken after it, evaluated at the later scrape.
 * Prometheus 2.x includes both ends of a range, so both samples fall in the
 * window: no extrapolation, no missed first sample, and windowed increases
 * and rates equal the load's exact totals.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { renderResult } from '@mcp-conservation/instrumentation/core';
import {
  ATTR_DEFINITION_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_PROTOCOL_ERA,
  PROTOCOL_ERA_VALUES,
  promLabel,
  METRIC_AUDIT_RECORDS,
  METRIC_CONTEXT_TOKENS,
  METRIC_RESPONSES_EXPECTED,
  METRIC_TOOL_CALLS,
  METRIC_SESSION_REQUESTS,
  METRIC_SERVER_DEFINITION_TOKENS,
  METRIC_SERVER_OPERATION_DURATION,
  METRIC_SERVER_RESULT_TOKENS,
  METRIC_SERVER_TOOL_CALLS,
  queries,
  type QueryScope,
} from '@mcp-conservation/semconv';
import {
  startStack,
  waitFor,
  type PromSample,
  type PrometheusService,
  type Stack,
} from '@mcp-conservation/e2e/harness';
import {
  SERVER_TOOLS,
  SERVICE,
  Workload,
  callsOf,
  eraOf,
  requestsOf,
  type SessionScript,
  type Totals,
} from './workload.ts';

const ERA = promLabel(ATTR_PROTOCOL_ERA);
const ERAS = [PROTOCOL_ERA_VALUES.legacy, PROTOCOL_ERA_VALUES.modern];
import { Truth, labelKey, type Expected } from './truth.ts';

interface Row {
  id: string;
  source: string;
  instant: boolean;
  exprAtAll: string;
  check: { kind: 'exact'; truth: string } | { kind: 'non-empty'; why: string };
}

const table = JSON.parse(readFileSync(new URL('./shipped-queries.json', import.meta.url), 'utf8')) as { rows: Row[] };

/**
 * Touches every series the load touches (the over-limit counter included), so each has a sample
 * before the load: once in each protocol era.
 */
const WARM_UP: SessionScript[] = [
  { search: 101, flaky: 1, slow: 1, unknown: 1, era: 'legacy' },
  { search: 101, flaky: 1, slow: 1, unknown: 1, era: 'modern' },
];
/**
 * The load: 37, 106 and 11 requests per session (one in the 30-100 band, one over 100, one under),
 * the first in the modern era (2026-07-28), the others legacy.
 */
const LOAD: SessionScript[] = [
  { search: 33, flaky: 1, slow: 1, unknown: 1, era: 'modern' },
  { search: 103, flaky: 1, slow: 0, unknown: 1, era: 'legacy' },
  { search: 10, flaky: 0, slow: 0, unknown: 0, era: 'legacy' },
];

let stack: Stack;
let workload: Workload;
let prom: PrometheusService;
let truth: Truth;
let evalAt: Date;
let window: string;
const report: Array<{ id: string; check: string; result: string }> = [];

const L = (s: QueryScope = {}): QueryScope => ({ service: SERVICE, ...s, window: 'lifetime' });

function sdkSum(t: Totals, metric: string, part: 'value' | 'count' = 'value'): number {
  return (t.get(metric) ?? []).reduce((n, p) => n + p[part], 0);
}

/** The lifetime totals Prometheus must show at a sample time before that sample can bound a window. */
function settledChecks(t: Totals): Array<[string, number]> {
  return [
    [queries.toolCalls(L()), sdkSum(t, METRIC_TOOL_CALLS.name)],
    [queries.renderedTokens(L()), sdkSum(t, METRIC_CONTEXT_TOKENS.name)],
    [queries.responsesExpected(L()), sdkSum(t, METRIC_RESPONSES_EXPECTED.name)],
    [queries.sessionsEnded(L()), sdkSum(t, METRIC_SESSION_REQUESTS.name, 'count')],
    [queries.auditRecordsEmitted(L()), sdkSum(t, METRIC_AUDIT_RECORDS.name)],
    [queries.sumIncrease(METRIC_SERVER_TOOL_CALLS, L()), sdkSum(t, METRIC_SERVER_TOOL_CALLS.name)],
    [queries.sumIncrease(METRIC_SERVER_RESULT_TOKENS, L()), sdkSum(t, METRIC_SERVER_RESULT_TOKENS.name)],
    [
      `sum (${queries.series(METRIC_SERVER_OPERATION_DURATION, L(), [], '_count')})`,
      sdkSum(t, METRIC_SERVER_OPERATION_DURATION.name, 'count'),
    ],
  ];
}

/**
 * The timestamps of the latest raw samples of every series the workload's
 * SDK exports, read as a range vector (timestamp() would report evaluation
 * times once the name is kept through label_replace).
 */
async function latestSampleTimes(): Promise<Set<number>> {
  const url = `${prom.url}/api/v1/query?${new URLSearchParams({ query: `{__name__=~"mcp_.+",job="${SERVICE}"}[10s]` })}`;
  const body = (await (await fetch(url)).json()) as { data: { result: Array<{ values: Array<[number, string]> }> } };
  return new Set(body.data.result.map((r) => r.values[r.values.length - 1]![0]));
}

/**
 * A scrape time at which every one of our series has a sample and shows the
 * SDK's totals `t`: the bound of an exact window.
 */
async function settledSampleTime(t: Totals, what: string): Promise<Date> {
  // The gateway counts records after the batching and retries of two Collectors: give them a
  // deadline to arrive. If they do not, the exact `records-received` rows fail and say by how much.
  const emitted = sdkSum(t, METRIC_AUDIT_RECORDS.name);
  await waitFor(
    async () => (await prom.value(queries.auditRecordsReceived({ window: 'lifetime' }))) === emitted || undefined,
    {
      what: `${what}: ${emitted} audit records received at the gateway`,
      timeoutMs: 30_000,
      intervalMs: 250,
    }
  ).catch(() => undefined);
  let lastMismatch = 'no common sample time yet';
  return await waitFor(
    async () => {
      const times = await latestSampleTimes();
      if (times.size !== 1) {
        lastMismatch = `latest samples at ${times.size} different times`;
        return undefined;
      }
      const first = [...times][0]!;
      const at = new Date(first * 1000);
      for (const [expr, want] of settledChecks(t)) {
        const got = (await prom.query(expr, at))[0]?.value;
        if (got !== want) {
          lastMismatch = `${expr} = ${got} at ${at.toISOString()}, SDK total ${want}`;
          return undefined;
        }
      }
      return at;
    },
    { what, timeoutMs: 60_000, intervalMs: 250 }
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last mismatch: ${lastMismatch}`);
  });
}

function close(a: number, b: number): boolean {
  // An empty histogram's quantile is NaN on both sides.
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function asMap(samples: PromSample[]): Map<string, number> {
  return new Map(samples.filter((s) => s.value !== 0).map((s) => [labelKey(s.metric), s.value]));
}

function assertExact(samples: PromSample[], want: Expected, id: string): void {
  if (typeof want === 'number') {
    assert.ok(samples.length <= 1, `${id}: one value expected, got ${samples.length}`);
    // A sum over no series is empty: it reads as 0.
    const got = samples[0]?.value ?? 0;
    assert.ok(close(got, want), `${id}: got ${got}, truth ${want}`);
    return;
  }
  const got = asMap(samples);
  const expected = new Map([...want].filter(([, v]) => v !== 0));
  assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), `${id}: label sets`);
  for (const [k, v] of expected) {
    assert.ok(close(got.get(k)!, v), `${id} ${k}: got ${got.get(k)}, truth ${v}`);
  }
}

describe('shipped PromQL against a real Prometheus and a real instrumented workload', () => {
  before(async () => {
    stack = await startStack({ interval: '1s' });
    prom = stack.promScrape;
    workload = new Workload(stack.otlpUrl);
    for (const [i, s] of WARM_UP.entries()) {
      await workload.session(s, `warm-up-${i}`);
    }
    await workload.flush();
    const start = await workload.snapshot();
    const t0 = await settledSampleTime(start, 'a scrape showing the warm-up');
    for (const [i, s] of LOAD.entries()) {
      await workload.session(s, `load-${i}`);
    }
    await workload.flush();
    const end = await workload.snapshot();
    evalAt = await settledSampleTime(end, 'a scrape showing the load');
    window = `${evalAt.getTime() - t0.getTime()}ms`;
    truth = new Truth(LOAD, end, start);
  });

  after(async () => {
    console.table(report);
    await workload?.shutdown();
    await stack?.stop();
  });

  test('both protocol eras: tool calls, client requests and sessions by era equal the scripts exactly', async () => {
    const scope: QueryScope = { service: SERVICE, window };
    const byEra = (q: string) => `sum by (${ERA}) (${q})`;
    const got = async (q: string) =>
      Object.fromEntries((await prom.query(byEra(q), evalAt)).map((s) => [s.metric[ERA], s.value]).sort());
    const want = (f: (s: SessionScript) => number) =>
      Object.fromEntries(ERAS.map((e) => [e, LOAD.filter((s) => eraOf(s) === e).reduce((n, s) => n + f(s), 0)]));
    assert.deepEqual(
      await got(queries.increase(queries.series(METRIC_TOOL_CALLS, scope), scope)),
      want(callsOf),
      'tool calls by era'
    );
    assert.deepEqual(
      await got(queries.increase(queries.series(METRIC_SESSION_REQUESTS, scope, [], '_sum'), scope)),
      want(requestsOf),
      'requests of the ended sessions by era'
    );
    assert.deepEqual(
      await got(queries.increase(queries.series(METRIC_SESSION_REQUESTS, scope, [], '_count'), scope)),
      want(() => 1),
      'sessions ended by era'
    );
  });

  test("server operation duration: count and sum by method and era equal the SDK's totals exactly", async () => {
    const scope: QueryScope = { service: SERVICE, window };
    const groups = [ATTR_MCP_METHOD_NAME, ATTR_PROTOCOL_ERA];
    for (const part of ['count', 'sum'] as const) {
      const sel = queries.series(METRIC_SERVER_OPERATION_DURATION, scope, [], `_${part}`);
      const samples = await prom.query(
        `sum by (${groups.map(promLabel).join(', ')}) (${queries.increase(sel, scope)})`,
        evalAt
      );
      const want = truth.sum(
        METRIC_SERVER_OPERATION_DURATION.name,
        () => true,
        groups,
        part === 'count' ? 'value' : 'sum'
      );
      assertExact(samples, want, `server operation duration ${part}`);
    }
  });

  test("definition tokens: each era's price of each listed tool equals o200k_base on its definition as listed and rendered", async () => {
    const name = promLabel(ATTR_DEFINITION_NAME);
    const listed = workload.listedTools();
    assert.deepEqual([...listed.keys()].sort(), ERAS.slice().sort(), 'a listing in each era');
    for (const [era, tools] of listed) {
      assert.deepEqual(tools.map((t) => t.name).sort(), [...SERVER_TOOLS].sort(), `${era}: listed tools`);
      const want = new Map(
        tools.map((t) => [
          labelKey({ [name]: t.name }),
          countTokens(renderResult('tools/list', { tools: [t] }).blocks[0]!.text),
        ])
      );
      const sel = queries.series(METRIC_SERVER_DEFINITION_TOKENS, L(), [`${ERA}="${era}"`]);
      assertExact(await prom.query(`max by (${name}) (${sel})`, evalAt), want, `definition tokens (${era})`);
    }
  });

  for (const row of table.rows) {
    test(`${row.check.kind}: ${row.id}`, async () => {
      const expr = row.exprAtAll.replaceAll('$__rate_interval', window).replaceAll('$__range', window);
      const samples = await prom.query(expr, evalAt);
      if (row.check.kind === 'exact') {
        const want = truth.of(row.id.replace(/^(page|dashboard|alert):/, ''));
        report.push({ id: row.id, check: 'exact', result: JSON.stringify(samples.map((s) => s.value)) });
        assertExact(samples, want, row.id);
      } else {
        // A server latency row: not the true quantile, but the interpolation Prometheus must compute from the SDK's buckets.
        const quantile = truth.quantileOf(row.id);
        const check = quantile === undefined ? 'non-empty' : 'non-empty, quantile of the SDK buckets';
        report.push({ id: row.id, check, result: JSON.stringify(samples.map((s) => s.value)) });
        assert.ok(
          samples.some((s) => Number.isFinite(s.value)),
          `${row.id}: empty result`
        );
        if (quantile !== undefined) assertExact(samples, quantile, row.id);
      }
    });
  }
});
