/** Streamable HTTP on loopback, hostile input, and memory over 10,000 sessions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { createTelemetry, spanNamed, sumOf, auditRecords } from './helpers.ts';
import { createTestServer } from './fixtures/server.ts';

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

async function startHttpServer(): Promise<{ server: Server; url: URL }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const server = createServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'] as string | undefined;
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, transport!) });
      await createTestServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, url: new URL(`http://127.0.0.1:${port}/mcp`) };
}

test('Streamable HTTP: server address, port and MCP session id reach spans and audit records', async () => {
  const { server, url } = await startHttpServer();
  const tel = createTelemetry();
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
  });
  const transport = new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  await client.callTool({ name: 'search', arguments: { query: 'q' } });
  const mcpSessionId = transport.sessionId;
  await transport.terminateSession();
  await client.close();
  await observerOf(client)!.forceFlush();
  server.close();
  assert.match(String(mcpSessionId), /^[0-9a-f-]{36}$/);
  const span = spanNamed(tel.spans.getFinishedSpans(), 'tools/call search');
  assert.equal(span.attributes['network.transport'], 'tcp');
  assert.equal(span.attributes['server.address'], '127.0.0.1');
  assert.equal(span.attributes['server.port'], Number(url.port));
  assert.equal(span.attributes['mcp.session.id'], mcpSessionId);
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.equal(records.find((r) => r[F.tool] === 'search')?.[F.mcpSessionId], mcpSessionId);
  assert.deepEqual(verifyChain(records).problems, []);
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'success' }), 1);
  for (const m of rm.scopeMetrics.flatMap((s) => s.metrics)) {
    for (const dp of m.dataPoints) assert.equal(dp.attributes['mcp.session.id'], undefined, `${m.descriptor.name} carries no session id`);
  }
  await tel.shutdown();
});

test('hostile results never throw into the host and are still accounted', async () => {
  const tel = createTelemetry();
  const server = new McpServer({ name: 'hostile', version: '1' });
  const huge = 'ab'.repeat(200_000);
  server.registerTool('special', { description: 'special tokens' }, async () => ({ content: [{ type: 'text', text: 'a <|endoftext|> b <|im_start|>' }] }));
  server.registerTool('huge', { description: 'a 400 kB block' }, async () => ({ content: [{ type: 'text', text: huge }] }));
  server.registerTool('binary', { description: 'an image' }, async () => ({ content: [{ type: 'image', data: Buffer.alloc(3000, 7).toString('base64'), mimeType: 'image/png' }] }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
    resolveUser: () => {
      throw new Error('user lookup down');
    },
  });
  await client.connect(a);
  const special = await client.callTool({ name: 'special', arguments: {} });
  assert.deepEqual(special.content, [{ type: 'text', text: 'a <|endoftext|> b <|im_start|>' }], 'results are unchanged');
  const big = await client.callTool({ name: 'huge', arguments: {} });
  assert.equal((big.content as { text: string }[])[0]!.text.length, huge.length);
  await client.callTool({ name: 'binary', arguments: {} });
  // Messages that are not JSON-RPC at all pass through the observer untouched.
  const t = client.transport as unknown as { onmessage: (m: unknown) => void };
  for (const junk of [null, 42, 'text', [], { id: {} }, { jsonrpc: '2.0', id: 99999, result: 'not an object' }]) t.onmessage(junk);
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'success' }), 3);
  assert.equal(sumOf(rm, 'mcp_conservation.context.binary.size'), 3000);
  // An image-only result has no text block: its source is still the tool result's.
  assert.equal(sumOf(rm, 'mcp_conservation.context.binary.size', { 'mcp_conservation.context.source': 'tool_result' }), 3000);
  assert.ok(sumOf(rm, 'mcp_conservation.context.tokens', { 'gen_ai.tool.name': 'special' }) > 0);
  assert.deepEqual(verifyChain(auditRecords(tel.logs).map((r) => r.attributes as AuditRecord)).problems, []);
  await tel.shutdown();
});

test('memory: 10,000 sessions opened and closed are collected; the heap returns to its baseline', async (t) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    t.skip('needs --expose-gc');
    return;
  }
  const tel = createTelemetry();
  const options = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider, useWorker: false };
  const mcpServer = () => {
    const s = new McpServer({ name: 'mem', version: '1' });
    s.registerTool('t', { description: 'd' }, async () => ({ content: [{ type: 'text', text: 'x' }] }));
    return s;
  };
  let collected = 0;
  const registry = new FinalizationRegistry(() => collected++);
  const runSessions = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const [a, b] = InMemoryTransport.createLinkedPair();
      await mcpServer().connect(b);
      const client = instrumentClient(new Client({ name: 'c', version: '1' }), options);
      registry.register(client, i);
      await client.connect(a);
      await client.callTool({ name: 't', arguments: {} });
      await client.close();
      tel.logs.reset();
      tel.spans.reset();
    }
  };
  await runSessions(200);
  gc();
  const baseline = process.memoryUsage().heapUsed;
  await runSessions(10_000);
  await new Promise((r) => setImmediate(r));
  tel.logs.reset();
  tel.spans.reset();
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const after = process.memoryUsage().heapUsed;
  const growthMb = (after - baseline) / 1024 / 1024;
  t.diagnostic(`heap after 10,000 sessions: ${growthMb.toFixed(1)} MB over baseline; clients collected: ${collected}`);
  assert.ok(collected >= 10_000 * 0.99, `clients collected: ${collected}`);
  assert.ok(growthMb < 20, `heap grew ${growthMb.toFixed(1)} MB`);
  await tel.shutdown();
});
