/**
 * The true value of every `exact` row of the query table, for the load
 * phase of the workload: from the session scripts where they fix it (tool
 * calls by outcome and origin on both sides, sessions, requests per
 * session, listings served, tools never called), else from the SDK's own
 * cumulative totals (the difference between the end and the start of the
 * load: tokens, durations, definition prices), grouped the way the query
 * groups.
 */
import {
  ATTR_CONTEXT_SOURCE,
  ATTR_DEFINITION_KIND,
  ATTR_DEFINITION_NAME,
  ATTR_ERROR_ORIGIN,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_SERVER_NAME,
  ATTR_TOKEN_DISPOSITION,
  METRIC_AUDIT_RECORDS,
  METRIC_CONTEXT_TOKENS,
  METRIC_LOST_TOKENS,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_SESSIONLESS_REQUESTS,
  METRIC_RESPONSES_LOST,
  METRIC_SERVER_DEFINITION_TOKENS,
  METRIC_SERVER_OPERATION_DURATION,
  METRIC_SERVER_RESULT_TOKENS,
  ATTR_OUTCOME,
  DEFINITION_KIND_VALUES,
  ERROR_ORIGIN_VALUES,
  OTHER_VALUE,
  OUTCOME_VALUES,
  PROTOCOL_ERA_VALUES,
  type ProtocolEra,
  SESSION_REQUEST_BUCKETS,
  TARGET_REQUESTS_PER_SESSION,
  promLabel,
} from '@mcp-conservation/semconv';
import {
  NEVER_CALLED_TOOL,
  SERVER_NAME,
  SERVER_TOOLS,
  UNKNOWN_TOOL,
  eraOf,
  requestsOf,
  type Point,
  type SessionScript,
  type Totals,
} from './workload.ts';
import { histogramQuantile } from './histogram-quantile.ts';

/** A single value, or values per label set (key: the result's labels, sorted, as JSON). */
export type Expected = number | Map<string, number>;

export function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(labels)
        .filter(([, v]) => v !== '')
        .sort(([a], [b]) => a.localeCompare(b))
    )
  );
}

const pointKey = (p: Point) => JSON.stringify(Object.entries(p.attributes).sort(([a], [b]) => a.localeCompare(b)));

/** End minus start, per data point. */
function delta(end: Totals, start: Totals, metric: string): Point[] {
  const before = new Map((start.get(metric) ?? []).map((p) => [pointKey(p), p]));
  return (end.get(metric) ?? []).map((p) => {
    const s = before.get(pointKey(p));
    return {
      ...p,
      value: p.value - (s?.value ?? 0),
      count: p.count - (s?.count ?? 0),
      sum: p.sum - (s?.sum ?? 0),
      buckets: p.buckets.map(([le, n], i) => [le, n - (s?.buckets[i]?.[1] ?? 0)] as const),
    };
  });
}

export class Truth {
  private readonly scripts: readonly SessionScript[];
  private readonly end: Totals;
  private readonly start: Totals;

  constructor(scripts: readonly SessionScript[], end: Totals, start: Totals) {
    this.scripts = scripts;
    this.end = end;
    this.start = start;
  }

  /**
   * Sum of a counter's load-phase increase (or of a histogram's count, or with
   * `part` its sum), optionally filtered and grouped by attributes (as
   * Prometheus labels).
   */
  sum(
    metric: string,
    filter: (a: Record<string, string>) => boolean = () => true,
    groupBy?: readonly string[],
    part: 'value' | 'sum' = 'value'
  ): Expected {
    const points = delta(this.end, this.start, metric).filter((p) => filter(p.attributes));
    if (!groupBy) {
      return points.reduce((t, p) => t + p[part], 0);
    }
    const out = new Map<string, number>();
    for (const p of points) {
      const key = labelKey(Object.fromEntries(groupBy.map((a) => [promLabel(a), p.attributes[a] ?? ''])));
      out.set(key, (out.get(key) ?? 0) + p[part]);
    }
    return out;
  }

  private total(metric: string, filter?: (a: Record<string, string>) => boolean): number {
    return this.sum(metric, filter) as number;
  }

  private ratioBy(num: Expected, den: Expected): Expected {
    const n = num as Map<string, number>;
    const out = new Map<string, number>();
    for (const [k, d] of den as Map<string, number>) {
      if (d !== 0) {
        out.set(k, (n.get(k) ?? 0) / d);
      }
    }
    return out;
  }

  efficiency(groupBy?: string[]): Expected {
    const meaningful = this.sum(METRIC_CONTEXT_TOKENS.name, (a) => a[ATTR_TOKEN_DISPOSITION] === 'meaningful', groupBy);
    const all = this.sum(METRIC_CONTEXT_TOKENS.name, () => true, groupBy);
    return groupBy ? this.ratioBy(meaningful, all) : (meaningful as number) / (all as number);
  }

  lossRate(groupBy?: string[]): Expected {
    const lost = this.sum(METRIC_RESPONSES_LOST.name, () => true, groupBy);
    const expected = this.sum(METRIC_RESPONSES_EXPECTED.name, () => true, groupBy);
    const cancelled = this.sum(METRIC_RESPONSES_CANCELLED.name, () => true, groupBy);
    if (!groupBy) {
      return (lost as number) / ((expected as number) - (cancelled as number));
    }
    const den = new Map(
      [...(expected as Map<string, number>)].map(([k, v]) => [k, v - ((cancelled as Map<string, number>).get(k) ?? 0)])
    );
    return this.ratioBy(lost, den);
  }

  private get requests(): number[] {
    return this.scripts.map(requestsOf);
  }

  /** Sum of `f` over the scripts of one era, or of all. */
  private scripted(f: (x: SessionScript) => number, era?: ProtocolEra): number {
    return this.scripts.filter((x) => era === undefined || eraOf(x) === era).reduce((t, x) => t + f(x), 0);
  }

  /**
   * Calls per tool and outcome as the client sees them, from the scripts.
   * The unknown tool: the v1 McpServer answers it with an `isError` result,
   * the v2 one with the JSON-RPC error -32602.
   */
  private calls(): Array<[string, string, number]> {
    const s = (f: (x: SessionScript) => number, era?: ProtocolEra) => this.scripted(f, era);
    const { legacy, modern } = PROTOCOL_ERA_VALUES;
    return [
      ['search', OUTCOME_VALUES.success, s((x) => x.search)],
      ['flaky', OUTCOME_VALUES.toolError, s((x) => x.flaky)],
      ['slow', OUTCOME_VALUES.timeout, s((x) => x.slow)],
      [UNKNOWN_TOOL, OUTCOME_VALUES.toolError, s((x) => x.unknown, legacy)],
      [UNKNOWN_TOOL, OUTCOME_VALUES.protocolError, s((x) => x.unknown, modern)],
    ];
  }

  /**
   * Calls per tool, outcome and origin as the servers count them, from the
   * scripts (origin '' on a success):
   * - `slow`: the client gives up at 50 ms. In the legacy era it sends
   *   `notifications/cancelled` (cancelled, by the caller); in the modern era
   *   it aborts the HTTP request and the server sees the request's stream
   *   close unanswered (transport_error, by the caller). The tool's late
   *   answer is never sent, so never counted.
   * - the unknown tool counts as `_OTHER` (a name no server registered), a
   *   protocol error of the caller's with -32602 in both eras: the v2 server
   *   answers the JSON-RPC error, the v1 McpServer an `isError` result whose
   *   handler never ran, which its instrumentation tells apart from a tool
   *   error (the client still sees a tool error there, see `calls()`).
   */
  private serverCalls(): Array<[string, string, string, number]> {
    const s = (f: (x: SessionScript) => number, era?: ProtocolEra) => this.scripted(f, era);
    const { legacy, modern } = PROTOCOL_ERA_VALUES;
    const { caller, server } = ERROR_ORIGIN_VALUES;
    return [
      ['search', OUTCOME_VALUES.success, '', s((x) => x.search)],
      ['flaky', OUTCOME_VALUES.toolError, server, s((x) => x.flaky)],
      ['slow', OUTCOME_VALUES.cancelled, caller, s((x) => x.slow, legacy)],
      ['slow', OUTCOME_VALUES.transportError, caller, s((x) => x.slow, modern)],
      [OTHER_VALUE, OUTCOME_VALUES.protocolError, caller, s((x) => x.unknown)],
    ];
  }

  /**
   * The current price of each tool definition, by tool: the gauge's value at
   * the end of the load, the highest over the series that report it (one
   * per era's server, as the queries take replicas once).
   */
  private definitionTokens(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.end.get(METRIC_SERVER_DEFINITION_TOKENS.name) ?? []) {
      if (p.attributes[ATTR_DEFINITION_KIND] !== DEFINITION_KIND_VALUES.tool) continue;
      const name = p.attributes[ATTR_DEFINITION_NAME]!;
      out.set(name, Math.max(out.get(name) ?? 0, p.value));
    }
    const names = [...out.keys()].sort();
    if (names.join() !== [...SERVER_TOOLS].sort().join()) {
      throw new Error(`definition tokens for ${names.join(', ')}, registered ${SERVER_TOOLS.join(', ')}`);
    }
    return out;
  }

  /**
   * A quantile of the servers' operation duration over the load, per group
   * label: Prometheus's interpolation on the SDK's own bucket counts.
   */
  private durationQuantile(
    q: number,
    groupBy: string,
    filter: (a: Record<string, string>) => boolean
  ): Map<string, number> {
    const groups = new Map<string, Map<number, number>>();
    for (const p of delta(this.end, this.start, METRIC_SERVER_OPERATION_DURATION.name)) {
      if (!filter(p.attributes)) continue;
      const key = labelKey({ [promLabel(groupBy)]: p.attributes[groupBy] ?? '' });
      const buckets = groups.get(key) ?? new Map<number, number>();
      for (const [le, n] of p.buckets) buckets.set(le, (buckets.get(le) ?? 0) + n);
      groups.set(key, buckets);
    }
    return new Map([...groups].map(([key, buckets]) => [key, histogramQuantile(q, [...buckets])]));
  }

  /**
   * The truth of a latency row (`histogram_quantile` over the servers'
   * operation duration), or undefined for any other row.
   */
  quantileOf(key: string): Expected | undefined {
    const m = /(?:^|\/)(server|tool)-latency-p(\d+)\/A$/.exec(key.replace(/^(page|dashboard|alert):/, ''));
    if (!m) return undefined;
    const q = Number(m[2]) / 100;
    return m[1] === 'server'
      ? this.durationQuantile(q, ATTR_SERVER_NAME, () => true)
      : this.durationQuantile(q, ATTR_GEN_AI_TOOL_NAME, (a) => a[ATTR_MCP_METHOD_NAME] === 'tools/call');
  }

  /** The truth of a Servers page key, or undefined. */
  private server(id: string): Expected | undefined {
    const server = promLabel(ATTR_SERVER_NAME);
    const tool = promLabel(ATTR_GEN_AI_TOOL_NAME);
    const outcome = promLabel(ATTR_OUTCOME);
    const origin = promLabel(ATTR_ERROR_ORIGIN);
    const calls = this.serverCalls().filter((c) => c[3] > 0);
    const notCancelled = calls.filter((c) => c[1] !== OUTCOME_VALUES.cancelled);
    // One tools/list per session, one page each.
    const listings = this.scripts.length;
    const group = (rows: typeof calls, key: (c: (typeof calls)[number]) => Record<string, string> | undefined) => {
      const out = new Map<string, number>();
      for (const c of rows) {
        const k = key(c);
        if (k) out.set(labelKey(k), (out.get(labelKey(k)) ?? 0) + c[3]);
      }
      return out;
    };
    const perServer = (n: number) => new Map([[labelKey({ [server]: SERVER_NAME }), n]]);
    const definitions = () => this.definitionTokens();
    const definitionTotal = () => [...definitions().values()].reduce((a, b) => a + b, 0);
    const served = (tools: readonly string[]) =>
      new Map(tools.map((t) => [labelKey({ [server]: SERVER_NAME, [tool]: t }), definitions().get(t)! * listings]));
    const called = new Set(calls.map((c) => c[0]));
    const table: Record<string, () => Expected> = {
      'server-failure-rate/A': () =>
        perServer(
          notCancelled.filter((c) => c[2] === ERROR_ORIGIN_VALUES.server).reduce((t, c) => t + c[3], 0) /
            notCancelled.reduce((t, c) => t + c[3], 0)
        ),
      'definition-tokens-per-server/A': () => perServer(definitionTotal()),
      'mcpc-definition-tokens-over-budget/A': () => perServer(definitionTotal()),
      'server-outcomes/A': () => group(calls, ([, o, g]) => ({ [server]: SERVER_NAME, [outcome]: o, [origin]: g })),
      'definition-tokens/A': () =>
        new Map(
          [...definitions()].map(([name, n]) => [
            labelKey({
              [server]: SERVER_NAME,
              [promLabel(ATTR_DEFINITION_KIND)]: DEFINITION_KIND_VALUES.tool,
              [promLabel(ATTR_DEFINITION_NAME)]: name,
            }),
            n,
          ])
        ),
      'never-called-tools/A': () => {
        const never = SERVER_TOOLS.filter((t) => !called.has(t));
        if (never.join() !== NEVER_CALLED_TOOL) throw new Error(`never called: ${never.join(', ')}`);
        return served(never);
      },
      'definition-cost-vs-calls/A': () => served(SERVER_TOOLS),
      'definition-cost-vs-calls/B': () => group(notCancelled, ([t]) => ({ [server]: SERVER_NAME, [tool]: t })),
      'tool-errors/A': () => group(calls, ([t, , g]) => (g ? { [tool]: t, [origin]: g } : undefined)),
      'result-tokens/A': () => this.sum(METRIC_SERVER_RESULT_TOKENS.name, () => true, [ATTR_GEN_AI_TOOL_NAME]),
    };
    return table[id]?.();
  }

  /** The truth of a table key, or undefined when the row is not exact. */
  of(key: string): Expected {
    // Page keys are `<page>/<panel>/<refId>`, alert keys `<rule uid>/A`.
    const parts = key.split('/');
    const id = parts.length === 3 ? `${parts[1]}/${parts[2]}` : key;
    const calls = this.calls();
    const callsTotal = calls.reduce((t, [, , n]) => t + n, 0);
    const success = calls.filter(([, o]) => o === OUTCOME_VALUES.success).reduce((t, [, , n]) => t + n, 0);
    const r = this.requests;
    const tool = promLabel(ATTR_GEN_AI_TOOL_NAME);
    // Per tool: the calls of the outcomes `counted` keeps, or their share of its calls. A listed
    // tool the load never called has series of zeros on the client side: its share is 0/0.
    const perTool = (counted: (outcome: string) => boolean, ratio: boolean) => {
      const out = new Map<string, number>();
      const called = calls.filter(([, , n]) => n > 0).map(([name]) => name);
      for (const t of new Set([...called, ...(ratio ? SERVER_TOOLS : [])])) {
        const rows = calls.filter(([name]) => name === t);
        const kept = rows.filter(([, o]) => counted(o)).reduce((a, [, , n]) => a + n, 0);
        const all = rows.reduce((a, [, , n]) => a + n, 0);
        if (ratio || kept > 0) out.set(labelKey({ [tool]: t }), ratio ? (all > 0 ? kept / all : Number.NaN) : kept);
      }
      return out;
    };
    const tokensBy = (attr: string) => this.sum(METRIC_CONTEXT_TOKENS.name, () => true, [attr, ATTR_TOKEN_DISPOSITION]);
    const table: Record<string, () => Expected> = {
      'token-efficiency/A': () => this.efficiency(),
      'context-loss-rate/A': () => this.lossRate(),
      'tool-success-rate/A': () => success / callsTotal,
      'requests-per-session/A': () => r.reduce((a, b) => a + b, 0) / r.length,
      'mean-requests/A': () => r.reduce((a, b) => a + b, 0) / r.length,
      'mean-requests-trend/A': () => r.reduce((a, b) => a + b, 0) / r.length,
      'ratios-trend/A': () => this.efficiency(),
      'ratios-trend/B': () => this.lossRate(),
      'ratios-trend/C': () => success / callsTotal,
      'sessions-within-band/A': () =>
        r.filter((n) => n >= TARGET_REQUESTS_PER_SESSION.min && n <= TARGET_REQUESTS_PER_SESSION.max).length / r.length,
      'sessions-over-limit/A': () => r.filter((n) => n > TARGET_REQUESTS_PER_SESSION.max).length,
      'volumes/A': () => callsTotal,
      'volumes/B': () => this.total(METRIC_RESPONSES_EXPECTED.name),
      'volumes/C': () => r.length,
      'sessions-ended/A': () => r.length,
      // In-process clients are sessions in either era: none of the workload's calls is sessionless.
      'volumes/D': () => this.total(METRIC_SESSIONLESS_REQUESTS.name),
      'sessionless-requests/A': () => this.total(METRIC_SESSIONLESS_REQUESTS.name),
      'success-by-tool/A': () => perTool((o) => o === OUTCOME_VALUES.success, true),
      'top-failing-tools/A': () => perTool((o) => o !== OUTCOME_VALUES.success, false),
      'outcomes-by-tool/A': () =>
        new Map(
          calls
            .filter(([, , n]) => n > 0)
            .map(([t, o, n]) => [labelKey({ [tool]: t, [promLabel(ATTR_OUTCOME)]: o }), n])
        ),
      'requests-distribution/A': () =>
        new Map(
          [...SESSION_REQUEST_BUCKETS, Number.POSITIVE_INFINITY].map((le) => [
            labelKey({ le: le === Number.POSITIVE_INFINITY ? '+Inf' : String(le) }),
            r.filter((n) => n <= le).length,
          ])
        ),
      'efficiency-trend/A': () => this.efficiency([ATTR_SERVER_NAME]),
      'loss-rate-trend/A': () => this.lossRate([ATTR_SERVER_NAME]),
      'tokens-by-method/A': () => tokensBy(ATTR_MCP_METHOD_NAME),
      'tokens-by-tool/A': () => tokensBy(ATTR_GEN_AI_TOOL_NAME),
      'tokens-by-server/A': () => tokensBy(ATTR_SERVER_NAME),
      'wasted-tokens/A': () =>
        this.sum(
          METRIC_CONTEXT_TOKENS.name,
          (a) => a[ATTR_TOKEN_DISPOSITION] === 'redundant' || a[ATTR_TOKEN_DISPOSITION] === 'unused',
          [ATTR_TOKEN_DISPOSITION, ATTR_CONTEXT_SOURCE, ATTR_SERVER_NAME, ATTR_GEN_AI_TOOL_NAME]
        ),
      'lost-by-cause/A': () => this.sum(METRIC_RESPONSES_LOST.name, () => true, [ATTR_LOSS_CAUSE]),
      'token-totals/A': () => this.total(METRIC_CONTEXT_TOKENS.name),
      'token-totals/B': () => this.total(METRIC_LOST_TOKENS.name),
      'estimated-share/A': () => 0,
      'records-emitted/A': () => this.total(METRIC_AUDIT_RECORDS.name),
      'records-received/A': () => this.total(METRIC_AUDIT_RECORDS.name),
      'records-dropped/A': () => 0,
      'records-unreceived/A': () => 0,
      'dropped-by-reason/A': () => new Map(),
      'mcpc-session-over-limit/A': () => r.filter((n) => n > TARGET_REQUESTS_PER_SESSION.max).length,
      'mcpc-audit-dropped/A': () => 0,
      'mcpc-audit-unreceived/A': () => 0,
    };
    const f = table[id];
    if (!f) {
      const serverSide = this.server(id);
      if (serverSide === undefined) {
        throw new Error(`no truth for ${key}`);
      }
      return serverSide;
    }
    return f();
  }
}
