/**
 * Dispositions, outcomes and volume over an in-memory session whose true
 * answer is known: expected token counts come from the literal strings,
 * counted with gpt-tokenizer here in the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { createTelemetry, sumOf, histogramOf } from './helpers.ts';
import { createTestServer, TEXT } from './fixtures/server.ts';

const TOKENS = 'mcp_conservation.context.tokens';
const tok = (s: string) => countTokens(s);

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

test('a known session yields exact dispositions, outcomes and volume', async () => {
  // Hard-coded ground truth for one literal, so that a tokenizer change cannot pass unnoticed.
  assert.equal(tok(TEXT.search), 16);
  const tel = createTelemetry();
  const server = createTestServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = instrumentClient(new Client({ name: 'test-client', version: '1.0.0' }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
  });
  await client.connect(clientSide);
  const { tools } = await client.listTools();
  await client.callTool({ name: 'search', arguments: { query: 'capital of France' } });
  await client.callTool({ name: 'search', arguments: { query: 'capital of France' } });
  const failed = await client.callTool({ name: 'fail', arguments: {} });
  assert.equal(failed.isError, true, 'the result reaches the caller unchanged');
  await client.callTool({ name: 'structured', arguments: {} });
  await client.readResource({ uri: 'doc://readme' });
  await client.getPrompt({ name: 'greet' });
  await client.close();
  await observerOf(client)!.forceFlush();

  const def = (name: string) => {
    const t = tools.find((x) => x.name === name)!;
    return tok([t.name, t.description ?? '', stableJson(t.inputSchema)].join('\n'));
  };
  const structuredJson = JSON.stringify(TEXT.structured);
  const expected = {
    meaningful: tok(TEXT.search) + tok(TEXT.fail) + tok(structuredJson) + tok(TEXT.readme) + tok(TEXT.greet) + def('search') + def('fail') + def('structured'),
    redundant: tok(TEXT.search) + tok(structuredJson),
    unused: def('unused_tool') + def('slow'),
  };
  const rm = await tel.collect();
  assert.equal(sumOf(rm, TOKENS, { 'mcp_conservation.token.disposition': 'meaningful' }), expected.meaningful);
  assert.equal(sumOf(rm, TOKENS, { 'mcp_conservation.token.disposition': 'redundant' }), expected.redundant);
  assert.equal(sumOf(rm, TOKENS, { 'mcp_conservation.token.disposition': 'unused' }), expected.unused);
  assert.equal(sumOf(rm, TOKENS, { 'mcp_conservation.token.disposition': 'unused', 'gen_ai.tool.name': 'unused_tool' }), def('unused_tool'));
  assert.equal(sumOf(rm, TOKENS, { 'mcp_conservation.context.source': 'tool_definition' }), def('search') + def('fail') + def('structured') + def('unused_tool') + def('slow'));

  const calls = 'mcp_conservation.tool.calls';
  assert.equal(sumOf(rm, calls, { 'mcp_conservation.outcome': 'success', 'gen_ai.tool.name': 'search' }), 2);
  assert.equal(sumOf(rm, calls, { 'mcp_conservation.outcome': 'tool_error', 'gen_ai.tool.name': 'fail' }), 1);
  assert.equal(sumOf(rm, calls, { 'mcp_conservation.outcome': 'success' }), 3);
  assert.equal(sumOf(rm, calls), 4);
  assert.equal(sumOf(rm, 'mcp_conservation.responses.lost'), 0);
  // initialize, tools/list, 4 calls, resources/read, prompts/get
  assert.equal(sumOf(rm, 'mcp_conservation.responses.expected'), 8);
  assert.equal(sumOf(rm, 'mcp_conservation.responses.expected', { 'mcp_conservation.server.name': 'test-server' }), 8);
  const perSession = histogramOf(rm, 'mcp_conservation.session.requests');
  assert.equal(perSession.length, 1);
  assert.equal(perSession[0]!.count, 1);
  assert.equal(perSession[0]!.sum, 7, 'initialize is not counted in volume');
  assert.equal(sumOf(rm, 'mcp_conservation.session.over_limit'), 0);
  const durations = histogramOf(rm, 'mcp.client.operation.duration', { 'mcp.method.name': 'tools/call' });
  assert.equal(durations.reduce((n, d) => n + d.count, 0), 4);
  assert.deepEqual(durations[0]!.boundaries, [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
  const failedDuration = histogramOf(rm, 'mcp.client.operation.duration', { 'error.type': 'tool_error' });
  assert.equal(failedDuration[0]?.count, 1);
  assert.equal(sumOf(rm, 'mcp_conservation.audit.records'), 9);
  assert.ok(sumOf(rm, 'mcp_conservation.wire.overhead') > 0);
  await tel.shutdown();
});
