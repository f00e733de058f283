/**
 * promtool unit tests of the shipped rule file, rendered at test time so
 * that every series name comes from semconv's `promNames`. Each case holds
 * its own input series; eval at 10m with 1m samples lets every `for: 5m`
 * rule fire when its condition held from the start.
 */
import {
  ALERT_RULES,
  LABELS,
  METRIC_AUDIT_DROPPED,
  METRIC_AUDIT_RECEIVED,
  METRIC_AUDIT_RECORDS,
  METRIC_CONTEXT_TOKENS,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_SESSIONS_OVER_LIMIT,
  METRIC_TOOL_CALLS,
  METRIC_SERVER_DEFINITION_TOKENS,
  METRIC_SERVER_TOOL_CALLS,
  queries,
  serverQueries,
  promNames,
  type MetricDefinition,
} from '@mcp-conservation/semconv';

/** The Collector-path name (first of promNames). */
function name(def: MetricDefinition): string {
  return promNames(def)[0] as string;
}

function series(def: MetricDefinition, labels: Record<string, string>, values: string) {
  const all = { job: 'shop', ...labels };
  const inner = Object.entries(all)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return { series: `${name(def)}{${inner}}`, values };
}

function rule(id: string) {
  const r = ALERT_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
}

interface Case {
  readonly name: string;
  readonly rule: string;
  readonly input: ReturnType<typeof series>[];
  /** Expected `$value` in the summary when firing; undefined: must not fire. */
  readonly fires?: string;
  /** Labels of the firing alert beyond severity (a rule grouped per server has its server label). */
  readonly labels?: Readonly<Record<string, string>>;
  /** When to evaluate; 10m unless a rule's `for` needs longer. */
  readonly evalTime?: string;
}

const D = LABELS;

export const CASES: readonly Case[] = [
  {
    name: 'token efficiency 50% over 1000 tokens fires',
    rule: 'token-efficiency-low',
    input: [series(METRIC_CONTEXT_TOKENS, { [D.disposition]: 'meaningful' }, '0+500x15'), series(METRIC_CONTEXT_TOKENS, { [D.disposition]: 'redundant' }, '0+500x15')],
    fires: '50%',
  },
  {
    name: 'token efficiency 50% under the volume guard is silent',
    rule: 'token-efficiency-low',
    input: [series(METRIC_CONTEXT_TOKENS, { [D.disposition]: 'meaningful' }, '0+10x15'), series(METRIC_CONTEXT_TOKENS, { [D.disposition]: 'unused' }, '0+10x15')],
  },
  {
    name: 'token efficiency 95% is silent',
    rule: 'token-efficiency-low',
    input: [series(METRIC_CONTEXT_TOKENS, { [D.disposition]: 'meaningful' }, '0+950x15'), series(METRIC_CONTEXT_TOKENS, { [D.disposition]: 'unused' }, '0+50x15')],
  },
  {
    name: 'context loss 10% fires',
    rule: 'context-loss-high',
    input: [series(METRIC_RESPONSES_EXPECTED, {}, '0+100x15'), series(METRIC_RESPONSES_LOST, { [D.cause]: 'timeout' }, '0+10x15')],
    fires: '10%',
  },
  {
    name: 'context loss excludes cancelled requests from the denominator (1/40 fires)',
    rule: 'context-loss-high',
    input: [series(METRIC_RESPONSES_EXPECTED, {}, '0+100x15'), series(METRIC_RESPONSES_CANCELLED, {}, '0+60x15'), series(METRIC_RESPONSES_LOST, { [D.cause]: 'late' }, '0+1x15')],
    fires: '2.5%',
  },
  {
    name: 'context loss 50% under the volume guard is silent',
    rule: 'context-loss-high',
    input: [series(METRIC_RESPONSES_EXPECTED, {}, '0+2x15'), series(METRIC_RESPONSES_LOST, { [D.cause]: 'timeout' }, '0+1x15')],
  },
  {
    // 5 requests a minute, all but one of every 5 minutes cancelled: 25 decided, 1 expected response, lost.
    name: 'context loss guard counts expected responses, not cancelled requests (1 of 1 lost under the guard is silent)',
    rule: 'context-loss-high',
    input: [series(METRIC_RESPONSES_EXPECTED, {}, '0+5x15'), series(METRIC_RESPONSES_CANCELLED, {}, '0+4.8x15'), series(METRIC_RESPONSES_LOST, { [D.cause]: 'timeout' }, '0+0.2x15')],
  },
  {
    name: 'no loss series at all is silent',
    rule: 'context-loss-high',
    input: [series(METRIC_RESPONSES_EXPECTED, {}, '0+100x15')],
  },
  {
    name: 'tool success 90% fires',
    rule: 'tool-success-low',
    input: [series(METRIC_TOOL_CALLS, { [D.outcome]: 'success' }, '0+90x15'), series(METRIC_TOOL_CALLS, { [D.outcome]: 'tool_error' }, '0+10x15')],
    fires: '90%',
  },
  {
    name: 'tool success excludes cancelled calls (99% is silent)',
    rule: 'tool-success-low',
    input: [
      series(METRIC_TOOL_CALLS, { [D.outcome]: 'success' }, '0+99x15'),
      series(METRIC_TOOL_CALLS, { [D.outcome]: 'cancelled' }, '0+50x15'),
      series(METRIC_TOOL_CALLS, { [D.outcome]: 'timeout' }, '0+1x15'),
    ],
  },
  {
    name: 'tool success 50% under the volume guard is silent',
    rule: 'tool-success-low',
    input: [series(METRIC_TOOL_CALLS, { [D.outcome]: 'success' }, '0+1x15'), series(METRIC_TOOL_CALLS, { [D.outcome]: 'tool_error' }, '0+1x15')],
  },
  {
    name: 'a session over the request limit fires at once',
    rule: 'session-over-limit',
    input: [series(METRIC_SESSIONS_OVER_LIMIT, {}, '0x5 1x10')],
    fires: '1',
  },
  {
    name: 'no session over the limit is silent',
    rule: 'session-over-limit',
    input: [series(METRIC_SESSIONS_OVER_LIMIT, {}, '0x15')],
  },
  {
    name: 'dropped audit records fire at once',
    rule: 'audit-dropped',
    input: [series(METRIC_AUDIT_DROPPED, { [D.dropReason]: 'queue_full' }, '0x5 3x10')],
    fires: '3',
  },
  {
    name: 'no dropped audit record is silent',
    rule: 'audit-dropped',
    input: [series(METRIC_AUDIT_DROPPED, { [D.dropReason]: 'queue_full' }, '0x15')],
  },
  {
    name: 'records emitted but not received fire',
    rule: 'audit-unreceived',
    input: [series(METRIC_AUDIT_RECORDS, {}, '0+30x20'), series(METRIC_AUDIT_RECEIVED, {}, '0+24x20')],
    fires: '15%',
    evalTime: '15m',
  },
  {
    name: 'records emitted and never counted at the gateway fire',
    rule: 'audit-unreceived',
    input: [series(METRIC_AUDIT_RECORDS, {}, '0+30x20')],
    fires: '75%',
    evalTime: '15m',
  },
  {
    name: 'a shortfall within the noise of two increase()s is silent',
    rule: 'audit-unreceived',
    input: [series(METRIC_AUDIT_RECORDS, {}, '0+30x20'), series(METRIC_AUDIT_RECEIVED, {}, '0+29x20')],
    evalTime: '15m',
  },
  {
    name: 'too few records to judge is silent',
    rule: 'audit-unreceived',
    input: [series(METRIC_AUDIT_RECORDS, {}, '0+1x20')],
    evalTime: '15m',
  },
  {
    name: 'server tool failure 3% (server errors only) fires',
    rule: 'server-tool-failure-high',
    input: [
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'success' }, '0+96x15'),
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'tool_error', [D.origin]: 'server' }, '0+3x15'),
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'protocol_error', [D.origin]: 'caller' }, '0+1x15'),
    ],
    fires: '3%',
  },
  {
    name: 'caller mistakes are not server failures (10% caller errors, none of the server’s, is silent)',
    rule: 'server-tool-failure-high',
    input: [
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'success' }, '0+90x15'),
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'protocol_error', [D.origin]: 'caller' }, '0+10x15'),
    ],
  },
  {
    name: 'server tool failure excludes cancelled calls (1 in 100 non-cancelled is silent)',
    rule: 'server-tool-failure-high',
    input: [
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'success' }, '0+99x15'),
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'cancelled' }, '0+50x15'),
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'tool_error', [D.origin]: 'server' }, '0+1x15'),
    ],
  },
  {
    name: 'server tool failure 50% under the volume guard is silent',
    rule: 'server-tool-failure-high',
    input: [
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'success' }, '0+1x15'),
      series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'tool_error', [D.origin]: 'server' }, '0+1x15'),
    ],
  },
  {
    // Two replicas of catalog report the same definitions: counted once. Kinds add up.
    name: 'a server whose definitions total 5,500 tokens fires, per server; a small server beside it is silent',
    rule: 'definition-tokens-over-budget',
    input: [
      ...['shop', 'shop-2'].flatMap((job) => [
        series(METRIC_SERVER_DEFINITION_TOKENS, { job, [D.server]: 'catalog', [D.definitionKind]: 'tool', [D.definitionName]: 'search' }, '3000x15'),
        series(METRIC_SERVER_DEFINITION_TOKENS, { job, [D.server]: 'catalog', [D.definitionKind]: 'tool', [D.definitionName]: 'export' }, '2000x15'),
        series(METRIC_SERVER_DEFINITION_TOKENS, { job, [D.server]: 'catalog', [D.definitionKind]: 'prompt', [D.definitionName]: 'summary' }, '500x15'),
      ]),
      series(METRIC_SERVER_DEFINITION_TOKENS, { [D.server]: 'small', [D.definitionKind]: 'tool', [D.definitionName]: 'ping' }, '1000x15'),
    ],
    fires: '5500',
    labels: { [D.server]: 'catalog' },
  },
  {
    name: 'definitions within the budget (4,999 tokens) are silent',
    rule: 'definition-tokens-over-budget',
    input: [
      series(METRIC_SERVER_DEFINITION_TOKENS, { [D.server]: 'catalog', [D.definitionKind]: 'tool', [D.definitionName]: 'search' }, '4000x15'),
      series(METRIC_SERVER_DEFINITION_TOKENS, { [D.server]: 'catalog', [D.definitionKind]: 'resource_template', [D.definitionName]: 'file' }, '999x15'),
    ],
  },
  {
    // A changed definition is a step of its gauge: the alert follows the current version.
    name: 'definitions trimmed under the budget stop the alert',
    rule: 'definition-tokens-over-budget',
    input: [series(METRIC_SERVER_DEFINITION_TOKENS, { [D.server]: 'catalog', [D.definitionKind]: 'tool', [D.definitionName]: 'search' }, '6000x5 3000x10')],
  },
];

/** The expected summary: label templates filled from the alert's labels, the value template with `fires`. */
function expectedSummary(summary: string, fires: string, labels: Readonly<Record<string, string>>): string {
  return summary.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l] ?? '').replace(/\{\{[^}]*\$value[^}]*\}\}/, fires);
}

/** The promtool test document for a rule file. */
export function promtoolTests(ruleFile: string) {
  const tests: unknown[] = CASES.map((c) => {
    const r = rule(c.rule);
    return {
      name: c.name,
      interval: '1m',
      input_series: c.input,
      alert_rule_test: [
        {
          eval_time: c.evalTime ?? '10m',
          alertname: r.alert,
          exp_alerts:
            c.fires === undefined
              ? []
              : [
                  {
                    exp_labels: { severity: r.severity, ...c.labels },
                    exp_annotations: { title: r.title, summary: expectedSummary(r.summary, c.fires, c.labels ?? {}), description: r.description },
                  },
                ],
        },
      ],
    };
  });
  // An absent loss series must read as zero loss, not as no data.
  tests.push({
    name: 'context loss rate is 0, not empty, when nothing was lost',
    interval: '1m',
    input_series: [series(METRIC_RESPONSES_EXPECTED, {}, '0+100x15')],
    promql_expr_test: [{ expr: queries.contextLossRate({ window: '5m' }), eval_time: '10m', exp_samples: [{ labels: '{}', value: 0 }] }],
  });
  // No server failure series yet must read as a zero failure rate, not as no data.
  tests.push({
    name: 'server tool failure rate is 0, not empty, when the server never failed',
    interval: '1m',
    input_series: [series(METRIC_SERVER_TOOL_CALLS, { [D.outcome]: 'success' }, '0+100x15')],
    promql_expr_test: [{ expr: serverQueries.serverToolFailureRate({ window: '5m' }), eval_time: '10m', exp_samples: [{ labels: '{}', value: 0 }] }],
  });
  return { rule_files: [ruleFile], evaluation_interval: '1m', tests };
}
