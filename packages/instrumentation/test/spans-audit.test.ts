/** Spans per the MCP semantic conventions, trace context in _meta, and the chained audit trail. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { EmptyResultSchema, ErrorCode, McpError, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, computeLink, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { createTelemetry, spanNamed, auditRecords } from './helpers.ts';
import { createTestServer, type ServerSeen } from './fixtures/server.ts';

async function session(options: Parameters<typeof instrumentClient>[1] = {}, work?: (c: Client) => Promise<void>) {
  const tel = createTelemetry();
  const seen: ServerSeen = { metas: [] };
  const server = createTestServer(seen);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
    ...options,
  });
  await client.connect(clientSide);
  await (work ?? (async (c) => void (await c.callTool({ name: 'search', arguments: { query: 'q' } }))))(client);
  await client.close();
  await observerOf(client)!.forceFlush();
  return { tel, seen, client };
}

test('tools/call span follows the semconv and its context reaches the server in _meta', async () => {
  const tel0 = createTelemetry();
  const parent = tel0.tracerProvider.getTracer('app').startSpan('agent turn');
  const { tel, seen } = await context.with(trace.setSpan(context.active(), parent), () =>
    session({}, async (c) => {
      await c.callTool({ name: 'search', arguments: { query: 'q' } });
    }),
  );
  const seenMeta = seen.metas[0];
  parent.end();
  const span = spanNamed(tel.spans.getFinishedSpans(), 'tools/call search');
  assert.equal(span.kind, SpanKind.CLIENT);
  assert.equal(span.attributes['mcp.method.name'], 'tools/call');
  assert.equal(span.attributes['gen_ai.tool.name'], 'search');
  assert.equal(span.attributes['gen_ai.operation.name'], 'execute_tool');
  assert.equal(span.attributes['network.transport'], 'inproc');
  assert.equal(span.attributes['mcp.protocol.version'], '2025-11-25');
  assert.equal(span.attributes['mcp_conservation.server.name'], 'test-server');
  assert.equal(typeof span.attributes['jsonrpc.request.id'], 'string');
  assert.equal(span.parentSpanContext?.spanId, parent.spanContext().spanId, 'the caller context is the parent');
  assert.equal(span.instrumentationScope.schemaUrl, 'https://opentelemetry.io/schemas/1.41.0');
  assert.equal(span.attributes['gen_ai.tool.call.arguments'], undefined, 'no payload without opt-in');
  const sc = span.spanContext();
  assert.equal(seenMeta?.traceparent, `00-${sc.traceId}-${sc.spanId}-01`);
  assert.equal(seenMeta?.baggage, undefined);
  const init = spanNamed(tel.spans.getFinishedSpans(), 'initialize');
  assert.equal(init.status.code, SpanStatusCode.UNSET);
});

test('a tool error sets error.type=tool_error and an ERROR status', async () => {
  const { tel } = await session({}, async (c) => void (await c.callTool({ name: 'fail', arguments: {} })));
  const span = spanNamed(tel.spans.getFinishedSpans(), 'tools/call fail');
  assert.equal(span.attributes['error.type'], 'tool_error');
  assert.equal(span.status.code, SpanStatusCode.ERROR);
});

test('a protocol error carries the JSON-RPC code as error.type and rpc.response.status_code; its message only with content capture', async () => {
  const { tel } = await session({}, async (c) => {
    await assert.rejects(c.request({ method: 'no/such-method' }, EmptyResultSchema), /Method not found/);
  });
  const span = spanNamed(tel.spans.getFinishedSpans(), 'no/such-method');
  assert.equal(span.attributes['error.type'], '-32601');
  assert.equal(span.attributes['rpc.response.status_code'], '-32601');
  assert.equal(span.attributes['mcp_conservation.outcome'], 'protocol_error');
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  // The server's error text may carry payload: not exported by default.
  assert.equal(span.status.message, undefined);
  const { tel: capturing } = await session({ captureContent: true }, async (c) => {
    await assert.rejects(c.request({ method: 'no/such-method' }, EmptyResultSchema), /Method not found/);
  });
  assert.equal(spanNamed(capturing.spans.getFinishedSpans(), 'no/such-method').status.message, 'Method not found');
});

test('baggage is propagated only when opted in; content only when opted in', async () => {
  const bag = propagation.createBaggage({ 'enduser.id': { value: 'alice' } });
  const run = (opts: Parameters<typeof instrumentClient>[1]) => context.with(propagation.setBaggage(context.active(), bag), () => session(opts));
  const off = await run({});
  assert.equal(off.seen.metas[0]?.baggage, undefined);
  const on = await run({ propagateBaggage: true, userFromBaggage: true, captureContent: true });
  assert.equal(on.seen.metas[0]?.baggage, 'enduser.id=alice');
  const span = spanNamed(on.tel.spans.getFinishedSpans(), 'tools/call search');
  assert.equal(span.attributes['gen_ai.tool.call.arguments'], '{"query":"q"}');
  assert.match(String(span.attributes['gen_ai.tool.call.result']), /capital of France/);
  const rec = auditRecords(on.tel.logs)[0]!.attributes as AuditRecord;
  assert.equal(rec[F.user], 'alice');
});

test('audit records: contiguous sequence, verified chain, session end, no payload digest without a key', async () => {
  const { tel } = await session({ resolveUser: () => 'bob' });
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.deepEqual(records.map((r) => r[F.seq]), [1, 2, 3]);
  assert.deepEqual(records.map((r) => r[F.kind]), ['operation', 'operation', 'session_end']);
  assert.deepEqual(records.map((r) => r[F.method]), ['initialize', 'tools/call', undefined]);
  assert.equal(records[1]![F.tool], 'search');
  assert.equal(records[1]![F.outcome], 'success');
  assert.equal(records[1]![F.contextValid], true);
  assert.equal(records[1]![F.user], 'bob');
  assert.equal(records[1]![F.payloadDigest], undefined);
  assert.equal(records[1]![F.chainAlgorithm], 'sha256');
  assert.equal(records[2]![F.sessionRequests], 1);
  assert.equal(records[2]![F.sessionRecords], 3);
  const result = verifyChain(records);
  assert.deepEqual(result.problems, []);
  assert.equal(auditRecords(tel.logs)[1]!.spanContext?.spanId, spanNamed(tel.spans.getFinishedSpans(), 'tools/call search').spanContext().spanId, 'records link to their span');
});

test('with an audit key, links are HMAC and payload digests are written; the shared vectors verify the same way', async () => {
  const { tel } = await session({ auditKey: 'k1' });
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.equal(records[1]![F.chainAlgorithm], 'hmac-sha256');
  assert.match(String(records[1]![F.payloadDigest]), /^[0-9a-f]{64}$/);
  assert.deepEqual(verifyChain(records, { key: 'k1' }).problems, []);
  assert.ok(verifyChain(records, { key: 'wrong' }).problems.some((p) => p.kind === 'altered'));
  const vectors = JSON.parse(readFileSync(new URL(import.meta.resolve('@mcp-conservation/semconv/test-vectors/audit-chain.json')), 'utf8'));
  for (const s of vectors.sessions) for (const r of s.records) assert.equal(computeLink(r.record, s.key ?? undefined), r.link);
});

test('legacy era: records name the client from initialize and the server from its result; an unlisted tool says so; a missing resource is one condition', async () => {
  const { tel } = await session({}, async (c) => {
    await c.callTool({ name: 'search', arguments: { query: 'before listing' } });
    await c.listTools();
    await c.callTool({ name: 'search', arguments: { query: 'after listing' } });
    await c.readResource({ uri: 'doc://missing' }).catch(() => undefined);
  });
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  for (const a of records) assert.deepEqual([a[F.clientName], a[F.clientVersion], a[F.server], a[F.serverVersion]], ['c', '1', 'test-server', '1.0.0']);
  assert.deepEqual(
    records.map((a) => [a[F.method] ?? a[F.kind], a[F.toolListed] ?? null, a[F.errorType] ?? null, a[F.errorCondition] ?? null]),
    [
      ['initialize', null, null, null],
      ['tools/call', false, null, null],
      ['tools/list', null, null, null],
      ['tools/call', true, null, null],
      // SDK 1.32's McpServer answers an unknown URI -32602 without data.uri: invalid params, not the named condition.
      ['resources/read', null, '-32602', null],
      ['session_end', null, null, null],
    ],
  );
  const calls = tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/call search');
  assert.deepEqual(calls.map((s) => s.attributes['mcp_conservation.tool.listed']), [false, true]);
});

test('a missing resource is one condition whichever code says it: -32002 (2025) and -32602 with data.uri (2026-07-28)', async () => {
  const tel = createTelemetry();
  const server = new Server({ name: 'raw-resources', version: '3' }, { capabilities: { resources: {} } });
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    if (req.params.uri === 'doc://old') throw new McpError(-32002, 'Resource not found', { uri: req.params.uri });
    if (req.params.uri === 'doc://new') throw new McpError(ErrorCode.InvalidParams, 'Resource not found', { uri: req.params.uri });
    throw new McpError(ErrorCode.InvalidParams, 'bad uri');
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  await client.connect(clientSide);
  for (const uri of ['doc://old', 'doc://new', 'doc://bad']) await client.readResource({ uri }).catch(() => undefined);
  await client.close();
  await observerOf(client)!.forceFlush();
  const reads = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord).filter((a) => a[F.method] === 'resources/read');
  assert.deepEqual(reads.map((a) => [a[F.errorType], a[F.errorCondition] ?? null]), [
    ['-32002', 'resource_not_found'],
    ['-32602', 'resource_not_found'],
    ['-32602', null],
  ]);
});
