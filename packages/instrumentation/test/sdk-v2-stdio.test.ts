/**
 * A v2 client in `auto` mode over stdio probes `server/discover` on a sibling process, which no
 * instrumentation sees: exactly one session either way, legacy against a 2025-only server
 * (the fallback cell of the era matrix), modern against a v2 server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry } from './helpers.ts';

const server = fileURLToPath(new URL('./fixtures/stdio-echo-server.mjs', import.meta.url));

async function session(serverSdk: 'v1' | 'v2') {
  const tel = createTelemetry();
  const client = instrumentClient(new Client({ name: 'stdio-client', version: '0.1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
  });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [server, serverSdk], stderr: 'ignore' }));
  const era = client.getProtocolEra();
  await client.callTool({ name: 'echo', arguments: {} });
  await client.close();
  await observerOf(client)!.forceFlush();
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  return { era, spans: tel.spans.getFinishedSpans(), records };
}

test('v2 auto over stdio against a 2025-only server: the sibling probe is not observed; one legacy session', async () => {
  const r = await session('v1');
  assert.equal(r.era, 'legacy');
  assert.deepEqual(r.spans.map((s) => s.name), ['initialize', 'tools/call echo']);
  for (const s of r.spans) assert.equal(s.attributes['mcp_conservation.protocol.era'], 'legacy');
  assert.deepEqual(r.records.map((a) => a[F.method] ?? a[F.kind]), ['initialize', 'tools/call', 'session_end']);
  assert.equal(new Set(r.records.map((a) => a[F.session])).size, 1);
  assert.equal(r.records.at(-1)![F.sessionRequests], 1);
  assert.equal(verifyChain(r.records).ok, true);
});

test('v2 auto over stdio against a v2 server: modern, no handshake on the session process, one session', async () => {
  const r = await session('v2');
  assert.equal(r.era, 'modern');
  assert.deepEqual(r.spans.map((s) => s.name), ['tools/call echo']);
  assert.equal(r.spans[0]!.attributes['mcp_conservation.protocol.era'], 'modern');
  assert.equal(r.spans[0]!.attributes['mcp_conservation.server.name'], 'stdio-v2');
  assert.deepEqual(r.records.map((a) => [a[F.method] ?? a[F.kind], a[F.protocolVersion]]), [
    ['tools/call', '2026-07-28'],
    ['session_end', '2026-07-28'],
  ]);
  assert.equal(r.records.at(-1)![F.sessionRequests], 1);
  assert.equal(verifyChain(r.records).ok, true);
});
