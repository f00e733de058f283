/**
 * Requests SDK v2's createMcpHandler refuses at its HTTP entry, before any
 * server instance exists, are recorded on the server side as any request:
 * a real v2 client whose first tools/call carries an Mcp-Name header its
 * body contradicts (-32020; the client re-lists and retries), and a raw
 * client asking for a protocol version the server does not serve (-32022).
 * Both are the caller's mistakes: no span error, the error origin `caller`,
 * one audit record each in the server's chain. A refusal naming no request
 * (an unparseable body) and one without an Mcp-Method header are no MCP
 * operation, and nothing is recorded for them; the server goes on serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { instrumentMcpHandler, instrumentServer, serverObserverOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, sumOf } from './helpers.ts';

const meta = (version: string) => ({ 'io.modelcontextprotocol/protocolVersion': version, 'io.modelcontextprotocol/clientCapabilities': {} });

test('createMcpHandler entry refusals (-32020 from a real v2 client, -32022 from a raw one) are server operations: spans, caller-origin tool calls and audit records; unparseable and headerless refusals are none', async () => {
  const tel = createTelemetry();
  const options = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider };
  let instance: McpServer | undefined;
  const handler = instrumentMcpHandler(
    createMcpHandler(() => {
      instance = new McpServer({ name: 'entry', version: '2.0.0' });
      instance.registerTool('lookup', { description: 'Looks up' }, async () => ({ content: [{ type: 'text', text: 'found it' }] }));
      return instrumentServer(instance, options);
    }),
    options,
  );
  const server = createServer(toNodeHandler(handler));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  const statuses: number[] = [];
  const post = async (body: string, headers: Record<string, string>) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });
    statuses.push(r.status);
    await r.text();
  };
  try {
    let altered = 0;
    const fetchAltering: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      if (headers.get('mcp-method') === 'tools/call' && altered++ === 0) headers.set('mcp-name', 'not-lookup');
      return fetch(input, { ...init, headers });
    };
    const client = new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } });
    await client.connect(new StreamableHTTPClientTransport(url, { fetch: fetchAltering }));
    const result = await client.callTool({ name: 'lookup', arguments: {} });
    await client.close();
    assert.deepEqual(result.content, [{ type: 'text', text: 'found it' }], 'the client retried after the -32020');

    const call = (id: number, version: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'lookup', arguments: {}, _meta: meta(version) } });
    await post(call(7, '2099-01-01'), { 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/call', 'mcp-name': 'lookup' });
    await post('{"jsonrpc": "2.0", "id": 8, "method": ', { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'lookup' });
    await post(call(9, '2099-01-01'), {});
    assert.deepEqual(statuses, [400, 400, 400], 'each raw request was refused');
  } finally {
    server.close();
  }
  await serverObserverOf(instance!)!.shutdown();

  const spans = tel.spans
    .getFinishedSpans()
    .filter((s) => s.kind === 1 && s.attributes['mcp.method.name'] === 'tools/call')
    .map((s) => [s.name, s.attributes['jsonrpc.request.id'], s.attributes['rpc.response.status_code'] ?? null, s.attributes['error.type'] ?? null, s.status.code, s.attributes['mcp.protocol.version']]);
  // By status code: the refusals keep their code on the span, a caller's mistake is no span error.
  const byCode = new Map(spans.map((s) => [s[2], s]));
  assert.equal(spans.length, 3);
  assert.deepEqual(byCode.get('-32022'), ['tools/call lookup', '7', '-32022', null, 0, '2099-01-01']);
  // After a -32020 the target is left out: the Mcp-Name header was what the body contradicted.
  assert.deepEqual(byCode.get('-32020')?.filter((_, i) => i !== 1), ['tools/call', '-32020', null, 0, '2026-07-28']);
  assert.deepEqual(byCode.get(null)?.filter((_, i) => i !== 1), ['tools/call lookup', null, null, 0, '2026-07-28'], 'the retry reached the server');
  const rm = await tel.collect();
  const calls = (outcome: string, origin?: string) => sumOf(rm, 'mcp_conservation.server.tool.calls', { 'mcp_conservation.outcome': outcome, ...(origin ? { 'mcp_conservation.error.origin': origin } : {}) });
  assert.deepEqual([calls('success'), calls('protocol_error', 'caller'), calls('protocol_error', 'server')], [1, 2, 0]);
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord).filter((r) => r[F.direction] === 'server');
  assert.equal(verifyChain(records).ok, true);
  assert.deepEqual(
    records.filter((r) => r[F.method] === 'tools/call').map((r) => [r[F.outcome], r[F.errorType] ?? null]).sort(),
    [['protocol_error', '-32020'], ['protocol_error', '-32022'], ['success', null]].sort(),
  );
  await tel.shutdown();
});
