/**
 * Clients of one process that count with different tokenizers each get
 * their own exact counts, also when counting inline (the count cache is
 * per tokenizer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { observerOf, type TokenizerSpec } from '@mcp-conservation/instrumentation';
import { createTelemetry, sumOf, connectInMemory } from './helpers.ts';

// Text on which the two encodings disagree widely.
const TEXT = 'Здравствуйте! これは日本語のテキストです。 مرحبا بالعالم '.repeat(20);

async function countedWith(tokenizer: TokenizerSpec, useWorker: boolean): Promise<number> {
  const tel = createTelemetry();
  const server = new McpServer({ name: 's', version: '1' });
  server.registerTool('t', { description: 't' }, async () => ({ content: [{ type: 'text', text: TEXT }] }));
  const client = await connectInMemory(tel, server, { tokenizer, useWorker });
  await client.callTool({ name: 't', arguments: {} });
  await client.close();
  await observerOf(client)!.forceFlush();
  const counted = sumOf(await tel.collect(), 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call' });
  await tel.shutdown();
  return counted;
}

test('one text counted by two tokenizers in one process: each count is its own', async () => {
  assert.notEqual(o200k(TEXT), cl100k(TEXT));
  for (const useWorker of [false, true]) {
    assert.equal(await countedWith('o200k_base', useWorker), o200k(TEXT), `o200k_base, worker ${useWorker}`);
    assert.equal(await countedWith('cl100k_base', useWorker), cl100k(TEXT), `cl100k_base, worker ${useWorker}`);
  }
});
