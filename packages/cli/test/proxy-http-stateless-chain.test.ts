/**
 * Stateless (2026-07-28) HTTP traffic has no session: many clients share
 * the proxy's one sessionless core session. So it records no per-session
 * measure (no requests-per-session or session-duration point, no
 * session_end record), and its audit chain covers a stretch of time: it
 * ends with a chain_end record, and a new chain begins once the old one is
 * --audit-chain-max-age old. `audit verify` checks each chain complete.
 * Its calls are counted as sessionless requests instead, and cross no
 * session's request limit.
 * A legacy (2025) client through the same proxy still makes a session.
 * Real v2 clients and server (createMcpHandler) and a real v1 server;
 * telemetry read at an OTLP receiver, the trail verified by the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { AUDIT_FIELDS as F } from '@mcp-conservation/semconv/audit';
import { ATTR_PROTOCOL_ERA, EVENT_AUDIT_CHAIN_END, EVENT_AUDIT_OPERATION, EVENT_AUDIT_SESSION_END, METRIC_CLIENT_SESSION_DURATION, METRIC_SESSION_REQUESTS, METRIC_SESSIONLESS_REQUESTS, METRIC_SESSIONS_OVER_LIMIT } from '@mcp-conservation/semconv';
import { runCli } from './helpers/cli.ts';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { OtlpReceiver, type Point } from './helpers/otlp-receiver.ts';
import { startV2Server } from './fixtures/v2-server.ts';


/** A modern client's session: connect (auto: the server/discover probe), `calls` status calls, close. */
async function modernHost(url: string, name: string, calls: number): Promise<void> {
  const client = new Client({ name, version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  assert.equal(client.getProtocolEra(), 'modern');
  for (let i = 0; i < calls; i++) assert.equal((await client.callTool({ name: 'status', arguments: { id: i } })).isError ?? false, false);
  await client.close();
}

const MAX_AGE_S = 1;

/** A cumulative counter's total: the latest point of each series, summed. */
function total(points: readonly Point[], metric: string): number {
  const latest = new Map<string, Point>();
  for (const p of points) {
    if (p.metric !== metric) continue;
    const key = JSON.stringify(Object.entries(p.attributes).sort());
    if ((latest.get(key)?.time ?? -Infinity) <= p.time) latest.set(key, p);
  }
  return [...latest.values()].reduce((n, p) => n + p.value, 0);
}

test('modern HTTP: no per-session measure; the audit chain covers a stretch of time, ends with chain_end, rotates past --audit-chain-max-age, and verifies', { timeout: 60_000 }, async () => {
  const v2 = await startV2Server();
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(v2.url.href, { env: rx.env(await rx.start()), args: ['--audit-chain-max-age', String(MAX_AGE_S), '--session-idle', '600'] });
  try {
    await modernHost(proxy.url, 'first-host', 2);
    await modernHost(proxy.url, 'second-host', 1);
    // The chain's age is what is under test: let it pass, then the next request begins a new chain.
    await new Promise((r) => setTimeout(r, MAX_AGE_S * 1000 + 100));
    await modernHost(proxy.url, 'third-host', 3);
    assert.equal(await proxy.stop(), 0);

    const byChain = new Map<string, { event: string; method: unknown; requests: unknown }[]>();
    for (const r of rx.logs) {
      const chain = String(r.attributes[F.session]);
      if (!byChain.has(chain)) byChain.set(chain, []);
      byChain.get(chain)!.push({ event: r.eventName, method: r.attributes[F.method], requests: r.attributes[F.sessionRequests] });
    }
    // Each probe is an operation (outside call volume); each chain ends with its chain_end, counting its calls.
    const shapes = [...byChain.values()].map((records) => records.map((r) => (r.event === EVENT_AUDIT_OPERATION ? r.method : `${r.event === EVENT_AUDIT_CHAIN_END ? 'chain_end' : r.event} ${r.requests}`)));
    assert.deepEqual(shapes, [
      ['server/discover', 'tools/call', 'tools/call', 'server/discover', 'tools/call', 'chain_end 3'],
      ['server/discover', 'tools/call', 'tools/call', 'tools/call', 'chain_end 3'],
    ]);
    assert.equal(rx.logs.filter((r) => r.eventName === EVENT_AUDIT_SESSION_END).length, 0);
    // Every record says its chain covers time, so an open chain is told from a session before its chain_end.
    assert.deepEqual([...new Set(rx.logs.map((r) => r.attributes[F.chainCovers]))], ['time']);
    assert.equal(rx.points.filter((p) => p.metric === METRIC_SESSION_REQUESTS.name || p.metric === METRIC_CLIENT_SESSION_DURATION.name).length, 0, 'no per-session point');
    // The six calls (probes are outside volume, as in a session) are the requests in no session.
    assert.equal(total(rx.points, METRIC_SESSIONLESS_REQUESTS.name), 6);
    assert.ok(rx.points.filter((p) => p.metric === METRIC_SESSIONLESS_REQUESTS.name).every((p) => p.attributes[ATTR_PROTOCOL_ERA] === 'modern'));

    const dir = mkdtempSync(join(tmpdir(), 'stateless-chain-'));
    const trail = join(dir, 'audit.jsonl');
    writeFileSync(trail, `${rx.rawLogs.join('\n')}\n`);
    const verified = await runCli(['audit', 'verify', '--json', trail]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const json = JSON.parse(verified.stdout) as { sessions: { records: number; ended: boolean }[]; problems: unknown[] };
    assert.deepEqual(json.sessions.map((s) => [s.records, s.ended]), [[6, true], [5, true]]);
  } finally {
    await rx.stop();
    await v2.stop();
  }
});

test('modern HTTP: 101 calls of many clients in one chain cross no session limit', { timeout: 60_000 }, async () => {
  const v2 = await startV2Server();
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(v2.url.href, { env: rx.env(await rx.start()) });
  try {
    await modernHost(proxy.url, 'busy-host', 101);
    assert.equal(await proxy.stop(), 0);
    assert.equal(total(rx.points, METRIC_SESSIONLESS_REQUESTS.name), 101);
    assert.equal(total(rx.points, METRIC_SESSIONS_OVER_LIMIT.name), 0, 'no session crossed the limit');
    const end = rx.logs.filter((r) => r.eventName === EVENT_AUDIT_CHAIN_END);
    assert.deepEqual(end.map((r) => r.attributes[F.sessionRequests]), [101]);
  } finally {
    await rx.stop();
    await v2.stop();
  }
});

test('legacy HTTP through the same proxy is still a session: its session_end and its requests-per-session point', { timeout: 60_000 }, async () => {
  const v2 = await startV2Server();
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(v2.url.href, { env: rx.env(await rx.start()), args: ['--audit-chain-max-age', String(MAX_AGE_S)] });
  try {
    // A legacy client: initialize, then calls. The v2 server's legacy fallback gives no session id.
    const client = new Client({ name: 'legacy-host', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
    assert.equal(client.getProtocolEra(), 'legacy');
    await client.callTool({ name: 'status', arguments: { id: 1 } });
    await client.close();
    assert.equal(await proxy.stop(), 0);
    assert.deepEqual(rx.logs.map((r) => (r.eventName === EVENT_AUDIT_OPERATION ? r.attributes[F.method] : r.eventName)), ['initialize', 'tools/call', EVENT_AUDIT_SESSION_END]);
    const point = rx.points.filter((p) => p.metric === METRIC_SESSION_REQUESTS.name);
    assert.deepEqual(point.map((p) => [p.count, p.value, p.attributes[ATTR_PROTOCOL_ERA]]), [[1, 1, 'legacy']]);
    assert.equal(total(rx.points, METRIC_SESSIONLESS_REQUESTS.name), 0);
    assert.ok(rx.logs.every((r) => r.attributes[F.chainCovers] === undefined), 'a session\'s records say nothing of time');
  } finally {
    await rx.stop();
    await v2.stop();
  }
});
