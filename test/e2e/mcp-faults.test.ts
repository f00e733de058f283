/**
 * A real instrumented MCP client against a real MCP server, through agent
 * -> gateway -> Prometheus, with faults in the pipeline:
 *  1. the gateway stops for 30 s mid-workload, then restarts;
 *  2. the gateway is SIGKILLed while its OTLP backend is down, restarts,
 *     then the backend comes back: the persistent queue delivers.
 * After each: no audit record lost, what the SDK dropped is counted, and the
 * SDK's totals arrive exactly in Prometheus.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALERT_RULES, ATTR_DROP_REASON, ATTR_LOSS_CAUSE, METRIC_RESPONSES_CANCELLED, METRIC_RESPONSES_LOST, METRIC_AUDIT_DROPPED, METRIC_AUDIT_RECORDS, METRIC_RESPONSES_EXPECTED, METRIC_TOOL_CALLS, METRIC_CONTEXT_TOKENS, METRIC_SESSION_REQUESTS, ATTR_OUTCOME, ATTR_GEN_AI_TOOL_NAME, PAYLOAD_ATTRIBUTE_KEYS, LABELS, queries, spanName, type QueryScope } from '@mcp-conservation/semconv';
import { verifyChain, auditRecordFromOtlp, AUDIT_FIELDS, type AuditRecord, type OtlpJsonKeyValue } from '@mcp-conservation/semconv/audit';
import { startStack, phase, waitFor, readArchive, auditRecords, type Stack, type PrometheusService, type PromRule } from '@mcp-conservation/e2e/harness';
import { McpApp, PER_SESSION } from './mcp-app.ts';
import { SCALED_RULES, WINDOW } from './scaled-rules.ts';

const SERVICE = 'mcp-shop';
const GATEWAY_DOWN_MS = 30_000;
let stack: Stack;
let app: McpApp;
let workloadEnd: Date;
const L = (s: QueryScope = {}): QueryScope => ({ service: SERVICE, ...s, window: 'lifetime' });
const figures: Record<string, unknown> = {};

/** Runs sessions back to back until `until` settles; a failing session aborts the fault. */
async function sessionsDuring(until: Promise<void>, abort: AbortController): Promise<void> {
  let settled = false;
  void until.then(
    () => (settled = true),
    () => (settled = true),
  );
  try {
    let n = 0;
    while (!settled) await app.session(n++);
  } catch (err) {
    abort.abort();
    await until.catch(() => undefined);
    throw err;
  }
  await until;
}

/** Stops the gateway for GATEWAY_DOWN_MS after 5 sessions, restarts it, lets 5 more sessions run. */
async function gatewayOutage(signal: AbortSignal): Promise<void> {
  const failIf = () => (signal.aborted ? 'the workload failed' : undefined);
  await waitFor(() => app.sessions >= 5 || undefined, { what: '5 sessions before the fault', timeoutMs: 60_000, intervalMs: 50, failIf });
  await stack.gateway.stop('SIGTERM');
  const downAt = Date.now();
  // The outage lasts 30 s while the workload goes on: its duration, not a synchronisation.
  await waitFor(() => Date.now() - downAt >= GATEWAY_DOWN_MS || undefined, { what: 'the outage to last', timeoutMs: GATEWAY_DOWN_MS + 5000, intervalMs: 200, failIf });
  const sessionsDuringOutage = app.sessions;
  await stack.gateway.start();
  await waitFor(() => app.sessions >= sessionsDuringOutage + 5 || undefined, { what: '5 sessions after the restart', timeoutMs: 60_000, intervalMs: 50, failIf });
}

/** The rule's state at its first evaluation after `time`. */
async function evaluatedAfter(prom: PrometheusService, alert: string, time: Date): Promise<PromRule> {
  const probe = async (): Promise<PromRule | undefined> => {
    const r = (await prom.rules()).find((x) => x.name === alert);
    return r && new Date(r.lastEvaluation) > time ? r : undefined;
  };
  return waitFor(probe, { what: `${alert} evaluated after ${time.toISOString()} on ${prom.name}`, timeoutMs: 30_000 });
}

function archivedRecords(): AuditRecord[] {
  return auditRecords(readArchive(stack.auditArchivePath as string));
}

function uniqueByLink(records: readonly AuditRecord[]): Map<string, AuditRecord> {
  return new Map(records.map((r) => [String(r[AUDIT_FIELDS.link]), r]));
}

before(async () => {
  stack = await startStack({ rules: SCALED_RULES });
  app = new McpApp(SERVICE, stack.otlpUrl);
});

after(async () => {
  await app?.shutdown().catch(() => undefined);
  await stack?.stop();
});

describe('MCP workload with pipeline faults', () => {
  test('gateway stopped for 30 s mid-workload: every audit record arrives, SDK totals exact in Prometheus', async () => {
    await phase('workload (MCP sessions, gateway down 30 s)', async () => {
      const abort = new AbortController();
      await sessionsDuring(gatewayOutage(abort.signal), abort);
      await app.flush();
    });
    const sent = await app.sdkTotal(METRIC_AUDIT_RECORDS.name);
    const dropped = await app.sdkTotal(METRIC_AUDIT_DROPPED.name);
    assert.ok(sent > app.sessions * (PER_SESSION.success + PER_SESSION.toolError + PER_SESSION.timeout), `at least one record per call (${sent})`);
    const archived = await waitFor(() => {
      const recs = archivedRecords();
      return uniqueByLink(recs).size >= sent ? recs : undefined;
    }, { what: `${sent} records in the gateway archive`, timeoutMs: 90_000, intervalMs: 500 });
    const result = verifyChain(archived);
    assert.deepEqual(result.problems, []);
    assert.equal(uniqueByLink(archived).size, sent);
    assert.equal(dropped, 0, 'the agent stayed up: nothing dropped on the SDK side');
    // Spans crossed agent and gateway to the backend without their payload.
    type Span = { name: string; spanId: string; attributes?: { key: string }[] };
    const backendSpans = () =>
      stack.backend.traces.flatMap((b) => (b as { resourceSpans?: { scopeSpans?: { spans?: Span[] }[] }[] }).resourceSpans ?? []).flatMap((rs) => rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []);
    const searchSpan = spanName('tools/call', 'search');
    const wantSpans = app.sessions * PER_SESSION.success;
    const spans = await waitFor(() => {
      const all = backendSpans();
      return new Set(all.filter((x) => x.name === searchSpan).map((x) => x.spanId)).size >= wantSpans ? all : undefined;
    }, { what: `${wantSpans} "${searchSpan}" spans at the backend`, timeoutMs: 60_000, intervalMs: 500 });
    const toolSpans = spans.filter((x) => x.name === searchSpan);
    assert.equal(new Set(toolSpans.map((x) => x.spanId)).size, wantSpans);
    assert.ok(toolSpans.every((x) => x.attributes?.some((a) => a.key === ATTR_GEN_AI_TOOL_NAME)));
    for (const span of spans) for (const key of PAYLOAD_ATTRIBUTE_KEYS) assert.ok(!span.attributes?.some((a) => a.key === key), `${key} on span ${span.name}`);
    figures.gatewayOutage = { sessions: app.sessions, sent, receivedUnique: uniqueByLink(archived).size, duplicates: result.duplicates, droppedSdk: dropped };

    // The SDK's cumulative totals reach both Prometheus paths exactly, across the restart.
    for (const prom of [stack.promScrape, stack.promRemoteWrite]) {
      const want = {
        toolSuccess: await app.sdkTotal(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'success' }),
        toolCalls: (await app.sdkTotal(METRIC_TOOL_CALLS.name)) - (await app.sdkTotal(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'cancelled' })),
        expected: await app.sdkTotal(METRIC_RESPONSES_EXPECTED.name),
        tokens: await app.sdkTotal(METRIC_CONTEXT_TOKENS.name),
        sessions: await app.sdkTotal(METRIC_SESSION_REQUESTS.name),
        lostTimeout: await app.sdkTotal(METRIC_RESPONSES_LOST.name, { [ATTR_LOSS_CAUSE]: 'timeout' }),
        emitted: sent,
      };
      // The injected faults, known: one timeout per session, nothing else lost.
      assert.equal(want.lostTimeout, app.sessions);
      assert.equal(await app.sdkTotal(METRIC_RESPONSES_LOST.name), app.sessions);
      assert.equal(want.toolSuccess, app.sessions * PER_SESSION.success);
      assert.equal(want.toolCalls, app.sessions * (PER_SESSION.success + PER_SESSION.toolError + PER_SESSION.timeout));
      assert.equal(want.sessions, app.sessions);
      let got: unknown;
      const read = async (p: PrometheusService) => ({
        toolSuccess: (await p.query(queries.toolCallsByOutcome(L()))).find((x) => x.metric[LABELS.outcome] === 'success')?.value,
        toolCalls: await p.value(queries.toolCalls(L())),
        expected: await p.value(queries.responsesExpected(L())),
        tokens: await p.value(queries.renderedTokens(L())),
        sessions: await p.value(queries.sessionsEnded(L())),
        lostTimeout: (await p.query(queries.responsesLostByCause(L()))).find((x) => x.metric[LABELS.cause] === 'timeout')?.value,
        emitted: await p.value(queries.auditRecordsEmitted(L())),
      });
      await waitFor(async () => {
        got = await read(prom);
        return JSON.stringify(got) === JSON.stringify(want) || undefined;
      }, { what: `SDK totals on ${prom.name}`, timeoutMs: 60_000, intervalMs: 500 }).catch(() => assert.deepEqual(got, want, prom.name));
      // Ratios within 0.1 point of the SDK's.
      const success = await prom.value(queries.toolSuccessRate(L()));
      const trueSuccess = PER_SESSION.success / (PER_SESSION.success + PER_SESSION.toolError + PER_SESSION.timeout);
      assert.ok(success !== undefined && Math.abs(success - trueSuccess) < 0.001, `tool success ${success} vs ${trueSuccess}`);
      const loss = await prom.value(queries.contextLossRate(L()));
      const trueLoss = want.lostTimeout / (want.expected - (await app.sdkTotal(METRIC_RESPONSES_CANCELLED.name)));
      assert.ok(loss !== undefined && Math.abs(loss - trueLoss) < 0.001, `loss rate ${loss} vs ${trueLoss}`);
    }
  });

  test('gateway SIGKILLed while its backend is down: the persistent queue delivers every audit record after restart', async () => {
    const before = uniqueByLink(stack.backend.logRecords().map((r) => auditRecordFromOtlp(r.attributes as OtlpJsonKeyValue[])));
    await stack.backend.stop();
    const sentBefore = await app.sdkTotal(METRIC_AUDIT_RECORDS.name);
    await phase('workload (MCP sessions, backend down, gateway SIGKILL)', async () => {
      for (let i = 0; i < 10; i++) await app.session(app.sessions);
      await app.flush();
    });
    const sent = await app.sdkTotal(METRIC_AUDIT_RECORDS.name);
    const burst = sent - sentBefore;
    // The gateway accepted the burst: archived, and queued on disk for the backend.
    await waitFor(() => uniqueByLink(archivedRecords()).size >= sent || undefined, { what: 'burst archived at the gateway', timeoutMs: 60_000 });
    const queued = await waitFor(async () => {
      const q = await stack.gateway.selfMetric('otelcol_exporter_queue_size', (l) => l.includes('exporter="otlp_http"'));
      return q > 0 ? q : undefined;
    }, { what: 'batches in the persistent queue', timeoutMs: 30_000 });
    await stack.gateway.stop('SIGKILL');
    await stack.gateway.start();
    await stack.backend.start();
    const all = await waitFor(() => {
      const got = uniqueByLink(stack.backend.logRecords().map((r) => auditRecordFromOtlp(r.attributes as OtlpJsonKeyValue[])));
      return got.size >= sent ? got : undefined;
    }, { what: `all ${sent} records at the backend after the restart`, timeoutMs: 90_000, intervalMs: 500 });
    assert.equal(all.size, sent);
    const result = verifyChain([...all.values()]);
    assert.deepEqual(result.problems, []);
    const dropped = await app.sdkTotal(METRIC_AUDIT_DROPPED.name);
    assert.equal(dropped, 0);
    workloadEnd = new Date();
    figures.sigkillWithBackendDown = { burst, queuedBatchesAtKill: queued, sent, backendUnique: all.size, backendBeforeFault: before.size, droppedSdk: dropped };
    console.log(`[e2e] fault figures ${JSON.stringify(figures)}`);
  });

  test('the injected tool errors and timeouts fire their alerts at Alertmanager; no session over the limit evaluates to 0', async () => {
    const am = stack.alertmanager;
    assert.ok(am);
    // The faults go on (every session: a tool error and a timeout) until the
    // alerts fire: a rule's `for` needs its condition to hold while traffic
    // flows, however fast the earlier workloads ran.
    const firing = (async () => {
      for (const export_path of ['collector_prometheus_exporter', 'remote_write']) {
        for (const alertname of ['McpToolSuccessLow', 'McpContextLossHigh']) await am.waitForFiring({ alertname, export_path }, 180_000);
      }
    })();
    await phase('workload (MCP sessions until the fault alerts fire)', () => sessionsDuring(firing, new AbortController()));
    await app.flush();
    workloadEnd = new Date();
    const rule = ALERT_RULES.find((r) => r.id === 'session-over-limit');
    assert.ok(rule);
    for (const prom of [stack.promScrape, stack.promRemoteWrite]) {
      const state = await evaluatedAfter(prom, rule.alert, workloadEnd);
      assert.equal(state.state, 'inactive');
      const value = await prom.value(rule.query({ service: SERVICE, window: WINDOW }));
      assert.equal(value, 0, 'present and zero: the instrumentation creates the series at 0');
    }
  });

  test('agent down: the SDK counts what it drops, sent = received + dropped exactly, McpAuditRecordsDropped fires', async () => {
    const links = () => uniqueByLink(archivedRecords());
    const sentBefore = await app.sdkTotal(METRIC_AUDIT_RECORDS.name);
    await waitFor(() => links().size >= sentBefore || undefined, { what: 'earlier records archived', timeoutMs: 60_000 });
    await stack.agent.stop('SIGTERM');
    await phase('workload (MCP sessions, agent down)', async () => {
      for (let i = 0; i < 3; i++) await app.session(app.sessions);
      await app.flush({ metrics: false });
    });
    await stack.agent.start();
    for (let i = 0; i < 3; i++) await app.session(app.sessions);
    await app.flush();
    const sent = await app.sdkTotal(METRIC_AUDIT_RECORDS.name);
    const dropped = await app.sdkTotal(METRIC_AUDIT_DROPPED.name, { [ATTR_DROP_REASON]: 'export_failed' });
    assert.ok(dropped > 0, 'the export to a stopped agent failed and was counted');
    assert.equal(await app.sdkTotal(METRIC_AUDIT_DROPPED.name), dropped, 'no other drop reason');
    const received = await waitFor(() => (links().size >= sent - dropped ? links().size : undefined), { what: `${sent - dropped} records archived`, timeoutMs: 60_000 });
    assert.equal(received + dropped, sent);
    // The drop count reaches Prometheus too, exactly (lifetime).
    for (const prom of [stack.promScrape, stack.promRemoteWrite]) {
      await waitFor(async () => (await prom.value(queries.auditRecordsDropped(L()))) === dropped || undefined, { what: `dropped = ${dropped} on ${prom.name}`, timeoutMs: 60_000 });
    }
    // Counted from zero, the drops fire their alert.
    const am = stack.alertmanager;
    assert.ok(am);
    for (const export_path of ['collector_prometheus_exporter', 'remote_write']) await am.waitForFiring({ alertname: 'McpAuditRecordsDropped', export_path }, 60_000);
    figures.agentDown = { sent: sent - sentBefore, received: received - sentBefore, droppedSdk: dropped };
    console.log(`[e2e] fault figures ${JSON.stringify(figures)}`);
  });
});
