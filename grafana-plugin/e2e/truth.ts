/**
 * The true value of every `exact` row of the query table, for the load
 * phase of the workload: from the session scripts where they fix it (tool
 * outcomes, sessions, requests per session), else from the SDK's own
 * cumulative totals (the difference between the end and the start of the
 * load), grouped the way the query groups.
 */
import {
  ATTR_CONTEXT_SOURCE,
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
  METRIC_RESPONSES_LOST,
  OUTCOME_VALUES,
  SESSION_REQUEST_BUCKETS,
  TARGET_REQUESTS_PER_SESSION,
  promLabel,
} from '@mcp-conservation/semconv';
import {
  CALLER_ERRORS_PER_SESSION,
  SERVER_DEFINITION_TOKENS,
  SERVER_NAME,
  SERVER_RESULT_TOKENS,
  requestsOf,
  type Point,
  type SessionScript,
  type Totals,
} from './workload.ts';

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
    return { ...p, value: p.value - (s?.value ?? 0), count: p.count - (s?.count ?? 0), sum: p.sum - (s?.sum ?? 0) };
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

  /** Sum of a counter's load-phase increase, optionally filtered and grouped by attributes (as Prometheus labels). */
  sum(
    metric: string,
    filter: (a: Record<string, string>) => boolean = () => true,
    groupBy?: readonly string[]
  ): Expected {
    const points = delta(this.end, this.start, metric).filter((p) => filter(p.attributes));
    if (!groupBy) {
      return points.reduce((t, p) => t + p.value, 0);
    }
    const out = new Map<string, number>();
    for (const p of points) {
      const key = labelKey(Object.fromEntries(groupBy.map((a) => [promLabel(a), p.attributes[a] ?? ''])));
      out.set(key, (out.get(key) ?? 0) + p.value);
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

  /** Calls per tool and outcome, from the scripts. */
  private calls(): Array<[string, string, number]> {
    const s = (f: (x: SessionScript) => number) => this.scripts.reduce((t, x) => t + f(x), 0);
    return [
      ['search', OUTCOME_VALUES.success, s((x) => x.search)],
      ['flaky', OUTCOME_VALUES.toolError, s((x) => x.flaky)],
      ['slow', OUTCOME_VALUES.timeout, s((x) => x.slow)],
    ];
  }

  /** The synthetic server side's calls per tool, outcome and origin (workload.ts), from the scripts. */
  private serverCalls(): Array<[string, string, string, number]> {
    const s = (f: (x: SessionScript) => number) => this.scripts.reduce((t, x) => t + f(x), 0);
    return [
      ['search', OUTCOME_VALUES.success, '', s((x) => x.search)],
      ['flaky', OUTCOME_VALUES.toolError, 'server', s((x) => x.flaky)],
      ['slow', OUTCOME_VALUES.success, '', s((x) => x.slow)],
      ['search', OUTCOME_VALUES.protocolError, 'caller', CALLER_ERRORS_PER_SESSION * this.scripts.length],
    ];
  }

  /** The truth of a Servers page key, or undefined. */
  private server(id: string): Expected | undefined {
    const server = promLabel(ATTR_SERVER_NAME);
    const tool = promLabel(ATTR_GEN_AI_TOOL_NAME);
    const outcome = promLabel('mcp_conservation.outcome');
    const origin = promLabel('mcp_conservation.error.origin');
    const calls = this.serverCalls();
    const listings = this.scripts.length;
    const definitionTotal = Object.values(SERVER_DEFINITION_TOKENS).reduce((a, b) => a + b, 0);
    const group = (key: (c: [string, string, string, number]) => Record<string, string> | undefined) => {
      const out = new Map<string, number>();
      for (const c of calls) {
        const k = key(c);
        if (k && c[3] > 0) out.set(labelKey(k), (out.get(labelKey(k)) ?? 0) + c[3]);
      }
      return out;
    };
    const served = (tools: string[]) =>
      new Map(tools.map((t) => [labelKey({ [server]: SERVER_NAME, [tool]: t }), SERVER_DEFINITION_TOKENS[t]! * listings]));
    const called = new Set(calls.filter((c) => c[3] > 0).map((c) => c[0]));
    const table: Record<string, () => Expected> = {
      'server-failure-rate/A': () =>
        new Map([[labelKey({ [server]: SERVER_NAME }), calls.filter((c) => c[2] === 'server').reduce((t, c) => t + c[3], 0) / calls.reduce((t, c) => t + c[3], 0)]]),
      'definition-tokens-per-server/A': () => new Map([[labelKey({ [server]: SERVER_NAME }), definitionTotal]]),
      'mcpc-definition-tokens-over-budget/A': () => new Map([[labelKey({ [server]: SERVER_NAME }), definitionTotal]]),
      'server-outcomes/A': () => group(([, o, g]) => ({ [server]: SERVER_NAME, [outcome]: o, [origin]: g })),
      'definition-tokens/A': () =>
        new Map(
          Object.entries(SERVER_DEFINITION_TOKENS).map(([name, n]) => [
            labelKey({ [server]: SERVER_NAME, [promLabel('mcp_conservation.definition.kind')]: 'tool', [promLabel('mcp_conservation.definition.name')]: name }),
            n,
          ])
        ),
      'never-called-tools/A': () => served(Object.keys(SERVER_DEFINITION_TOKENS).filter((t) => !called.has(t))),
      'definition-cost-vs-calls/A': () => served(Object.keys(SERVER_DEFINITION_TOKENS)),
      'definition-cost-vs-calls/B': () => group(([t]) => ({ [server]: SERVER_NAME, [tool]: t })),
      'tool-errors/A': () => group(([t, , g]) => (g ? { [tool]: t, [origin]: g } : undefined)),
      'result-tokens/A': () => group(([t, , g]) => (g === 'caller' ? undefined : { [tool]: t })),
    };
    const f = table[id];
    if (!f) return undefined;
    const out = f();
    if (id === 'result-tokens/A') {
      // Tokens, not calls: each call of a tool sends that tool's result tokens.
      return new Map([...(out as Map<string, number>)].map(([k, n]) => [k, n * SERVER_RESULT_TOKENS[(JSON.parse(k) as Record<string, string>)[tool]!]!]));
    }
    return out;
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
    const perTool = (f: (outcome: string, n: number) => number | undefined) =>
      new Map(
        calls.flatMap(([t, o, n]) =>
          n > 0 && f(o, n) !== undefined ? [[labelKey({ [tool]: t }), f(o, n)!] as [string, number]] : []
        )
      );
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
      'success-by-tool/A': () => perTool((o) => (o === OUTCOME_VALUES.success ? 1 : 0)),
      'top-failing-tools/A': () => perTool((o, n) => (o === OUTCOME_VALUES.success ? undefined : n)),
      'outcomes-by-tool/A': () =>
        new Map(
          calls
            .filter(([, , n]) => n > 0)
            .map(([t, o, n]) => [labelKey({ [tool]: t, [promLabel('mcp_conservation.outcome')]: o }), n])
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
