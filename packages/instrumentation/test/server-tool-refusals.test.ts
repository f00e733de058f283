/**
 * SDK v1's McpServer answers a tools/call it refuses before its tool runs
 * (an unknown tool, a disabled tool, arguments its input schema rejects, a
 * task-only tool called without a task, arguments a task tool's input schema
 * rejects) with an `isError` result, not the
 * JSON-RPC error the SDK builds for it. The server side counts those as the
 * caller's mistakes, with that error's code (-32602, -32601), while a tool
 * that returns `isError`, throws, or breaks its output schema stays the
 * server's tool error. A real v1 Client drives a real instrumented McpServer
 * in memory and over Streamable HTTP; all the calls are in flight at once, so
 * a refusal and an answer of the same tool are told apart per request.
 * SDK v2's McpServer answers only rejected arguments that way (its `executor`
 * is watched instead of the handler); its unknown tool is a JSON-RPC error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { McpServer as ModernServer, createMcpHandler, fromJsonSchema } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { z } from 'zod';
import { AUDIT_FIELDS as F, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { instrumentServer, serverObserverOf, type InstrumentServerOptions } from '@mcp-conservation/instrumentation';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { auditRecords, createTelemetry, type Telemetry } from './helpers.ts';

const SERVER_NAME = 'v1-refusals';

function buildServer(): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: '1.0.0' }, { taskStore: new InMemoryTaskStore() });
  server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text' as const, text }] }));
  server.registerTool('retired', { description: 'Disabled' }, async () => ({ content: [{ type: 'text' as const, text: 'never' }] })).disable();
  server.registerTool('soft', { description: 'Fails softly' }, async () => ({ content: [{ type: 'text' as const, text: 'backend refused' }], isError: true }));
  server.registerTool('throws', { description: 'Throws' }, async () => {
    throw new Error('boom');
  });
  server.registerTool('shaped', { description: 'Breaks its output schema', outputSchema: { count: z.number() } }, async () => ({
    content: [{ type: 'text' as const, text: 'many' }],
    structuredContent: { count: 'many' } as unknown as { count: number },
  }));
  server.experimental.tasks.registerToolTask('queued', { description: 'Runs only as a task', execution: { taskSupport: 'required' } }, {
    createTask: () => {
      throw new Error('never called without a task');
    },
    getTask: () => {
      throw new Error('never called');
    },
    getTaskResult: () => {
      throw new Error('never called');
    },
  });
  // Called without a task, an optional task tool is run as one and polled by the SDK: its handler is createTask.
  server.experimental.tasks.registerToolTask('tally', { description: 'Doubles, as a task', inputSchema: { n: z.number() }, execution: { taskSupport: 'optional' } }, {
    createTask: async ({ n }, extra) => {
      // No ttl: a ttl would leave a cleanup timer holding the test process open.
      const task = await extra.taskStore.createTask({ ttl: null });
      await extra.taskStore.storeTaskResult(task.taskId, 'completed', { content: [{ type: 'text', text: String(n * 2) }] });
      return { task: (await extra.taskStore.getTask(task.taskId))! };
    },
    getTask: async (_args, extra) => (await extra.taskStore.getTask(extra.taskId))!,
    getTaskResult: async (_args, extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as { content: { type: 'text'; text: string }[] },
  });
  server.experimental.tasks.registerToolTask('stalls', { description: 'Fails to queue', execution: { taskSupport: 'optional' } }, {
    createTask: () => {
      throw new Error('queue full');
    },
    getTask: () => {
      throw new Error('never called');
    },
    getTaskResult: () => {
      throw new Error('never called');
    },
  });
  return server;
}

/** A call, what the server decides of it, and under which tool name its metrics count it. */
interface Case {
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly outcome: 'success' | 'protocol_error' | 'tool_error';
  readonly origin?: 'caller' | 'server';
  readonly code?: number;
  readonly metricTool: string;
}

const CASES: readonly Case[] = [
  { name: 'echo', args: { text: 'hi' }, outcome: 'success', metricTool: 'echo' },
  { name: 'nope', args: {}, outcome: 'protocol_error', origin: 'caller', code: -32602, metricTool: '_OTHER' },
  { name: 'retired', args: {}, outcome: 'protocol_error', origin: 'caller', code: -32602, metricTool: 'retired' },
  { name: 'echo', args: { text: 42 }, outcome: 'protocol_error', origin: 'caller', code: -32602, metricTool: 'echo' },
  { name: 'queued', args: {}, outcome: 'protocol_error', origin: 'caller', code: -32601, metricTool: 'queued' },
  { name: 'tally', args: { n: 21 }, outcome: 'success', metricTool: 'tally' },
  { name: 'tally', args: { n: 'x' }, outcome: 'protocol_error', origin: 'caller', code: -32602, metricTool: 'tally' },
  { name: 'stalls', args: {}, outcome: 'tool_error', origin: 'server', metricTool: 'stalls' },
  { name: 'soft', args: {}, outcome: 'tool_error', origin: 'server', metricTool: 'soft' },
  { name: 'throws', args: {}, outcome: 'tool_error', origin: 'server', metricTool: 'throws' },
  { name: 'shaped', args: {}, outcome: 'tool_error', origin: 'server', metricTool: 'shaped' },
];

/** Every case at once. Each answer is a result: the wire says isError for all but the success. Returns the texts answered. */
async function callAll(client: Client): Promise<string[]> {
  // client.request, not callTool: callTool refuses a task-only tool itself once it has listed it.
  const results = await Promise.all(CASES.map((c) => client.request({ method: 'tools/call', params: { name: c.name, arguments: c.args } }, CallToolResultSchema)));
  results.forEach((r, i) => assert.equal(r.isError === true, CASES[i]!.outcome !== 'success', `${CASES[i]!.name} ${JSON.stringify(CASES[i]!.args)}: isError on the wire`));
  return results.map((r) => (r.content as { type: string; text: string }[]).map((b) => b.text).join(''));
}

const sorted = <T>(rows: T[]): T[] => rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

type Points = { attributes: Record<string, unknown>; value: unknown }[];

function pointsOf(rm: Awaited<ReturnType<Telemetry['collect']>>, name: string): Points {
  return rm.scopeMetrics.flatMap((sm) => sm.metrics).filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as Points);
}

/** Spans, metric points and audit records of the calls: each exactly as its case says. */
async function assertClassified(tel: Telemetry, server: McpServer, texts: string[], networkTransport: string): Promise<void> {
  const spans = tel.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.attributes['mcp.method.name'] === 'tools/call');
  assert.deepEqual(
    sorted(spans.map((s) => [s.name, s.attributes['mcp_conservation.outcome'], s.attributes['rpc.response.status_code'] ?? null, s.attributes['error.type'] ?? null, s.status.code, s.attributes['network.transport']])),
    sorted(CASES.map((c) => [
      `tools/call ${c.name}`,
      c.outcome,
      c.code !== undefined ? String(c.code) : null,
      c.origin === 'server' ? 'tool_error' : null,
      c.origin === 'server' ? SpanStatusCode.ERROR : SpanStatusCode.UNSET,
      networkTransport,
    ])),
    'a refusal keeps its code on the span, without error.type or ERROR; a tool error is ERROR'
  );

  await serverObserverOf(server)!.forceFlush();
  const rm = await tel.collect();
  const calls = pointsOf(rm, 'mcp_conservation.server.tool.calls');
  const expectedCalls = new Map<string, number>();
  for (const c of CASES) {
    const key = JSON.stringify([c.metricTool, c.outcome, c.origin ?? null]);
    expectedCalls.set(key, (expectedCalls.get(key) ?? 0) + 1);
  }
  assert.deepEqual(
    sorted(calls.map((dp) => [dp.attributes['gen_ai.tool.name'], dp.attributes['mcp_conservation.outcome'], dp.attributes['mcp_conservation.error.origin'] ?? null, dp.attributes['mcp_conservation.server.name'], dp.value])),
    sorted([...expectedCalls].map(([key, n]) => [...(JSON.parse(key) as unknown[]), SERVER_NAME, n])),
    'the refusals in the caller bucket of the server tool-call metric, the tool errors in the server bucket'
  );

  const durations = pointsOf(rm, 'mcp.server.operation.duration').filter((dp) => dp.attributes['mcp.method.name'] === 'tools/call');
  const expectedDurations = new Map<string, number>();
  for (const c of CASES) {
    const key = JSON.stringify([c.metricTool, c.code !== undefined ? String(c.code) : null, c.origin === 'server' ? 'tool_error' : null]);
    expectedDurations.set(key, (expectedDurations.get(key) ?? 0) + 1);
  }
  assert.deepEqual(
    sorted(durations.map((dp) => [dp.attributes['gen_ai.tool.name'], dp.attributes['rpc.response.status_code'] ?? null, dp.attributes['error.type'] ?? null, (dp.value as { count: number }).count])),
    sorted([...expectedDurations].map(([key, n]) => [...(JSON.parse(key) as unknown[]), n])),
    'durations: the refusal code as rpc.response.status_code, error.type only on the tool errors'
  );

  // Every answer is a result the host reads, the refusals' included: its text is counted.
  const resultTokens = pointsOf(rm, 'mcp_conservation.server.result.tokens').reduce((t, dp) => t + Number(dp.value), 0);
  assert.equal(resultTokens, texts.reduce((t, text) => t + countTokens(text), 0));

  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord).filter((r) => r[F.direction] === 'server' && r[F.method] === 'tools/call');
  assert.deepEqual(
    sorted(records.map((r) => [r[F.tool], r[F.outcome], r[F.errorType] ?? null, r[F.contextValid]])),
    sorted(CASES.map((c) => [c.name, c.outcome, c.code !== undefined ? String(c.code) : c.origin === 'server' ? 'tool_error' : null, true])),
    'audit: a refusal is a protocol_error with its code, and valid context: it went out whole'
  );
}

test('v1 McpServer in memory: isError refusals are the caller\'s protocol errors, tool errors the server\'s', async () => {
  const tel = createTelemetry();
  const server = instrumentServer(buildServer(), { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  const client = new Client({ name: 'c', version: '1' });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);
  const texts = await callAll(client);
  await assertClassified(tel, server, texts, 'inproc');
  await client.close();
  await tel.shutdown();
});

test('v1 McpServer over Streamable HTTP (stateless, a server per request): the same classification', { timeout: 30_000 }, async () => {
  const tel = createTelemetry();
  const options: InstrumentServerOptions = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider };
  let last: McpServer | undefined;
  const httpServer = http.createServer((req, res) => {
    const server = instrumentServer(buildServer(), options);
    last = server;
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void server.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  try {
    const url = new URL(`http://127.0.0.1:${(httpServer.address() as { port: number }).port}/mcp`);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url));
    const texts = await callAll(client);
    await client.close();
    // One observer serves every per-request server: any of them flushes it.
    await assertClassified(tel, last!, texts, 'tcp');
  } finally {
    httpServer.close();
  }
  await tel.shutdown();
});

test('v2 McpServer (createMcpHandler, modern era): rejected arguments answered as isError are the caller\'s; an unknown tool is a JSON-RPC error of the caller\'s; a throw stays the server\'s', { timeout: 30_000 }, async () => {
  const tel = createTelemetry();
  const options: InstrumentServerOptions = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider };
  const handler = createMcpHandler(() => {
    const server = new ModernServer({ name: 'v2-refusals', version: '2.0.0' });
    const echoSchema = fromJsonSchema({ type: 'object', properties: { text: { type: 'string' } }, required: ['text'] });
    server.registerTool('echo', { description: 'Echoes', inputSchema: echoSchema }, async (args: unknown) => ({ content: [{ type: 'text' as const, text: String((args as { text: string }).text) }] }));
    server.registerTool('throws', { description: 'Throws' }, async () => {
      throw new Error('boom');
    });
    return instrumentServer(server, options);
  });
  const httpServer = http.createServer(toNodeHandler(handler));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  try {
    const url = new URL(`http://127.0.0.1:${(httpServer.address() as { port: number }).port}/mcp`);
    const client = new ModernClient({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 2000 } } });
    await client.connect(new ModernHttpClientTransport(url));
    assert.equal(client.getProtocolEra(), 'modern');
    const [ok, rejected, thrown, unknown] = await Promise.allSettled([
      client.callTool({ name: 'echo', arguments: { text: 'hi' } }),
      client.callTool({ name: 'echo', arguments: { text: 42 } }),
      client.callTool({ name: 'throws', arguments: {} }),
      client.callTool({ name: 'nope', arguments: {} }),
    ]);
    assert.deepEqual([ok, rejected, thrown].map((r) => r.status === 'fulfilled' && r.value.isError === true), [false, true, true], 'isError on the wire for the rejected arguments and the throw');
    assert.equal(unknown!.status, 'rejected', 'the unknown tool is a JSON-RPC error');
    await client.close();
  } finally {
    httpServer.close();
  }
  const spans = tel.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.attributes['mcp.method.name'] === 'tools/call');
  assert.deepEqual(
    sorted(spans.map((s) => [s.name, s.attributes['mcp_conservation.outcome'], s.attributes['rpc.response.status_code'] ?? null, s.attributes['error.type'] ?? null, s.status.code])),
    sorted([
      ['tools/call echo', 'success', null, null, SpanStatusCode.UNSET],
      ['tools/call echo', 'protocol_error', '-32602', null, SpanStatusCode.UNSET],
      ['tools/call throws', 'tool_error', null, 'tool_error', SpanStatusCode.ERROR],
      ['tools/call nope', 'protocol_error', '-32602', null, SpanStatusCode.UNSET],
    ])
  );
  const rm = await tel.collect();
  assert.deepEqual(
    sorted(pointsOf(rm, 'mcp_conservation.server.tool.calls').map((dp) => [dp.attributes['gen_ai.tool.name'], dp.attributes['mcp_conservation.outcome'], dp.attributes['mcp_conservation.error.origin'] ?? null, dp.attributes['mcp_conservation.protocol.era'], dp.value])),
    sorted([
      ['echo', 'success', null, 'modern', 1],
      ['echo', 'protocol_error', 'caller', 'modern', 1],
      ['throws', 'tool_error', 'server', 'modern', 1],
      ['_OTHER', 'protocol_error', 'caller', 'modern', 1],
    ])
  );
  await tel.shutdown();
});

test('v1 McpServer without a task store: its task tool fails every call before reading the arguments, the server\'s own mistake', async () => {
  const tel = createTelemetry();
  const bare = new McpServer({ name: 'no-task-store', version: '1.0.0' });
  bare.experimental.tasks.registerToolTask('tally', { description: 'Doubles, as a task', inputSchema: { n: z.number() }, execution: { taskSupport: 'optional' } }, {
    createTask: () => {
      throw new Error('never reached');
    },
    getTask: () => {
      throw new Error('never called');
    },
    getTaskResult: () => {
      throw new Error('never called');
    },
  });
  const server = instrumentServer(bare, { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  const client = new Client({ name: 'c', version: '1' });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);
  const results = await Promise.all([{ n: 1 }, { n: 'x' }].map((args) => client.request({ method: 'tools/call', params: { name: 'tally', arguments: args } }, CallToolResultSchema)));
  assert.deepEqual(results.map((r) => [r.isError, (r.content as { text: string }[])[0]!.text]), [
    [true, 'No task store provided for task-capable tool.'],
    [true, 'No task store provided for task-capable tool.'],
  ]);
  await client.close();
  const spans = tel.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.attributes['mcp.method.name'] === 'tools/call');
  assert.deepEqual(spans.map((s) => [s.attributes['mcp_conservation.outcome'], s.attributes['error.type'] ?? null]), [
    ['tool_error', 'tool_error'],
    ['tool_error', 'tool_error'],
  ]);
  await tel.shutdown();
});
