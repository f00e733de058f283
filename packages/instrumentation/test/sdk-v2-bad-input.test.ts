/**
 * Hostile and malformed answers in the modern era, against a real SDK v2 client: a real v2 server
 * behind createMcpHandler, whose JSON answers a fetch wrapper rewrites where no SDK server would
 * produce the case (a result without resultType, an unknown resultType, a 10 MB requestState,
 * _meta of the wrong types). The host is never hurt, and every call is accounted, nothing uncounted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler, inputRequired } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, sumOf } from './helpers.ts';

type Json = Record<string, unknown>;

const OK = { type: 'object', properties: { ok: { type: 'boolean' } } } as const;

function factory() {
  const server = new McpServer({ name: 'hostile', version: '1.0.0' });
  server.registerTool('plain', { description: 'Answers at once' }, async () => ({ content: [{ type: 'text', text: 'plain answer' }] }));
  // Asks for input again however often it is answered.
  server.registerTool('forever', { description: 'Never satisfied' }, async () => inputRequired({ inputRequests: { a: inputRequired.elicit({ message: 'Again?', requestedSchema: OK }) }, requestState: 'again' }));
  // A tool without an input schema gets the context as its only argument.
  server.registerTool('once', { description: 'Asks once' }, async (ctx: { mcpReq: { requestState?: () => string | undefined } }) =>
    ctx.mcpReq.requestState?.() ? { content: [{ type: 'text', text: 'done' }] } : inputRequired({ inputRequests: { a: inputRequired.elicit({ message: 'Go?', requestedSchema: OK }) }, requestState: 'small' }),
  );
  return server;
}

async function start(): Promise<{ server: Server; url: URL }> {
  const server = createServer(toNodeHandler(createMcpHandler(factory)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`) };
}

/** A fetch that hands each JSON answer to `rewrite` with the method of the request it answers. */
function rewriting(rewrite: (method: string, message: Json) => Json): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const method = typeof init?.body === 'string' ? String((JSON.parse(init.body) as Json).method) : '';
    if (!response.headers.get('content-type')?.includes('application/json')) return response;
    const message = rewrite(method, (await response.json()) as Json);
    return new Response(JSON.stringify(message), { status: response.status, headers: response.headers });
  };
}

async function session(rewrite: (method: string, message: Json) => Json, body: (client: Client) => Promise<void>) {
  const { server, url } = await start();
  const tel = createTelemetry();
  const client = instrumentClient(
    new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } }, capabilities: { elicitation: { form: {} } }, inputRequired: { maxRounds: 3 } }),
    { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider },
  );
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { ok: true } }));
  await client.connect(new StreamableHTTPClientTransport(url, { fetch: rewriting(rewrite) }));
  await body(client);
  await client.close();
  await observerOf(client)!.forceFlush();
  server.close();
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.equal(verifyChain(records).ok, true);
  return { records, metrics: await tel.collect(), spans: tel.spans.getFinishedSpans() };
}

const result = (m: Json) => m.result as Json;

test('modern: a result without resultType, and one with an unknown resultType, are invalid results, lost as invalid, with one diagnostic', async () => {
  const rejected: string[] = [];
  const warnings: string[] = [];
  diag.setLogger({ verbose() {}, debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} }, DiagLogLevel.WARN);
  const r = await session(
    (method, m) => {
      if (method !== 'tools/call') return m;
      const res = { ...result(m) };
      if (rejected.length === 0) delete res.resultType;
      else res.resultType = 'something_else';
      return { ...m, result: res };
    },
    async (client) => {
      for (let i = 0; i < 2; i++) await client.callTool({ name: 'plain', arguments: {} }).catch((e: { code?: string }) => rejected.push(String(e.code)));
    },
  );
  // The host got the SDK's own rejections, and nothing else happened to it.
  assert.deepEqual(rejected, ['INVALID_RESULT', 'UNSUPPORTED_RESULT_TYPE']);
  const calls = r.records.filter((a) => a[F.method] === 'tools/call');
  assert.deepEqual(calls.map((a) => [a[F.outcome], a[F.cause], a[F.contextValid]]), [
    ['invalid_result', 'invalid', false],
    ['invalid_result', 'invalid', false],
  ]);
  assert.equal(sumOf(r.metrics, 'mcp_conservation.responses.lost', { 'mcp_conservation.loss.cause': 'invalid' }), 2);
  assert.equal(sumOf(r.metrics, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'invalid_result' }), 2);
  diag.disable();
  // One message names the call, the server and the verdict; the second fault of the same kind is counted silently.
  const invalid = warnings.filter((w) => w.includes('the client rejected the result'));
  assert.equal(invalid.length, 1, warnings.join('\n'));
  assert.match(invalid[0]!, /^mcp-conservation: tools\/call plain from hostile: the client rejected the result \(.+\); counted as invalid_result/);
});

test('modern: a server that answers input_required forever is one unresolved call, not a loss; the host gets the SDK rejection', async () => {
  let code = '';
  const r = await session(
    (_method, m) => m,
    async (client) => {
      await client.callTool({ name: 'forever', arguments: {} }).catch((e: { code?: string }) => (code = String(e.code)));
    },
  );
  assert.equal(code, 'INPUT_REQUIRED_ROUNDS_EXCEEDED');
  const calls = r.records.filter((a) => a[F.method] === 'tools/call');
  // The first leg and three rounds (maxRounds 3): four wire legs, one call, decided at close.
  assert.deepEqual(calls.map((a) => [a[F.outcome], a[F.legs], a[F.cause] ?? null, a[F.contextValid]]), [['input_unresolved', 4, null, true]]);
  assert.equal(sumOf(r.metrics, 'mcp_conservation.responses.lost'), 0);
  assert.equal(sumOf(r.metrics, 'mcp_conservation.tool.calls'), 1);
  assert.equal(sumOf(r.metrics, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'input_unresolved' }), 1);
  assert.equal(r.records.at(-1)![F.sessionRequests], 1);
});

test('modern: megabytes of requestState are echoed and linked without being kept; one past the server\'s body limit, and a refused envelope, are counted losses; _meta of the wrong types is ignored', async () => {
  const states = ['x'.repeat(10 * 1024 * 1024), 'y'.repeat(3 * 1024 * 1024)];
  let interim = 0;
  let answer: unknown;
  let rejected = '';
  let tooLarge = '';
  const r = await session(
    (method, m) => {
      const res = result(m);
      if (!res) return m;
      // serverInfo of the wrong type on every result: no server name is taken from it.
      const meta = { ...(res._meta as Json | undefined), 'io.modelcontextprotocol/serverInfo': 42 };
      if (method === 'tools/call' && res.resultType === 'input_required') return { ...m, result: { ...res, requestState: states[interim++], _meta: meta } };
      return { ...m, result: { ...res, _meta: meta } };
    },
    async (client) => {
      // A host that puts a version of the wrong type in _meta: the server refuses the envelope (-32602,
      // HTTP 400), and the SDK, which no longer sees a modern envelope, rejects the send as an HTTP error.
      await client.callTool({ name: 'plain', arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': 7 } as never }).catch((e: Error) => (rejected = e.message));
      // 10 MB echoed: past the server's 4 MB body limit, the retry is refused with HTTP 413.
      await client.callTool({ name: 'once', arguments: {} }).catch((e: Error) => (tooLarge = e.message));
      answer = await client.callTool({ name: 'once', arguments: {} }).catch((e: Error) => e.message);
    },
  );
  assert.match(rejected, /Invalid _meta envelope/);
  assert.match(tooLarge, /Payload Too Large/);
  assert.deepEqual((answer as { content?: unknown }).content, [{ type: 'text', text: 'done' }], String(answer));
  const calls = r.records.filter((a) => a[F.method] === 'tools/call');
  assert.deepEqual(calls.map((a) => [a[F.tool], a[F.outcome], a[F.errorType] ?? null, a[F.cause] ?? null, a[F.legs]]), [
    ['plain', 'transport_error', 'transport_error', 'transport_closed', 1],
    ['once', 'transport_error', 'transport_error', 'transport_closed', 2],
    ['once', 'success', null, null, 2],
  ]);
  // Neither refused answer reached the host as a JSON-RPC response: both are counted lost, none uncounted.
  assert.equal(sumOf(r.metrics, 'mcp_conservation.responses.lost', { 'mcp_conservation.loss.cause': 'transport_closed' }), 2);
  for (const s of r.spans) {
    assert.equal(s.attributes['mcp_conservation.server.name'], undefined, 'a serverInfo that is no object names no server');
    assert.equal(s.attributes['mcp_conservation.protocol.era'], 'modern');
  }
  // The interim answers' bytes, the states included, are wire overhead of their own source.
  assert.ok(sumOf(r.metrics, 'mcp_conservation.wire.overhead', { 'mcp_conservation.context.source': 'input_required' }) > states[0]!.length + states[1]!.length);
});
