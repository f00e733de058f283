/**
 * End to end with no instrumentation: the real OTel JS SDK emits semconv
 * metrics with known values and sealed audit records; they travel
 * SDK -> agent -> gateway -> Prometheus (scrape of the Collector's exporter,
 * and remote write), and also straight from the in-process
 * @opentelemetry/exporter-prometheus. Every figure is read back with the
 * shared semconv queries and compared with the ground truth. The services
 * also log ordinary (non-audit) records, which must reach the OTLP backend
 * but neither the received count nor the audit archive.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALERT_RULES, ATTR_PROTOCOL_ERA, LABELS, METRIC_CONTEXT_TOKENS, METRIC_SESSION_REQUESTS, METRIC_TOOL_CALLS, PAYLOAD_ATTRIBUTE_KEYS, promLabel, queries, type ProtocolEra, type QueryScope } from '@mcp-conservation/semconv';
import { verifyChain } from '@mcp-conservation/semconv/audit';
import { startStack, phase, waitFor, readArchive, auditRecords, isAuditRecord, type Stack, type PrometheusService } from '@mcp-conservation/e2e/harness';
import { SCALED_RULES, WINDOW, WINDOW_S } from './scaled-rules.ts';
import { SyntheticService, SHOP, CALM, SERVER, TOOL, ERAS, truthOf } from './synthetic-workload.ts';

const TICKS = 20;
const TICK_MS = 1000;
const rules = SCALED_RULES;

let stack: Stack;
let inProcess: PrometheusService;
/** Opt-in fourth path (npm run prometheus3): Prometheus 3's native OTLP receiver. */
const WITH_PROM3_OTLP = process.env.MCPC_PROMETHEUS3_OTLP === '1';
let prom3Otlp: PrometheusService | undefined;
let services: SyntheticService[] = [];
let workloadEnd: Date;

interface Path {
  readonly name: string;
  readonly prom: () => PrometheusService;
  /** Whether audit records reach a gateway (count connector) on this path. */
  readonly viaGateway: boolean;
}
const PATHS: Path[] = [
  { name: 'collector_prometheus_exporter', prom: () => stack.promScrape, viaGateway: true },
  { name: 'remote_write', prom: () => stack.promRemoteWrite, viaGateway: true },
  { name: 'in_process', prom: () => inProcess, viaGateway: false },
  ...(WITH_PROM3_OTLP ? [{ name: 'prometheus3_otlp', prom: () => prom3Otlp as PrometheusService, viaGateway: false }] : []),
];

const L = (s: QueryScope = {}): QueryScope => ({ ...s, window: 'lifetime' });

before(async () => {
  stack = await startStack({ rules });
  const extra: string[] = [];
  if (WITH_PROM3_OTLP) {
    prom3Otlp = await stack.addPrometheus({ name: 'prometheus3-otlp', extraArgs: ['--web.enable-otlp-receiver'], externalLabels: { export_path: 'prometheus3_otlp' } });
    extra.push(`${prom3Otlp.url}/api/v1/otlp/v1/metrics`);
  }
  services = [await SyntheticService.create(SHOP, stack.otlpUrl, extra), await SyntheticService.create(CALM, stack.otlpUrl, extra)];
  inProcess = await stack.addPrometheus({
    name: 'in-process',
    // Job named after the service: the in-process exporter carries service.name only on target_info.
    scrapeTargets: services.map((s) => ({ job: s.profile.service, target: `127.0.0.1:${s.promPort}` })),
    externalLabels: { export_path: 'in_process' },
  });
  await phase('workload (synthetic SDK metrics and sealed audit records)', async () => {
    for (const s of services) s.warmUp();
    for (const s of services) await s.flush();
    // Every series must be seen before the workload, so its increments count as increases.
    for (const p of PATHS) {
      for (const service of ['shop', 'calm']) {
        const ready = async () => {
          const scope = L({ service });
          const seen = [await p.prom().value(queries.sessionsOverLimit(scope)), await p.prom().value(queries.auditRecordsEmitted(scope))];
          if (p.viaGateway) seen.push(await p.prom().value(queries.auditRecordsReceived(scope)));
          return JSON.stringify(seen) === JSON.stringify(p.viaGateway ? [0, 1, 1] : [0, 1]) || undefined;
        };
        await waitFor(ready, { what: `warm-up series of ${service} on ${p.name}`, timeoutMs: 30_000 });
      }
    }
    for (let i = 0; i < TICKS; i++) {
      for (const s of services) s.tick(i);
      // Pacing, not synchronisation: rates need the workload spread over time.
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    for (const s of services) s.end();
    for (const s of services) await s.flush();
    workloadEnd = new Date();
  });
});

after(async () => {
  for (const s of services) await s.shutdown().catch(() => undefined);
  await stack?.stop();
});

const shop = truthOf(SHOP, TICKS);
const calm = truthOf(CALM, TICKS);

/** The figures each path must hold, by query, for a scope. */
async function figures(prom: PrometheusService, scope: QueryScope, viaGateway: boolean) {
  const v = (q: string) => prom.value(q);
  return {
    toolCalls: await v(queries.toolCalls(L(scope))),
    renderedTokens: await v(queries.renderedTokens(L(scope))),
    responsesExpected: await v(queries.responsesExpected(L(scope))),
    sessionsOverLimit: await v(queries.sessionsOverLimit(L(scope))),
    auditRecordsDropped: await v(queries.auditRecordsDropped(L(scope))),
    auditRecordsEmitted: await v(queries.auditRecordsEmitted(L(scope))),
    sessionsEnded: await v(queries.sessionsEnded(L(scope))),
    ...(viaGateway ? { auditRecordsReceived: await v(queries.auditRecordsReceived(L(scope))) } : {}),
  };
}

function expectedFigures(t: typeof shop, viaGateway: boolean) {
  return {
    toolCalls: t.toolCalls,
    renderedTokens: t.renderedTokens,
    responsesExpected: t.responsesExpected,
    sessionsOverLimit: t.overLimit,
    auditRecordsDropped: t.dropped,
    auditRecordsEmitted: t.auditRecords,
    sessionsEnded: t.sessionsEnded,
    ...(viaGateway ? { auditRecordsReceived: t.auditRecords } : {}),
  };
}

describe('pipeline: synthetic SDK workload through agent, gateway, Prometheus and Alertmanager', () => {
  for (const path of PATHS) {
    const receivedWithTheRest = path.viaGateway;
    test(`${path.name}: lifetime counts per service equal ground truth exactly`, async () => {
      for (const [service, truth] of [['shop', shop], ['calm', calm]] as const) {
        const want = expectedFigures(truth, receivedWithTheRest);
        let got: unknown;
        await waitFor(
          async () => {
            got = await figures(path.prom(), { service }, receivedWithTheRest);
            return JSON.stringify(got) === JSON.stringify(want) || undefined;
          },
          { what: `${service} figures on ${path.name}`, timeoutMs: 60_000, intervalMs: 500 },
        ).catch(() => assert.deepEqual(got, want, `${service} on ${path.name}`));
      }
    });

    test(`${path.name}: both protocol eras' series hold their own exact figures (tool calls, rendered tokens, sessions ended)`, async () => {
      const prom = path.prom();
      const era = (e: ProtocolEra) => `${promLabel(ATTR_PROTOCOL_ERA)}="${e}"`;
      for (const [service, truth] of [['shop', shop], ['calm', calm]] as const) {
        const scope = L({ service });
        const got: Record<string, unknown> = {};
        const want: Record<string, unknown> = {};
        for (const e of ERAS) {
          got[e] = [
            await prom.value(queries.sumIncrease(METRIC_TOOL_CALLS, scope, [`${LABELS.outcome}!="cancelled"`, era(e)])),
            await prom.value(queries.sumIncrease(METRIC_CONTEXT_TOKENS, scope, [era(e)])),
            (await prom.value(`sum (${queries.series(METRIC_SESSION_REQUESTS, scope, [era(e)], '_count')})`)) ?? 0,
          ];
          want[e] = [truth.toolCallsByEra[e], truth.renderedTokensByEra[e], truth.sessionsEndedByEra[e]];
        }
        assert.deepEqual(got, want, `${service} by era on ${path.name}`);
      }
    });

    test(`${path.name}: ratios through the label filters (service, server, tool) equal ground truth`, async () => {
      const prom = path.prom();
      const near = async (q: string, want: number, what: string) => {
        const got = await prom.value(q);
        assert.ok(got !== undefined, `${what}: no value (an absent series must not pass)`);
        assert.ok(Math.abs(got - want) < 0.001, `${what}: ${got} != ${want}`);
      };
      await near(queries.tokenEfficiency(L({ service: 'shop' })), shop.meaningfulTokens / shop.renderedTokens, 'shop token efficiency');
      await near(queries.tokenEfficiency(L({ service: 'calm' })), 1, 'calm token efficiency');
      await near(queries.toolSuccessRate(L({ service: 'shop', tool: TOOL })), shop.toolSuccess / shop.toolCalls, 'shop tool success');
      // Cancelled calls are out of the denominator: calm's rate is exactly 1.
      await near(queries.toolSuccessRate(L({ service: 'calm', server: SERVER })), 1, 'calm tool success');
      await near(queries.contextLossRate(L({ service: 'shop' })), shop.responsesLost / (shop.responsesExpected - shop.responsesCancelled), 'shop loss rate');
      // calm has no loss series at all: the rate must read 0, not empty.
      await near(queries.contextLossRate(L({ service: 'calm' })), 0, 'calm loss rate');
      await near(queries.toolCalls(L({ server: SERVER, observer: 'sdk' })), shop.toolCalls + calm.toolCalls, 'tool calls on server');
      assert.equal(await prom.value(queries.toolCalls(L({ server: 'no-such-server' }))), undefined, 'a filter that matches nothing');
    });

    const firing = ['McpTokenEfficiencyLow', 'McpContextLossHigh', 'McpToolSuccessLow', 'McpSessionOverRequestLimit', 'McpAuditRecordsDropped', ...(path.viaGateway ? [] : ['McpAuditRecordsNotReceived'])];
    test(`${path.name}: alerts whose fault is present fire at Alertmanager (${firing.length})`, async () => {
      const am = stack.alertmanager;
      assert.ok(am);
      for (const alertname of firing) {
        const alert = await am.waitForFiring({ alertname, export_path: path.name });
        const rule = ALERT_RULES.find((r) => r.alert === alertname);
        assert.equal(alert.labels.severity, rule?.severity);
      }
    });

    if (path.viaGateway) {
      test(`${path.name}: McpAuditRecordsNotReceived evaluates on the safe side after the workload`, async () => {
        const rule = ALERT_RULES.find((r) => r.id === 'audit-unreceived');
        assert.ok(rule);
        const prom = path.prom();
        await waitFor(async () => (await prom.value(queries.auditRecordsReceived(L()))) === shop.auditRecords + calm.auditRecords || undefined, { what: 'all audit records counted', timeoutMs: 60_000 });
        // Evaluated once the window lies wholly after the workload. Inside it,
        // increase() extrapolates the emitted and received series over
        // different sample times, a noise of several records either way
        // (reported to semconv); once past, both must read 0, present.
        const settledAt = new Date(workloadEnd.getTime() + (WINDOW_S + 2) * 1000);
        const state = await waitFor(
          async () => {
            const r = (await prom.rules()).find((x) => x.name === rule.alert);
            return r && new Date(r.lastEvaluation) > settledAt ? r : undefined;
          },
          { what: `${rule.alert} evaluated a window after the workload`, timeoutMs: 120_000, intervalMs: 1000 },
        );
        const value = await prom.value(rule.query({ window: WINDOW }));
        assert.equal(state.health, 'ok');
        assert.equal(state.state, 'inactive');
        assert.ok(value !== undefined, 'the measure must exist (absent is not silence)');
        assert.ok(value <= rule.threshold, `unreceived = ${value}`);
        assert.equal(am().firing({ alertname: rule.alert, export_path: path.name }).length, 0);
      });
    }
  }

  test('audit records arrive complete in the gateway archive: chain verified, sequences contiguous, payload removed', async () => {
    const emitted = services.flatMap((s) => s.emitted);
    const path = stack.auditArchivePath;
    assert.ok(path);
    const archived = await waitFor(
      () => {
        const recs = readArchive(path);
        return auditRecords(recs).length >= emitted.length ? recs : undefined;
      },
      { what: `${emitted.length} audit records in the archive`, timeoutMs: 60_000 },
    );
    const records = auditRecords(archived);
    assert.equal(records.length, emitted.length);
    // Only audit records: the app's own log records rode in the same OTLP
    // requests (emitted before the last audit record), and the filter took them out.
    const appBodies = new Set(services.flatMap((s) => s.appLogBodies));
    assert.equal(appBodies.size, shop.appLogs + calm.appLogs);
    assert.equal(archived.length, records.length, 'non-audit log records in the archive');
    assert.ok(!archived.some((r) => appBodies.has(r.body?.stringValue ?? '')), 'an app log record in the archive');
    const result = verifyChain(records);
    assert.deepEqual(result.problems, []);
    assert.ok(result.ok);
    assert.equal(result.duplicates, 0);
    assert.equal(result.sessions.length, services.length * 2);
    for (const s of services) {
      for (const id of s.sessionIds) {
        const summary = result.sessions.find((x) => x.session === id);
        const n = s.emitted.filter((r) => r['mcp_conservation.session.id'] === id).length;
        assert.ok(summary, id);
        assert.deepEqual([summary.firstSeq, summary.lastSeq, summary.records, summary.ended], [1, n, n, true]);
      }
    }
    // Byte for byte the records the SDK sealed.
    const byLink = new Map(records.map((r) => [r['mcp_conservation.audit.link'], r]));
    for (const r of emitted) assert.deepEqual(byLink.get(r['mcp_conservation.audit.link']), r);
    for (const rec of archived) for (const key of PAYLOAD_ATTRIBUTE_KEYS) assert.ok(!rec.attributes.some((a) => a.key === key), `${key} reached the gateway`);
  });

  test('the OTLP backend behind the gateway receives the same audit records, and the app log records too', async () => {
    const emitted = services.flatMap((s) => s.emitted);
    const appBodies = services.flatMap((s) => s.appLogBodies);
    const all = await waitFor(
      () => {
        const recs = stack.backend.logRecords();
        return recs.length >= emitted.length + appBodies.length ? recs : undefined;
      },
      { what: `${emitted.length} audit and ${appBodies.length} app log records at the backend`, timeoutMs: 60_000 },
    );
    const got = auditRecords(all);
    assert.equal(got.length, emitted.length);
    assert.ok(verifyChain(got).ok);
    const others = all.filter((r) => !isAuditRecord(r)).map((r) => r.body?.stringValue ?? '');
    assert.deepEqual(others.sort(), [...appBodies].sort());
  });

  test("the gateway's own counters: app log records pass to the backend beside the counted audit records, the archive filter drops exactly them", async () => {
    const audit = shop.auditRecords + calm.auditRecords;
    const app = shop.appLogs + calm.appLogs;
    const g = stack.gateway;
    const exporter = (id: string) => (l: string) => l.includes(`exporter="${id}"`);
    const want = { accepted: audit + app, toBackend: audit + app, filtered: app, archived: audit };
    let got: typeof want | undefined;
    await waitFor(
      async () => {
        got = {
          accepted: await g.selfMetric('otelcol_receiver_accepted_log_records'),
          toBackend: await g.selfMetric('otelcol_exporter_sent_log_records', exporter('otlp_http')),
          filtered: await g.selfMetric('otelcol_processor_filter_logs_filtered', (l) => l.includes('filter="filter/audit_only"')),
          archived: await g.selfMetric('otelcol_exporter_sent_log_records', exporter('file/audit')),
        };
        return JSON.stringify(got) === JSON.stringify(want) || undefined;
      },
      { what: 'gateway log counters', timeoutMs: 60_000, intervalMs: 500 },
    ).catch(() => assert.deepEqual(got, want));
    // And the count connector beside the backend counted the audit records only.
    assert.equal(await stack.promScrape.value(queries.auditRecordsReceived(L())), audit);
  });
});

function am() {
  const a = stack.alertmanager;
  if (!a) throw new Error('no alertmanager');
  return a;
}

describe('gateway count connector: two ResourceLogs of one service in one request', () => {
  // A batch can hold two ResourceLogs of one resource (two agent exports).
  // Counted apart, they gave two points of one series microseconds apart;
  // remote write cut them to one millisecond and Prometheus kept only the
  // first, so the last increment was lost without an error. The gateway
  // compacts them first (groupbyattrs), so both paths count both records.
  test('both gateway paths count both records', async () => {
    const service = 'split-resource';
    const resourceLogs = (n: number) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [{ scope: { name: 'split-check' }, logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: `record ${n}` }, attributes: [{ key: 'mcp_conservation.audit.version', value: { intValue: '2' } }] }] }],
    });
    const res = await fetch(`${stack.gateway.otlpHttpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceLogs: [resourceLogs(1), resourceLogs(2)] }) });
    assert.equal(res.status, 200);
    const q = queries.auditRecordsReceived(L({ service }));
    for (const prom of [stack.promScrape, stack.promRemoteWrite]) {
      let got: number | undefined;
      // The first sample to arrive is the one that must carry both records.
      await waitFor(async () => ((got = await prom.value(q)) !== undefined ? true : undefined), { what: `${service} received`, timeoutMs: 60_000, intervalMs: 250 });
      assert.equal(got, 2);
    }
  });
});
