/**
 * Pending token counts never keep a host's process alive (a server sending
 * text slow to count would hold it hostage); a flush waits for them, and
 * holds the process while it does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { observerOf } from '@mcp-conservation/instrumentation';
import { connectInMemory, createTelemetry, sumOf, randomLetters } from './helpers.ts';

const holdsProcess = () => process.getActiveResourcesInfo().some((r) => r === 'Worker' || r === 'MessagePort');

test('pending counts do not hold the process; a flush does, until they are in', async () => {
  const tel = createTelemetry();
  const text = randomLetters(64_000, 9);
  const server = new McpServer({ name: 's', version: '1' });
  server.registerTool('slow-to-count', { description: 'd' }, async () => ({ content: [{ type: 'text', text }] }));
  const client = await connectInMemory(tel, server);
  // 16 results go to the worker at once, as soon as the 16th arrives: counting is under way after the loop.
  for (let i = 0; i < 16; i++) await client.callTool({ name: 'slow-to-count', arguments: {} });
  await Promise.resolve();
  const observer = observerOf(client)!;
  assert.equal(holdsProcess(), false, 'counting in the background holds nothing');
  const flushed = observer.forceFlush();
  assert.equal(holdsProcess(), true, 'a flush holds the process');
  await flushed;
  assert.equal(holdsProcess(), false, 'released after the flush');
  assert.ok(sumOf(await tel.collect(), 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/call' }) > 0);
  await client.close();
  await observer.forceFlush();
  await tel.shutdown();
});
