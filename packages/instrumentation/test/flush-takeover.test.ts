/**
 * A flush does not depend on a worker that cannot answer: the analysis
 * worker runs niced, and on a busy machine it may get almost no CPU (it may
 * not even have loaded its tokenizer) when the host shuts down. Here the
 * worker never answers at all: without the takeover the flush would never
 * end. The counts the main thread takes over are the exact ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { ATTR_MCP_METHOD_NAME, ATTR_TOKEN_DISPOSITION, METRIC_CONTEXT_TOKENS, TOKEN_DISPOSITION_VALUES, type TokenDisposition } from '@mcp-conservation/semconv';
import { createTelemetry, sumOf } from './helpers.ts';

const tokenizer = fileURLToPath(new URL('./fixtures/stalled-worker-tokenizer.mjs', import.meta.url));

test('a flush counts on the main thread what a stalled analysis worker has not answered, exactly', { timeout: 30_000 }, async () => {
  const tel = createTelemetry();
  const server = new McpServer({ name: 's', version: '1' });
  // One token per character: the first result is 1000 meaningful tokens, its two repeats 2000 redundant ones.
  server.registerTool('t', {}, async () => ({ content: [{ type: 'text', text: 'x'.repeat(1000) }] }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), { tokenizer: { module: tokenizer }, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider, tracerProvider: tel.tracerProvider });
  await client.connect(a);
  for (let i = 0; i < 3; i++) await client.callTool({ name: 't', arguments: {} });
  await client.close();
  await observerOf(client)!.forceFlush();
  const metrics = await tel.collect();
  const tokens = (disposition: TokenDisposition) => sumOf(metrics, METRIC_CONTEXT_TOKENS.name, { [ATTR_MCP_METHOD_NAME]: 'tools/call', [ATTR_TOKEN_DISPOSITION]: disposition });
  assert.equal(tokens(TOKEN_DISPOSITION_VALUES.meaningful), 1000);
  assert.equal(tokens(TOKEN_DISPOSITION_VALUES.redundant), 2000);
  await tel.shutdown();
});

test('a flush shares a slow worker\'s backlog with it: every text is counted once, by one thread, and exactly', { timeout: 60_000 }, async () => {
  // The worker takes 20 ms a text: 48 distinct results keep it busy for about 1 s, well past the takeover at 250 ms.
  const log = join(mkdtempSync(join(tmpdir(), 'mcpc-takeover-')), 'counts.log');
  writeFileSync(log, '');
  process.env.MCPC_TEST_COUNT_LOG = log;
  const tel = createTelemetry();
  const server = new McpServer({ name: 's', version: '1' });
  let n = 0;
  // Distinct texts of 101 characters: `10:yyy...`; no count is served from the cache.
  server.registerTool('t', {}, async () => ({ content: [{ type: 'text', text: `${10 + n++}:` + 'y'.repeat(98) }] }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const slow = fileURLToPath(new URL('./fixtures/slow-worker-tokenizer.mjs', import.meta.url));
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), { tokenizer: { module: slow }, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider, tracerProvider: tel.tracerProvider });
  await client.connect(a);
  const calls = 48;
  for (let i = 0; i < calls; i++) await client.callTool({ name: 't', arguments: {} });
  await client.close();
  await observerOf(client)!.forceFlush();

  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]);
  const byText = new Map<string, string[]>();
  for (const [thread, text] of lines) byText.set(text, [...(byText.get(text) ?? []), thread]);
  assert.equal(byText.size, calls, 'every result counted');
  for (const [text, threads] of byText) assert.equal(threads.length, 1, `result ${text} counted by ${threads.join(' and ')}`);
  assert.ok(lines.some(([thread]) => thread === 'main'), 'the main thread took part of the backlog');
  const metrics = await tel.collect();
  assert.equal(sumOf(metrics, METRIC_CONTEXT_TOKENS.name, { [ATTR_MCP_METHOD_NAME]: 'tools/call', [ATTR_TOKEN_DISPOSITION]: TOKEN_DISPOSITION_VALUES.meaningful }), calls * 101);
  await tel.shutdown();
});
