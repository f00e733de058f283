/**
 * `-32020` HeaderMismatch against a real v2 client and server: the server answers it itself when a
 * request's `Mcp-Name` header disagrees with its body (here a fetch wrapper alters the header of the
 * first tools/call). The v2 client then re-lists and retries: one logical call of three legs,
 * the re-listing not a host listing (no call in volume, no definitions delivered), the retry deciding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, sumOf } from './helpers.ts';

test('modern: the v2 client\'s re-list and retry after -32020 is one call of three legs; the host\'s listing count is unchanged', async () => {
  const server = createServer(
    toNodeHandler(
      createMcpHandler(() => {
        const s = new McpServer({ name: 'headers', version: '1.0.0' });
        s.registerTool('lookup', { description: 'Looks up' }, async () => ({ content: [{ type: 'text', text: 'found it' }] }));
        return s;
      }),
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  let altered = 0;
  const fetchAltering: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (headers.get('mcp-method') === 'tools/call' && altered++ === 0) headers.set('mcp-name', 'not-lookup');
    return fetch(input, { ...init, headers });
  };
  const tel = createTelemetry();
  const client = instrumentClient(new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
  });
  await client.connect(new StreamableHTTPClientTransport(url, { fetch: fetchAltering }));
  await client.listTools();
  const result = await client.callTool({ name: 'lookup', arguments: {} });
  await client.close();
  await observerOf(client)!.forceFlush();
  server.close();

  assert.deepEqual(result.content, [{ type: 'text', text: 'found it' }]);
  assert.equal(altered, 2, 'the first tools/call was altered, the retry went as the client sent it');
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.equal(verifyChain(records).ok, true);
  assert.deepEqual(records.map((a) => [a[F.method] ?? a[F.kind], a[F.legs] ?? null, a[F.outcome]]), [
    ['server/discover', 1, 'success'],
    ['tools/list', 1, 'success'],
    ['tools/call', 3, 'success'],
    ['session_end', null, 'success'],
  ]);
  // Volume: the host's listing and its call. Not the probe, not the re-listing, not the retry.
  assert.equal(records.at(-1)![F.sessionRequests], 2);

  const spans = tel.spans.getFinishedSpans();
  const call = records.find((a) => a[F.method] === 'tools/call')![F.callId];
  const legs = spans.filter((s) => s.attributes['mcp_conservation.call.id'] === call);
  assert.deepEqual(legs.map((s) => [s.name, s.attributes['mcp_conservation.leg.index'], s.attributes['mcp_conservation.leg.reason'], s.attributes['error.type'] ?? null, s.status.code]), [
    ['tools/call lookup', 1, 'initial', '-32020', 2],
    ['tools/list', 2, 'relist', null, 0],
    ['tools/call lookup', 3, 'header_retry', null, 0],
  ]);
  const metrics = await tel.collect();
  assert.equal(sumOf(metrics, 'mcp_conservation.tool.calls'), 1);
  assert.equal(sumOf(metrics, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'success' }), 1);
  assert.equal(sumOf(metrics, 'mcp_conservation.responses.lost'), 0);
  // The re-listing went to the client's cache: its bytes are overhead, its definitions not delivered again.
  assert.ok(sumOf(metrics, 'mcp_conservation.wire.overhead', { 'mcp.method.name': 'tools/list', 'mcp_conservation.context.source': 'tool_definition' }) > 0);
  const listingTokens = records.find((a) => a[F.method] === 'tools/list')!;
  assert.equal(listingTokens[F.tokensRedundant], 0);
  assert.equal(sumOf(metrics, 'mcp_conservation.context.tokens', { 'mcp_conservation.token.disposition': 'redundant' }), 0);
});
