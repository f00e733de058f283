/**
 * Server-side logical calls in the 2026-07-28 era (v2 createMcpHandler over
 * Streamable HTTP, a real v2 client): a multi-round-trip call the client
 * abandons is one call, `input_unresolved`, once the late window passes;
 * result tokens of prompts and tools are counted as a host renders them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler, fromJsonSchema, inputRequired } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { AUDIT_FIELDS as F, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { instrumentServer, serverObserverOf, type InstrumentServerOptions } from '@mcp-conservation/instrumentation';
import { auditRecords, createTelemetry, histogramOf, sumOf, until } from './helpers.ts';

const OK = { type: 'object', properties: { ok: { type: 'boolean' } } } as const;
const PROMPT_TEXT = 'Summarise the release notes in three bullet points.';

test('v2 server, modern era: an abandoned multi-round-trip call is one call, input_unresolved, after the late window; prompt and tool results are counted', async () => {
  const tel = createTelemetry();
  const serverOptions: InstrumentServerOptions = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider, lateWindowMs: 200 };
  let lastServer: McpServer | undefined;
  const factory = () => {
    const server = new McpServer({ name: 'rounds', version: '2.0.0' });
    server.registerTool('confirm', { description: 'Asks before acting', inputSchema: fromJsonSchema({ type: 'object' }) }, async () =>
      inputRequired({ inputRequests: { a: inputRequired.elicit({ message: 'Sure?', requestedSchema: OK }) }, requestState: 'asked' }),
    );
    server.registerTool('hello', { description: 'Greets' }, async () => ({ content: [{ type: 'text' as const, text: 'hello there' }] }));
    server.registerPrompt('notes', { description: 'Release notes' }, async () => ({ messages: [{ role: 'user' as const, content: { type: 'text' as const, text: PROMPT_TEXT } }] }));
    lastServer = server;
    return instrumentServer(server, serverOptions);
  };
  const httpServer = http.createServer(toNodeHandler(createMcpHandler(factory)));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(httpServer.address() as { port: number }).port}/mcp`);
  const client = new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 2000 } }, capabilities: { elicitation: { form: {} } } });
  // The host declines to answer: the client's round driver fails the call and sends no retry.
  client.setRequestHandler('elicitation/create', async () => {
    throw new Error('the user closed the dialog');
  });
  await client.connect(new StreamableHTTPClientTransport(url));
  assert.equal(client.getProtocolEra(), 'modern');
  await assert.rejects(client.callTool({ name: 'confirm', arguments: {} }));
  await client.callTool({ name: 'hello', arguments: {} });
  await client.getPrompt({ name: 'notes' });
  await client.close();

  const serverRecords = () => auditRecords(tel.logs).map((r) => r.attributes as AuditRecord).filter((r) => r[F.direction] === 'server' && r[F.method] === 'tools/call');
  await until(() => serverRecords().some((r) => r[F.tool] === 'confirm'), 'the abandoned call is decided after the late window');
  await serverObserverOf(lastServer!)!.forceFlush();
  httpServer.close();

  const confirm = serverRecords().find((r) => r[F.tool] === 'confirm')!;
  assert.equal(confirm[F.outcome], 'input_unresolved');
  assert.equal(confirm[F.legs], 1);
  assert.equal(confirm[F.contextValid], true, 'its last answer went out whole, as on the client side');
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.server.tool.calls', { 'gen_ai.tool.name': 'confirm' }), 1);
  assert.equal(sumOf(rm, 'mcp_conservation.server.tool.calls', { 'gen_ai.tool.name': 'confirm', 'mcp_conservation.outcome': 'input_unresolved' }), 1);
  assert.equal(sumOf(rm, 'mcp_conservation.server.tool.calls', { 'gen_ai.tool.name': 'hello', 'mcp_conservation.outcome': 'success' }), 1);
  // Legs per call: the abandoned call's one, hello's one (prompts/get is a multi-round method too).
  assert.deepEqual(
    ['tools/call', 'prompts/get'].map((m) => histogramOf(rm, 'mcp_conservation.server.call.legs', { 'mcp.method.name': m }).map((h) => [h.count, h.sum])),
    [[[2, 2]], [[1, 1]]],
  );
  // The interim answer renders nothing; hello's text and the prompt's message are what a host would see.
  const tokens = (filter: Record<string, string>) => sumOf(rm, 'mcp_conservation.server.result.tokens', filter);
  assert.equal(tokens({ 'gen_ai.tool.name': 'confirm' }), 0);
  assert.equal(tokens({ 'gen_ai.tool.name': 'hello', 'mcp_conservation.context.source': 'tool_result' }), countTokens('hello there'));
  assert.equal(tokens({ 'mcp.method.name': 'prompts/get', 'mcp_conservation.context.source': 'prompt_messages' }), countTokens(PROMPT_TEXT));
  assert.equal(tokens({}), countTokens('hello there') + countTokens(PROMPT_TEXT));
  await tel.shutdown();
});

test('with no meter provider a server counts no result token', async () => {
  const tel = createTelemetry();
  // Spans and audit only: the API's no-op meter provider.
  const serverOptions: InstrumentServerOptions = { tracerProvider: tel.tracerProvider, loggerProvider: tel.loggerProvider, useWorker: false, tokenizer: { module: new URL('./fixtures/flagging-tokenizer.mjs', import.meta.url).pathname } };
  let lastServer: McpServer | undefined;
  const factory = () => {
    const server = new McpServer({ name: 'quiet', version: '2.0.0' });
    server.registerTool('hello', { description: 'Greets' }, async () => ({ content: [{ type: 'text' as const, text: 'hello there' }] }));
    lastServer = server;
    return instrumentServer(server, serverOptions);
  };
  const httpServer = http.createServer(toNodeHandler(createMcpHandler(factory)));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(httpServer.address() as { port: number }).port}/mcp`);
  const client = new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 2000 } } });
  await client.connect(new StreamableHTTPClientTransport(url));
  await client.callTool({ name: 'hello', arguments: {} });
  await client.close();
  await serverObserverOf(lastServer!)!.forceFlush();
  httpServer.close();
  // The tokenizer flags its loading: nothing was rendered or counted for nobody.
  assert.equal((globalThis as { __mcpcTokenizerLoaded?: boolean }).__mcpcTokenizerLoaded, undefined, 'the tokenizer was never loaded');
  assert.equal(tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/call hello').length, 1);
  await tel.shutdown();
});
