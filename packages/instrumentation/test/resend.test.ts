/**
 * A transport that sends a request a second time through its own send()
 * (as the SDK's Streamable HTTP transport does after an OAuth token
 * refresh) does not make a second request: one span, one count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { observerOf } from '@mcp-conservation/instrumentation';
import { createTelemetry, histogramOf, sumOf, instrumented } from './helpers.ts';
import { createTestServer } from './fixtures/server.ts';

test('a request the transport re-sends through send() is observed once', async () => {
  const tel = createTelemetry();
  const server = createTestServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  // Like StreamableHTTPClientTransport on a 401: the first attempt of each tools/call goes nowhere and is sent again with this.send.
  const deliver = clientSide.send.bind(clientSide);
  const attempted = new Set<unknown>();
  clientSide.send = async function (this: InMemoryTransport, message: JSONRPCMessage, options?: unknown) {
    const m = message as { method?: string; id?: unknown };
    if (m.method === 'tools/call' && !attempted.has(m.id)) {
      attempted.add(m.id);
      return this.send(message, options as never);
    }
    return deliver(message, options as never);
  };
  const client = instrumented(tel);
  await client.connect(clientSide);
  await client.callTool({ name: 'search', arguments: { query: 'a' } });
  await client.callTool({ name: 'search', arguments: { query: 'b' } });
  await client.close();
  await observerOf(client)!.forceFlush();
  assert.equal(attempted.size, 2, 'each call was sent twice by the transport');
  const calls = tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/call search');
  assert.equal(calls.length, 2);
  const rm = await tel.collect();
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'mcp_conservation.outcome': 'success' }), 2);
  assert.equal(sumOf(rm, 'mcp_conservation.responses.lost'), 0);
  assert.equal(histogramOf(rm, 'mcp_conservation.session.requests')[0]!.sum, 2);
  await tel.shutdown();
});
