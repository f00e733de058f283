/**
 * `connect` is one logical call of the legs it sends (docs/conservation-metrics.md#session),
 * against a real v2 client in `auto` mode over Streamable HTTP:
 * - a 2025-only server (SDK 1.x) refuses the in-place `server/discover` probe, and the client
 *   falls back to `initialize`: one call of two legs, decided by the handshake;
 * - a server that answers the first probe `-32022` UnsupportedProtocolVersion naming a version
 *   both support (a fetch wrapper forges that one answer in front of a real v2 server): the
 *   client's corrective re-probe is the call's second leg.
 * Either way the refused probe is no outcome of its own: no failed call, no record of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer as V2McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer as V1McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, sumOf } from './helpers.ts';

const MODERN = '2026-07-28';

async function listen(handler: http.RequestListener): Promise<{ url: URL; close: () => void }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`), close: () => server.close() };
}

/** One session: connect (auto), list tools, close; the spans and records it left. */
async function session(url: URL, fetchVia?: typeof fetch) {
  const tel = createTelemetry();
  const client = instrumentClient(new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
  });
  await client.connect(new StreamableHTTPClientTransport(url, fetchVia ? { fetch: fetchVia } : {}));
  const era = client.getProtocolEra();
  await client.listTools();
  await client.close();
  await observerOf(client)!.forceFlush();
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  const spans = tel.spans.getFinishedSpans().map((s) => ({
    name: s.name,
    call: s.attributes['mcp_conservation.call.id'],
    leg: [s.attributes['mcp_conservation.leg.index'], s.attributes['mcp_conservation.leg.reason'], s.attributes['error.type'] ?? null, s.attributes['mcp_conservation.outcome'] ?? null],
  }));
  return { era, records, spans, metrics: await tel.collect() };
}

test('a 2025-only server: the refused probe and the initialize fallback are one connect call of two legs', { timeout: 30_000 }, async () => {
  const upstream = await listen((req, res) => {
    const server = new V1McpServer({ name: 'legacy-only', version: '1.0.0' });
    server.registerTool('echo', { description: 'Echoes' }, async () => ({ content: [{ type: 'text' as const, text: 'echo' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void server.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  try {
    const s = await session(upstream.url);
    assert.equal(s.era, 'legacy');
    const [probe, handshake] = s.spans;
    assert.equal(probe!.name, 'server/discover');
    assert.equal(handshake!.name, 'initialize');
    assert.equal(probe!.call, handshake!.call);
    // The probe's error is on its span, not an outcome: the handshake decides the call.
    assert.equal(probe!.leg[0], 1);
    assert.equal(probe!.leg[1], 'initial');
    assert.notEqual(probe!.leg[2], null, 'the refusal is on the probe span as error.type');
    assert.equal(probe!.leg[3], null);
    assert.deepEqual(handshake!.leg, [2, 'version_retry', null, 'success']);
    assert.equal(verifyChain(s.records).ok, true);
    assert.deepEqual(s.records.map((a) => [a[F.method] ?? a[F.kind], a[F.legs] ?? null, a[F.outcome]]), [
      ['initialize', 2, 'success'],
      ['tools/list', 1, 'success'],
      ['session_end', null, 'success'],
    ]);
    assert.equal(s.records.at(-1)![F.sessionRequests], 1);
    // One response expected for connect, none lost; the probe is no failed call.
    assert.equal(sumOf(s.metrics, 'mcp_conservation.responses.expected', { 'mcp.method.name': 'server/discover' }), 0);
    assert.equal(sumOf(s.metrics, 'mcp_conservation.responses.expected', { 'mcp.method.name': 'initialize' }), 1);
    assert.equal(sumOf(s.metrics, 'mcp_conservation.responses.lost'), 0);
  } finally {
    upstream.close();
  }
});

test('-32022 naming a version both support: the corrective re-probe is the second leg of the connect call', { timeout: 30_000 }, async () => {
  const upstream = await listen(
    toNodeHandler(
      createMcpHandler(() => {
        const s = new V2McpServer({ name: 'modern', version: '2.0.0' });
        s.registerTool('echo', { description: 'Echoes' }, async () => ({ content: [{ type: 'text', text: 'echo' }] }));
        return s;
      }),
    ),
  );
  let forged = 0;
  // The first probe gets the server's -32022 as the 2026-07-28 HTTP binding sends it (400, a JSON-RPC error naming the supported versions).
  const fetchVia: typeof fetch = async (input, init) => {
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { id?: unknown; method?: string }) : undefined;
    if (body?.method === 'server/discover' && forged++ === 0) {
      const error = { jsonrpc: '2.0', id: body.id, error: { code: -32022, message: 'Unsupported protocol version', data: { supported: [MODERN], requested: '2027-01-01' } } };
      return new Response(JSON.stringify(error), { status: 400, headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  };
  try {
    const s = await session(upstream.url, fetchVia);
    assert.equal(forged, 2, 'the first probe was answered -32022, the re-probe reached the server');
    assert.equal(s.era, 'modern');
    const probes = s.spans.filter((x) => x.name === 'server/discover');
    assert.equal(probes.length, 2);
    assert.equal(probes[0]!.call, probes[1]!.call);
    assert.deepEqual(probes.map((p) => p.leg), [
      [1, 'initial', '-32022', null],
      [2, 'version_retry', null, 'success'],
    ]);
    assert.equal(verifyChain(s.records).ok, true);
    assert.deepEqual(s.records.map((a) => [a[F.method] ?? a[F.kind], a[F.legs] ?? null, a[F.outcome]]), [
      ['server/discover', 2, 'success'],
      ['tools/list', 1, 'success'],
      ['session_end', null, 'success'],
    ]);
    assert.equal(sumOf(s.metrics, 'mcp_conservation.responses.expected', { 'mcp.method.name': 'server/discover' }), 1);
  } finally {
    upstream.close();
  }
});
