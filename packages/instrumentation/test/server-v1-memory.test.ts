/**
 * The server side on SDK v1 in memory: a low-level `Server` answering a real
 * instrumented v1 `Client`. SERVER spans joined to the client's trace, the
 * tool's own work under the server span, the error classification (one case
 * per caller code, a server failure, isError, a throw), bounded tool names,
 * hostile trace context, and the server-side audit chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { CALLER_ERROR_CODES } from '@mcp-conservation/semconv';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { instrumentClient, instrumentServer, observerOf, serverObserverOf } from '@mcp-conservation/instrumentation';
import { renderResult } from '@mcp-conservation/instrumentation/core';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { auditRecords, createTelemetry, sumOf } from './helpers.ts';

const TOOLS = [
  { name: 'ok', description: 'Answers', inputSchema: { type: 'object' as const } },
  { name: 'fail', description: 'Fails with a code', inputSchema: { type: 'object' as const, properties: { code: { type: 'number' } } } },
];

function buildServer(): Server {
  const server = new Server({ name: 'v1-low', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, (request) => {
    const { name, arguments: args } = request.params;
    if (name === 'ok') {
      // The tool's own work: a child of the SERVER span.
      trace.getTracer('tool').startSpan('tool work').end();
      return { content: [{ type: 'text', text: 'fine' }] };
    }
    if (name === 'soft') return { content: [{ type: 'text', text: 'nope' }], isError: true };
    if (name === 'throw') throw new Error('boom');
    if (name === 'fail') throw new McpError(Number(args?.code), 'failed on purpose');
    throw new McpError(-32602, `unknown tool ${name}`);
  });
  return server;
}

test('v1 in memory: joined trace, classification, bounded names, hostile context, audit chain', async () => {
  const tel = createTelemetry();
  trace.setGlobalTracerProvider(tel.tracerProvider);
  const providers = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider };
  const server = instrumentServer(buildServer(), { ...providers });
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), { ...providers });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);

  await client.listTools();
  assert.deepEqual((await client.callTool({ name: 'ok', arguments: {} })).content, [{ type: 'text', text: 'fine' }]);
  await client.callTool({ name: 'soft', arguments: {} });
  await assert.rejects(client.callTool({ name: 'throw', arguments: {} }));
  for (const code of [...CALLER_ERROR_CODES, -32603, -32000]) await assert.rejects(client.callTool({ name: 'fail', arguments: { code } }));
  for (let i = 0; i < 10_000; i++) await assert.rejects(client.callTool({ name: `t${i}`, arguments: {} }));

  await observerOf(client)!.forceFlush();
  const spans = tel.spans.getFinishedSpans();
  const serverSpans = spans.filter((s) => s.kind === SpanKind.SERVER);
  const clientSpans = spans.filter((s) => s.kind === SpanKind.CLIENT);
  assert.equal(serverSpans.length, clientSpans.length, 'one SERVER span per request the client sent');
  const okServer = serverSpans.find((s) => s.name === 'tools/call ok')!;
  const okClient = clientSpans.find((s) => s.name === 'tools/call ok')!;
  assert.equal(okServer.spanContext().traceId, okClient.spanContext().traceId);
  assert.equal(okServer.parentSpanContext?.spanId, okClient.spanContext().spanId, 'the server span is a child of the client span');
  const work = spans.find((s) => s.name === 'tool work')!;
  assert.equal(work.parentSpanContext?.spanId, okServer.spanContext().spanId, "the tool's work sits under the server span");
  assert.equal(okServer.attributes['mcp.method.name'], 'tools/call');
  assert.equal(okServer.attributes['gen_ai.tool.name'], 'ok');
  assert.equal(okServer.attributes['mcp_conservation.server.name'], 'v1-low');
  assert.equal(okServer.attributes['mcp.protocol.version'], okClient.attributes['mcp.protocol.version']);
  assert.match(String(okServer.attributes['mcp.protocol.version']), /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(okServer.attributes['mcp_conservation.protocol.era'], 'legacy');
  assert.equal(okServer.attributes['network.transport'], 'inproc');

  const failSpans = serverSpans.filter((s) => s.name === 'tools/call fail');
  assert.equal(failSpans.length, CALLER_ERROR_CODES.length + 2);
  for (const s of failSpans) {
    const code = Number(s.attributes['rpc.response.status_code']);
    const caller = CALLER_ERROR_CODES.includes(code);
    assert.equal(s.status.code, caller ? SpanStatusCode.UNSET : SpanStatusCode.ERROR, `code ${code}`);
    assert.equal(s.attributes['error.type'], caller ? undefined : String(code), 'error.type only on the server failing');
  }
  const soft = serverSpans.find((s) => s.name === 'tools/call soft')!;
  assert.equal(soft.status.code, SpanStatusCode.ERROR, 'isError fails a server span');
  assert.equal(soft.attributes['mcp_conservation.outcome'], 'tool_error');
  const thrown = serverSpans.find((s) => s.name === 'tools/call throw')!;
  assert.equal(thrown.status.code, SpanStatusCode.ERROR);
  assert.equal(thrown.attributes['rpc.response.status_code'], '-32603');

  await serverObserverOf(server)!.forceFlush();
  const rm = await tel.collect();
  // Definition prices, from the literal definitions rendered as a host sees them.
  for (const tool of TOOLS) {
    const expected = countTokens(renderResult('tools/list', { tools: [tool] }).blocks[0]!.text);
    const points = rm.scopeMetrics.flatMap((sm) => sm.metrics).filter((m) => m.descriptor.name === 'mcp_conservation.server.definition.tokens').flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]);
    const point = points.find((dp) => dp.attributes['mcp_conservation.definition.name'] === tool.name);
    assert.equal(point?.value, expected, `definition tokens of ${tool.name}`);
    assert.equal(point?.attributes['mcp_conservation.definition.kind'], 'tool');
  }
  const calls = (filter: Record<string, string>) => sumOf(rm, 'mcp_conservation.server.tool.calls', filter);
  assert.equal(calls({ 'gen_ai.tool.name': 'ok', 'mcp_conservation.outcome': 'success' }), 1);
  assert.equal(calls({ 'gen_ai.tool.name': 'fail', 'mcp_conservation.error.origin': 'caller' }), CALLER_ERROR_CODES.length);
  assert.equal(calls({ 'gen_ai.tool.name': 'fail', 'mcp_conservation.error.origin': 'server' }), 2);
  // 'soft' and 'throw' are not listed by the server: they count as _OTHER, with the 10,000 invented names.
  assert.equal(calls({ 'gen_ai.tool.name': '_OTHER' }), 10_002);
  assert.equal(calls({ 'gen_ai.tool.name': '_OTHER', 'mcp_conservation.error.origin': 'caller' }), 10_000);
  const toolNames = new Set<string>();
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name.startsWith('mcp.server') || m.descriptor.name.startsWith('mcp_conservation.server')) for (const dp of m.dataPoints) if (dp.attributes['gen_ai.tool.name'] !== undefined) toolNames.add(String(dp.attributes['gen_ai.tool.name']));
  assert.deepEqual([...toolNames].sort(), ['_OTHER', 'fail', 'ok']);
  assert.equal(sumOf(rm, 'mcp_conservation.server.listings', { 'mcp.method.name': 'tools/list' }), 1);
  assert.equal(sumOf(rm, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'ok' }), 1);
  // Result tokens, rendered as a host renders them: the results sent, a tool error's included; an error answer renders nothing.
  const resultTokens = (filter: Record<string, string>) => sumOf(rm, 'mcp_conservation.server.result.tokens', filter);
  assert.equal(resultTokens({ 'gen_ai.tool.name': 'ok', 'mcp_conservation.context.source': 'tool_result' }), countTokens('fine'));
  assert.equal(resultTokens({ 'gen_ai.tool.name': '_OTHER' }), countTokens('nope'));
  assert.equal(resultTokens({}), countTokens('fine') + countTokens('nope'));
  // Legacy calls are one leg each.
  const legs = rm.scopeMetrics.flatMap((sm) => sm.metrics).filter((m) => m.descriptor.name === 'mcp_conservation.server.call.legs').flatMap((m) => m.dataPoints as { value: { count: number; sum: number } }[]);
  const callCount = 1 + 1 + 1 + CALLER_ERROR_CODES.length + 2 + 10_000;
  assert.deepEqual(legs.map((dp) => [dp.value.count, dp.value.sum]), [[callCount, callCount]]);

  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord).filter((r) => r[F.direction] === 'server');
  assert.equal(records.length, serverSpans.length, 'one server audit record per answered request');
  const result = verifyChain(records);
  assert.deepEqual(result.problems.filter((p) => p.kind !== 'incomplete'), []);
  assert.equal(result.sessions.length, 1, 'one chain per server process');
  await client.close();
  await tel.shutdown();
});

test('hostile trace context is ignored, malformed requests leave the server serving', async () => {
  const tel = createTelemetry();
  const server = instrumentServer(buildServer(), { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  const [peer, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  const answers: Record<string, unknown>[] = [];
  peer.onmessage = (m) => void answers.push(m as Record<string, unknown>);
  await peer.start();
  const send = (m: unknown) => peer.send(m as never);
  await send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
  await send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const hostile = [
    'x'.repeat(100_000),
    '00-00000000000000000000000000000000-0000000000000000-01',
    '00-zzzz-yyyy-01',
    42,
    { nested: true },
  ];
  let id = 2;
  for (const traceparent of hostile) await send({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: 'ok', arguments: {}, _meta: { traceparent, tracestate: 'y'.repeat(10_000), baggage: 'z'.repeat(100_000) } } });
  await send({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: 'not an object' });
  await send({ jsonrpc: '2.0', id: { weird: 1 }, method: 'tools/call' });
  await send({ jsonrpc: '2.0', id: id++, method: 'tools/list' });
  await new Promise<void>((resolve) => {
    const check = () => (answers.some((a) => a.id === id - 1) ? resolve() : setImmediate(check));
    check();
  });
  const served = tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/call ok');
  assert.equal(served.length, hostile.length);
  for (const s of served) {
    assert.equal(s.parentSpanContext, undefined, 'no parent from a hostile traceparent');
  }
  assert.ok(answers.some((a) => a.id === id - 1 && typeof a.result === 'object'), 'the server still answers');
  await peer.close();
  await tel.shutdown();
});

test('a client that disconnects mid-call: the server span ends as a transport error of the caller, the server keeps its process', async () => {
  const tel = createTelemetry();
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => (entered = r));
  const server = new Server({ name: 'v1-slow', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [{ name: 'slow', inputSchema: { type: 'object' as const } }] }));
  server.setRequestHandler(CallToolRequestSchema, (_request, extra) => {
    entered();
    return new Promise((resolve) => extra.signal.addEventListener('abort', () => resolve({ content: [] })));
  });
  instrumentServer(server, { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  const client = new Client({ name: 'c', version: '1' });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);
  await client.listTools();
  const call = client.callTool({ name: 'slow', arguments: {} }).catch((e: unknown) => e);
  await inHandler;
  await client.close();
  await call;
  const span = tel.spans.getFinishedSpans().find((s) => s.name === 'tools/call slow');
  assert.ok(span, 'the span ended at the close');
  assert.equal(span.attributes['mcp_conservation.outcome'], 'transport_error');
  assert.equal(span.status.code, SpanStatusCode.UNSET, 'the caller left: not the server failing');
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.server.tool.calls', { 'gen_ai.tool.name': 'slow', 'mcp_conservation.outcome': 'transport_error', 'mcp_conservation.error.origin': 'caller' }), 1);
  await tel.shutdown();
});
