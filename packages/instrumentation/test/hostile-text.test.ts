/**
 * Text the tokenizer would merge as one huge piece (letters, punctuation or
 * whitespace with no break) is cut every 256 characters before counting:
 * the count is the sum of the pieces' counts, computed here with
 * gpt-tokenizer directly, and ordinary text stays exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { observerOf } from '@mcp-conservation/instrumentation';
import { createTelemetry, sumOf, connectInMemory, randomLetters } from './helpers.ts';

const TEXTS: Record<string, string> = {
  letters: randomLetters(100_000, 42),
  punctuation: `before ${'!?'.repeat(300)} after`,
  prose: 'Ordinary words of a tool result, counted whole and exactly as the model would see them. '.repeat(40),
  cjk: '上下文窗口是稀缺的资源。每个工具结果都会进入模型的上下文，所以要计算它的令牌。'.repeat(10),
};

/** The documented count: pieces of 256 within each run longer than 256, counted apart. */
function cutCount(text: string): number {
  const cuts: number[] = [];
  for (const m of text.matchAll(/[\p{L}\p{M}]{257,}|[^\s\p{L}\p{N}]{257,}|\s{257,}/gu)) {
    for (let at = m.index + 256; at < m.index + m[0].length; at += 256) cuts.push(at);
  }
  let total = 0;
  let start = 0;
  for (const cut of cuts) {
    total += countTokens(text.slice(start, cut));
    start = cut;
  }
  return total + countTokens(text.slice(start));
}

test('runs past 256 characters are counted in pieces; prose and CJK sentences stay exact', async () => {
  const tel = createTelemetry();
  const server = new McpServer({ name: 'hostile', version: '1' });
  server.registerTool('text', { inputSchema: { kind: z.string() } }, async ({ kind }) => ({ content: [{ type: 'text', text: TEXTS[kind]! }] }));
  const client = await connectInMemory(tel, server);
  const counted: Record<string, number> = {};
  for (const kind of Object.keys(TEXTS)) {
    const before = sumOf(await tel.collect(), 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call' });
    await client.callTool({ name: 'text', arguments: { kind } });
    await observerOf(client)!.forceFlush();
    counted[kind] = sumOf(await tel.collect(), 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call' }) - before;
  }
  await client.close();
  assert.equal(counted.prose, countTokens(TEXTS.prose!), 'prose: exact');
  assert.equal(counted.cjk, countTokens(TEXTS.cjk!), 'CJK sentences: exact');
  assert.equal(counted.punctuation, cutCount(TEXTS.punctuation!));
  assert.equal(counted.letters, cutCount(TEXTS.letters!));
  assert.notEqual(cutCount(TEXTS.letters!), 0);
  await tel.shutdown();
});
