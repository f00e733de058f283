/**
 * A paginated listing is one logical call whose pages are its legs
 * (docs/conservation-metrics.md#logical-calls-and-their-legs): the request
 * echoing a page's `nextCursor` is the call's next leg, whether the host
 * walks the pages (SDK v1) or the client does (SDK v2's `listTools()`). A
 * walk the host stops is decided on its last page, when a fresh listing of
 * the same method comes, when the late window passes, or when the session
 * ends. Token figures come from the literal definitions, tokenized here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server as ServerV2, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, connectInMemory, createTelemetry, histogramOf, sumOf, until } from './helpers.ts';

const NAMES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
const TOOLS = NAMES.map((name) => ({ name, description: `the ${name} tool`, inputSchema: { type: 'object' as const } }));
/** The default rendering of a definition: name, description and compact input schema. */
const def = (name: string) => countTokens(`${name}\nthe ${name} tool\n{"type":"object"}`);
const ALL = NAMES.reduce((sum, n) => sum + def(n), 0);
const PAGE = 2;

/** Pages of two tools, the cursor the index of the next page's first tool. */
function page(cursor: string | undefined) {
  const from = cursor === undefined ? 0 : Number(cursor.slice('at-'.length));
  const next = from + PAGE;
  return { tools: TOOLS.slice(from, next), ...(next < TOOLS.length ? { nextCursor: `at-${next}` } : {}) };
}

const records = (tel: ReturnType<typeof createTelemetry>) => auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
const recordTokens = (r: AuditRecord) => Number(r[F.tokensMeaningful]) + Number(r[F.tokensRedundant]) + Number(r[F.tokensUnused]) + Number(r[F.tokensLost]);

test('v1, the host walks the pages: each walk is one call of three legs, in volume once; a walk stopped early ends at the next fresh listing', async () => {
  const tel = createTelemetry();
  const server = new Server({ name: 'paged', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, (req) => page(req.params?.cursor));
  server.setRequestHandler(CallToolRequestSchema, (req) => ({ content: [{ type: 'text', text: `result of ${req.params.name}` }] }));
  const client = await connectInMemory(tel, server);
  const observer = observerOf(client)!;
  const walk = async () => {
    let cursor: string | undefined;
    do cursor = (await client.listTools(cursor ? { cursor } : undefined)).nextCursor;
    while (cursor);
  };
  await walk();
  await observer.forceFlush();
  // The host reads one page and stops: decided on that page when it lists afresh.
  await client.listTools();
  await observer.forceFlush();
  await walk();
  await client.callTool({ name: 'gamma', arguments: {} });
  await client.close();
  await observer.forceFlush();

  const all = records(tel);
  assert.equal(verifyChain(all).ok, true);
  assert.deepEqual(all.map((r) => [r[F.method] ?? r[F.kind], r[F.legs] ?? null, r[F.outcome]]), [
    ['initialize', 1, 'success'],
    ['tools/list', 3, 'success'],
    ['tools/list', 1, 'success'],
    ['tools/list', 3, 'success'],
    ['tools/call', 1, 'success'],
    ['session_end', null, 'success'],
  ]);
  // Volume: three listings and a call, not seven list requests and a call.
  assert.equal(all.at(-1)![F.sessionRequests], 4);
  // A walk's record sums its pages' tallies. A definition first delivered waits for its use to be
  // known (counted later, in no record); a repeat is redundant at once: the second walk repeats all five.
  assert.deepEqual(all.slice(1, 4).map((r) => [recordTokens(r), r[F.tokensRedundant]]), [
    [0, 0],
    [def('alpha') + def('beta'), def('alpha') + def('beta')],
    [ALL, ALL],
  ]);

  const spans = tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/list');
  const first = all[1]![F.callId];
  const legs = spans.filter((s) => s.attributes['mcp_conservation.call.id'] === first).sort((a, b) => Number(a.attributes['mcp_conservation.leg.index']) - Number(b.attributes['mcp_conservation.leg.index']));
  assert.deepEqual(legs.map((s) => [s.attributes['mcp_conservation.leg.index'], s.attributes['mcp_conservation.leg.reason'], s.attributes['mcp_conservation.outcome'] ?? null, s.links.length]), [
    [1, 'initial', null, 0],
    [2, 'next_page', null, 1],
    [3, 'next_page', 'success', 1],
  ]);
  assert.equal(legs[1]!.links[0]!.context.spanId, legs[0]!.spanContext().spanId);

  const rm = await tel.collect();
  assert.deepEqual(histogramOf(rm, 'mcp_conservation.call.legs', { 'mcp.method.name': 'tools/list' }).map((h) => [h.count, h.sum]), [[3, 7]]);
  // Every page is a wire request: seven duration points.
  assert.equal(histogramOf(rm, 'mcp.client.operation.duration', { 'mcp.method.name': 'tools/list' }).reduce((n, h) => n + h.count, 0), 7);
  assert.deepEqual(histogramOf(rm, 'mcp_conservation.session.requests').map((h) => [h.count, h.sum]), [[1, 4]]);
  await tel.shutdown();
});

test('v1, a walk stopped with no fresh listing after it is decided on its last page when the late window passes', async () => {
  const tel = createTelemetry();
  const server = new Server({ name: 'paged', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, (req) => page(req.params?.cursor));
  const client = await connectInMemory(tel, server, { lateWindowMs: 100 });
  await client.listTools();
  await client.listTools({ cursor: 'at-2' });
  await until(() => records(tel).some((r) => r[F.method] === 'tools/list'), 'the stopped walk is decided after the late window');
  const listing = records(tel).find((r) => r[F.method] === 'tools/list');
  assert.deepEqual([listing![F.legs], listing![F.outcome]], [2, 'success']);
  await client.close();
  await observerOf(client)!.forceFlush();
  assert.equal(records(tel).at(-1)![F.sessionRequests], 1);
  await tel.shutdown();
});

test('v2 client walks the pages inside listTools(): one call, three legs, every definition delivered', async () => {
  const httpServer = createServer(
    toNodeHandler(
      createMcpHandler(() => {
        const s = new ServerV2({ name: 'paged-v2', version: '2.0.0' }, { capabilities: { tools: {} } });
        s.setRequestHandler('tools/list', (req) => page(typeof req.params?.cursor === 'string' ? req.params.cursor : undefined));
        return s;
      }),
    ),
  );
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`);
  const tel = createTelemetry();
  const client = instrumentClient(new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
  });
  let listed;
  try {
    await client.connect(new StreamableHTTPClientTransport(url));
    listed = await client.listTools();
    await client.close();
    await observerOf(client)!.forceFlush();
  } finally {
    httpServer.close();
  }

  assert.deepEqual(listed.tools.map((t) => t.name), NAMES);
  const all = records(tel);
  assert.deepEqual(all.map((r) => [r[F.method] ?? r[F.kind], r[F.legs] ?? null]), [
    ['server/discover', 1],
    ['tools/list', 3],
    ['session_end', null],
  ]);
  assert.equal(all.at(-1)![F.sessionRequests], 1);
  const spans = tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/list');
  assert.deepEqual(spans.map((s) => s.attributes['mcp_conservation.leg.reason']).sort(), ['initial', 'next_page', 'next_page']);
  assert.equal(new Set(spans.map((s) => s.attributes['mcp_conservation.call.id'])).size, 1);
  // Delivered, never called: every page's definitions are unused at the session's end.
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/list', 'mcp_conservation.token.disposition': 'unused' }), ALL);
  await tel.shutdown();
});
