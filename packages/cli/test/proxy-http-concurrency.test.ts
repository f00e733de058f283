/**
 * Thousands of concurrent modern POSTs from distinct clients through the
 * HTTP proxy (issue 12, bad input): 2,000 real v2 clients, each numbering
 * its ids from 0, call a tool at once; the server holds every call until
 * all of them are in flight, so the proxy holds 2,000 at its peak by
 * construction. Every one is answered and counted exactly once, the
 * proxy's in-flight state is empty afterwards, and its memory stays within
 * a generous per-request bound (the figures are printed: before, at the
 * peak, after).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { ATTR_MCP_METHOD_NAME, ATTR_OUTCOME, METRIC_CLIENT_OPERATION_DURATION, METRIC_RESPONSES_EXPECTED, METRIC_RESPONSES_LOST, METRIC_TOOL_CALLS } from '@mcp-conservation/semconv';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { proxyState, type ProxyState } from './helpers/proxy-state.ts';

/** 2,000 in the suite; MCPC_PROXY_CLIENTS=5000 for a heavier run by hand. */
const CLIENTS = Number(process.env.MCPC_PROXY_CLIENTS ?? 2000);
/** What one request in flight may cost the proxy at most, heap and buffers together: generous (it is a few KiB). */
const PER_REQUEST_KIB = 64;
/** What may stay after all are answered, after a full GC: the telemetry's export queues (spans, audit records) until their next export. */
const RETAINED_BOUND_MIB = 32;

function figures(s: ProxyState): string {
  return `rss ${s.rssMiB} MiB (peak ${s.peakRssMiB}), heap used ${s.heapUsedMiB} MiB, external ${s.externalMiB} MiB; in flight ${s.requests}, exchanges ${s.exchanges}`;
}

test(`modern HTTP: ${CLIENTS} v2 clients call at once: each answered and counted once, nothing in flight after, memory bounded`, { timeout: 180_000 }, async (t) => {
  let arrived = 0;
  let allArrived!: () => void;
  const peak = new Promise<void>((r) => (allArrived = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const http = createServer(
    toNodeHandler(
      createMcpHandler(() => {
        const s = new Server({ name: 'crowded', version: '2.0.0' }, { capabilities: { tools: {} } });
        s.setRequestHandler('tools/list', () => ({ tools: [{ name: 'who', inputSchema: { type: 'object' as const } }] }));
        s.setRequestHandler('tools/call', async (req) => {
          if (++arrived === CLIENTS) allArrived();
          await released;
          return { content: [{ type: 'text', text: `client ${String(req.params.arguments?.n)}` }] };
        });
        return s;
      }),
    ),
  );
  http.maxConnections = Infinity;
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', 4096, r));
  const rx = new OtlpReceiver();
  const endpoint = await rx.start();
  const proxy = await startHttpProxy(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, { env: rx.env(endpoint), node: ['--expose-gc'] });
  const { child } = proxy;
  try {
    const url = new URL(proxy.url);
    const clients: Client[] = [];
    // Connected in waves (each probes server/discover); the calls are what runs at once.
    for (let wave = 0; wave < CLIENTS; wave += 200) {
      const batch = Array.from({ length: Math.min(200, CLIENTS - wave) }, () => new Client({ name: 'crowd', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 30_000 } } }));
      await Promise.all(batch.map((c) => c.connect(new StreamableHTTPClientTransport(url))));
      clients.push(...batch);
    }
    assert.equal(clients[0]!.getProtocolEra(), 'modern');
    const before = await proxyState(child, proxy.stderr);
    const calls = clients.map((c, n) => c.callTool({ name: 'who', arguments: { n } }, { timeout: 120_000 }));
    await peak;
    const atPeak = await proxyState(child, proxy.stderr);
    release();
    const results = await Promise.all(calls);
    const after = await proxyState(child, proxy.stderr);
    t.diagnostic(`proxy before: ${figures(before)}`);
    t.diagnostic(`proxy with ${CLIENTS} calls in flight: ${figures(atPeak)}`);
    t.diagnostic(`proxy after: ${figures(after)}`);
    await Promise.all(clients.map((c) => c.close()));

    assert.deepEqual(
      results.map((r) => (r.content as { text: string }[])[0]!.text),
      clients.map((_, n) => `client ${n}`),
      'each client got its own answer',
    );
    assert.deepEqual([atPeak.sessions, atPeak.requests, atPeak.exchanges], [1, CLIENTS, CLIENTS], 'all of them in flight at once, in the one stateless session');
    assert.deepEqual([after.requests, after.listens, after.exchanges], [0, 0, 0], 'nothing in flight after');
    const grown = atPeak.heapUsedMiB + atPeak.externalMiB - (before.heapUsedMiB + before.externalMiB);
    assert.ok(grown < (CLIENTS * PER_REQUEST_KIB) / 1024, `${grown.toFixed(1)} MiB for ${CLIENTS} requests in flight`);
    const retained = after.heapUsedMiB + after.externalMiB - (before.heapUsedMiB + before.externalMiB);
    assert.ok(retained < RETAINED_BOUND_MIB, `${retained.toFixed(1)} MiB kept after all were answered`);
    assert.ok(child.exitCode === null, 'the proxy never crashes');
    assert.equal(await proxy.stop(), 0);

    await until('every call counted', () => rx.total(METRIC_TOOL_CALLS.name) === CLIENTS, 30_000);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'success' }), CLIENTS);
    assert.equal(rx.total(METRIC_RESPONSES_EXPECTED.name, { [ATTR_MCP_METHOD_NAME]: 'tools/call' }), CLIENTS);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
    let durations = 0;
    for (const p of rx.latest(METRIC_CLIENT_OPERATION_DURATION.name).values()) if (p.attributes[ATTR_MCP_METHOD_NAME] === 'tools/call') durations += p.count ?? 0;
    assert.equal(durations, CLIENTS);
  } finally {
    child.kill();
    await rx.stop();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
});
