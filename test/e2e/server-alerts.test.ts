/**
 * The two server-side alert rules fired end to end: the real OTel JS SDK
 * emits the server metrics (named, typed and labelled from semconv) to the
 * agent Collector, through the gateway into Prometheus, whose rules (the
 * shipped ones at a fifth of their time scale) notify the real Alertmanager.
 *
 * SYNTHETIC until the server instrumentation lands: the meter records what
 * an instrumented server would, with known values. Two servers:
 * - `catalog` fails 2 of its 27 tool calls a tick by its own fault (and 5 by
 *   the caller's) and its definitions cost 6,300 tokens, over the budget;
 * - `calm` has caller mistakes only (5 of 15 a tick) and 1,000 tokens of
 *   definitions.
 * The failure rate counts server errors only: 2 / (27 + 15) = 4.76%, where
 * counting caller mistakes too would read 12 / 42 = 28.6%.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Counter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  ALERT_RULES,
  ATTR_DEFINITION_KIND,
  ATTR_DEFINITION_NAME,
  ATTR_ERROR_ORIGIN,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_SERVER_NAME,
  DEFINITION_KIND_VALUES,
  ERROR_ORIGIN_VALUES,
  INSTRUMENTATION_SCOPE_NAME,
  LABELS,
  METRIC_SERVER_DEFINITION_TOKENS,
  METRIC_SERVER_TOOL_CALLS,
  OBSERVER_VALUES,
  OUTCOME_VALUES,
} from '@mcp-conservation/semconv';
import { startStack, type Stack } from '@mcp-conservation/e2e/harness';
import { SCALED_RULES } from './scaled-rules.ts';

interface ServerProfile {
  readonly service: string;
  readonly server: string;
  /** Tool calls per tick: successes, the server's own failures, the caller's mistakes. */
  readonly success: number;
  readonly serverErrors: number;
  readonly callerErrors: number;
  /** Definition tokens by kind and name. */
  readonly definitions: ReadonlyArray<readonly [string, string, number]>;
}

const CATALOG: ServerProfile = {
  service: 'catalog-server',
  server: 'catalog',
  success: 20,
  serverErrors: 2,
  callerErrors: 5,
  definitions: [
    [DEFINITION_KIND_VALUES.tool, 'search', 3000],
    [DEFINITION_KIND_VALUES.tool, 'export', 2500],
    [DEFINITION_KIND_VALUES.prompt, 'summary', 800],
  ],
};
const CALM: ServerProfile = {
  service: 'calm-server',
  server: 'calm',
  success: 10,
  serverErrors: 0,
  callerErrors: 5,
  definitions: [[DEFINITION_KIND_VALUES.tool, 'ping', 1000]],
};
const PROFILES = [CATALOG, CALM];
const TICK_MS = 1000;

const failureRule = ALERT_RULES.find((r) => r.id === 'server-tool-failure-high')!;
const budgetRule = ALERT_RULES.find((r) => r.id === 'definition-tokens-over-budget')!;

class SyntheticServer {
  readonly provider: MeterProvider;
  private readonly calls: Counter;
  private readonly profile: ServerProfile;

  constructor(profile: ServerProfile, otlpUrl: string) {
    this.profile = profile;
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': profile.service, 'service.instance.id': `${profile.service}-1` }),
      readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${otlpUrl}/v1/metrics` }), exportIntervalMillis: 500 })],
    });
    const meter = this.provider.getMeter(INSTRUMENTATION_SCOPE_NAME);
    this.calls = meter.createCounter(METRIC_SERVER_TOOL_CALLS.name, { unit: METRIC_SERVER_TOOL_CALLS.unit });
    const gauge = meter.createGauge(METRIC_SERVER_DEFINITION_TOKENS.name, { unit: METRIC_SERVER_DEFINITION_TOKENS.unit });
    for (const [kind, name, tokens] of profile.definitions) {
      gauge.record(tokens, { ...this.common, [ATTR_DEFINITION_KIND]: kind, [ATTR_DEFINITION_NAME]: name });
    }
    // Every series at zero first, so that the first tick counts as an increase.
    this.tick(0);
  }

  private get common() {
    return { [ATTR_SERVER_NAME]: this.profile.server, [ATTR_OBSERVER]: OBSERVER_VALUES.sdk };
  }

  tick(scale = 1): void {
    const attrs = { ...this.common, [ATTR_GEN_AI_TOOL_NAME]: 'search' };
    this.calls.add(this.profile.success * scale, { ...attrs, [ATTR_OUTCOME]: OUTCOME_VALUES.success });
    this.calls.add(this.profile.serverErrors * scale, { ...attrs, [ATTR_OUTCOME]: OUTCOME_VALUES.toolError, [ATTR_ERROR_ORIGIN]: ERROR_ORIGIN_VALUES.server });
    this.calls.add(this.profile.callerErrors * scale, { ...attrs, [ATTR_OUTCOME]: OUTCOME_VALUES.protocolError, [ATTR_ERROR_ORIGIN]: ERROR_ORIGIN_VALUES.caller });
  }
}

let stack: Stack;
let servers: SyntheticServer[] = [];
let pacing: NodeJS.Timeout | undefined;

before(async () => {
  stack = await startStack({ rules: SCALED_RULES });
  servers = PROFILES.map((p) => new SyntheticServer(p, stack.otlpUrl));
  // Pacing, not synchronisation: rates need traffic spread over time, until the tests have seen their alerts.
  pacing = setInterval(() => {
    for (const s of servers) s.tick();
  }, TICK_MS);
});

after(async () => {
  clearInterval(pacing);
  for (const s of servers) await s.provider.shutdown().catch(() => undefined);
  await stack?.stop();
});

function am() {
  if (!stack.alertmanager) throw new Error('no alertmanager');
  return stack.alertmanager;
}

test('McpServerToolFailureHigh fires at Alertmanager on server errors only (caller mistakes not counted)', async () => {
  const alert = await am().waitForFiring({ alertname: failureRule.alert, export_path: 'collector_prometheus_exporter' }, 240_000);
  assert.equal(alert.labels.severity, failureRule.severity);
  const m = /is ([\d.]+)%/.exec(alert.annotations.summary ?? '');
  assert.ok(m, alert.annotations.summary);
  const percent = Number(m[1]);
  // 2 / 42 = 4.76%; with caller mistakes it would be 28.6%. The window's edges move it a little.
  assert.ok(percent > 4 && percent < 5.6, `failure rate ${percent}%`);
});

test('McpServerDefinitionsOverBudget fires for the server over the budget, with its server label and cost, and not for the one within it', async () => {
  const alert = await am().waitForFiring({ alertname: budgetRule.alert, export_path: 'collector_prometheus_exporter' }, 240_000);
  assert.equal(alert.labels[LABELS.server], CATALOG.server);
  assert.equal(alert.labels.severity, budgetRule.severity);
  assert.equal(alert.annotations.summary, `Server ${CATALOG.server} definitions cost 6300 tokens, over the budget.`);
  const rule = (await stack.promScrape.rules()).find((r) => r.name === budgetRule.alert);
  assert.deepEqual(
    rule?.alerts.map((a) => [a.labels[LABELS.server], a.state, Number(a.value)]),
    [[CATALOG.server, 'firing', 6300]],
    'calm, at 1,000 tokens, is evaluated and not pending or firing',
  );
  assert.equal(am().firing({ alertname: budgetRule.alert, [LABELS.server]: CALM.server }).length, 0);
});
