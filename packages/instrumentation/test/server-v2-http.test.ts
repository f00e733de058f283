/**
 * The server side on SDK v2 in the 2026-07-28 era: `createMcpHandler` over
 * Streamable HTTP (the node adapter), one McpServer per request, each
 * instrumented with the same options (one observer, one audit chain), and a
 * real instrumented v2 client in the same process: joined trace, modern era
 * and version from `_meta`, no session id, tool names from the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler, fromJsonSchema } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { instrumentClient, instrumentServer, observerOf, type InstrumentServerOptions } from '@mcp-conservation/instrumentation';
import { auditRecords, createTelemetry, sumOf } from './helpers.ts';

test('v2 createMcpHandler, modern era: joined trace, classification, registry-bounded names, one audit chain', async () => {
  const tel = createTelemetry();
  const providers = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider };
  const serverOptions: InstrumentServerOptions = { ...providers, resolveServerUser: () => 'alice' };
  let built = 0;
  const factory = () => {
    built++;
    const server = new McpServer({ name: 'v2-modern', version: '2.0.0' });
    server.registerTool('echo', { description: 'Echoes', inputSchema: fromJsonSchema({ type: 'object', properties: { text: { type: 'string' } } }) }, async (args: unknown) => ({
      content: [{ type: 'text' as const, text: String((args as { text?: unknown }).text) }],
    }));
    server.registerTool('soft', { description: 'Fails softly' }, async () => ({ content: [{ type: 'text' as const, text: 'no' }], isError: true }));
    return instrumentServer(server, serverOptions);
  };
  const httpServer = http.createServer(toNodeHandler(createMcpHandler(factory)));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(httpServer.address() as { port: number }).port}/mcp`);
  const client = instrumentClient(new Client({ name: 'modern-client', version: '0.1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 2000 } } }), providers);
  await client.connect(new StreamableHTTPClientTransport(url));
  assert.equal(client.getProtocolEra(), 'modern');
  await client.listTools();
  const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
  assert.deepEqual(echoed.content, [{ type: 'text', text: 'hi' }]);
  await client.callTool({ name: 'soft', arguments: {} });
  await client.callTool({ name: 'missing', arguments: {} }).catch(() => undefined);
  await client.close();
  await observerOf(client)!.forceFlush();
  httpServer.close();
  assert.ok(built >= 4, 'one server instance per request');

  const spans = tel.spans.getFinishedSpans();
  const server = spans.filter((s) => s.kind === SpanKind.SERVER);
  const echoServer = server.find((s) => s.name === 'tools/call echo')!;
  const echoClient = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === 'tools/call echo')!;
  assert.equal(echoServer.spanContext().traceId, echoClient.spanContext().traceId);
  assert.equal(echoServer.parentSpanContext?.spanId, echoClient.spanContext().spanId);
  assert.equal(echoServer.attributes['mcp.protocol.version'], '2026-07-28');
  assert.equal(echoServer.attributes['mcp_conservation.protocol.era'], 'modern');
  assert.equal(echoServer.attributes['mcp.session.id'], undefined);
  assert.equal(echoServer.attributes['network.transport'], 'tcp');
  assert.equal(echoServer.attributes['mcp_conservation.server.name'], 'v2-modern');
  assert.equal(server.find((s) => s.name === 'tools/call soft')!.status.code, SpanStatusCode.ERROR);

  const rm = await tel.collect();
  const calls = (f: Record<string, string>) => sumOf(rm, 'mcp_conservation.server.tool.calls', f);
  assert.equal(calls({ 'gen_ai.tool.name': 'echo', 'mcp_conservation.outcome': 'success', 'mcp_conservation.protocol.era': 'modern' }), 1);
  assert.equal(calls({ 'gen_ai.tool.name': 'soft', 'mcp_conservation.outcome': 'tool_error', 'mcp_conservation.error.origin': 'server' }), 1);
  const missing = server.find((s) => s.name === 'tools/call missing');
  // Answered by a server instance (not refused at the HTTP entry): counted under _OTHER, a caller mistake.
  assert.ok(missing, 'the unknown tool reaches a server instance');
  assert.equal(calls({ 'gen_ai.tool.name': '_OTHER' }), 1);
  assert.equal(missing.status.code, SpanStatusCode.UNSET);
  assert.equal(sumOf(rm, 'mcp_conservation.server.listings', { 'mcp.method.name': 'tools/list' }), 1);

  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord).filter((r) => r[F.direction] === 'server');
  assert.equal(records.length, server.length);
  assert.ok(records.every((r) => r[F.user] === 'alice'), 'the user resolved from each request');
  const verified = verifyChain(records);
  assert.deepEqual(verified.problems.filter((p) => p.kind !== 'incomplete'), []);
  assert.equal(verified.sessions.length, 1, 'per-request servers share the process chain');
  await tel.shutdown();
});
