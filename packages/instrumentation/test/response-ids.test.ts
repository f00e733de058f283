/**
 * A server that writes a request's id back as a zero-padded string ("05"
 * for 5): the SDK client matches it by Number(id) and the caller gets its
 * result, so the instrumentation pairs it the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { observerOf } from '@mcp-conservation/instrumentation';
import { createTelemetry, sumOf, instrumented } from './helpers.ts';

test('a response id the SDK matches by Number(id) ("05") is paired with its request', async () => {
  const tel = createTelemetry();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // A raw peer: the SDK's McpServer always echoes ids exactly.
  serverSide.onmessage = (message: JSONRPCMessage) => {
    const m = message as { id?: number; method?: string; params?: { protocolVersion?: string } };
    if (m.id === undefined) return;
    const id = `0${m.id}`;
    const result =
      m.method === 'initialize'
        ? { protocolVersion: m.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'padded', version: '1' } }
        : { content: [{ type: 'text', text: 'padded answer' }] };
    void serverSide.send({ jsonrpc: '2.0', id, result } as JSONRPCMessage);
  };
  await serverSide.start();
  const client = instrumented(tel);
  await client.connect(clientSide);
  const result = await client.callTool({ name: 't', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'text', text: 'padded answer' }]);
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'success' }), 1);
  assert.equal(sumOf(rm, 'mcp_conservation.responses.lost'), 0);
  assert.equal(sumOf(rm, 'mcp_conservation.responses.expected', { 'mcp_conservation.server.name': 'padded' }), 2);
  await tel.shutdown();
});
