/**
 * Wire overhead is exact on both analysis paths: text-only results (rendered
 * on the host's thread, sized without stringifying) and results with
 * structured content (rendered in the worker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { ATTR_GEN_AI_TOOL_NAME, METRIC_WIRE_OVERHEAD } from '@mcp-conservation/semconv';
import { createTelemetry, sumOf } from './helpers.ts';

const bytes = (s: string) => Buffer.byteLength(s);

test('wire overhead equals compact JSON bytes minus rendered bytes, per tool', async () => {
  const tel = createTelemetry();
  const server = new McpServer({ name: 'wire-server', version: '1' });
  server.registerTool('plain', {}, async () => ({ content: [{ type: 'text', text: 'two "quoted" lines\nand é 😀' }, { type: 'text', text: 'second block' }] }));
  server.registerTool('mixed', {}, async () => ({ content: [{ type: 'text', text: 'summary' }], structuredContent: { total: 3, items: ['a', 'b'] } }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // The messages exactly as the client receives them (in memory: the same objects).
  const sent: { id?: unknown; result?: { content?: { text?: string }[]; structuredContent?: unknown } }[] = [];
  const send = serverSide.send.bind(serverSide);
  serverSide.send = (message, options) => {
    sent.push(message as never);
    return send(message, options);
  };
  await server.connect(serverSide);
  const client = instrumentClient(new Client({ name: 'wire-client', version: '1' }), { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  await client.connect(clientSide);
  const ids: Record<string, unknown[]> = { plain: [], mixed: [] };
  for (const name of ['plain', 'mixed', 'plain', 'mixed']) {
    const before = sent.length;
    await client.callTool({ name, arguments: {} });
    ids[name]!.push(...sent.slice(before).map((m) => m.id));
  }
  await client.close();
  await observerOf(client)!.forceFlush();

  const expected = (name: string) =>
    sent
      .filter((m) => ids[name]!.includes(m.id) && m.result)
      .reduce((n, m) => {
        const rendered = (m.result!.content ?? []).reduce((r, b) => r + bytes(b.text ?? ''), 0) + (m.result!.structuredContent ? bytes(JSON.stringify(m.result!.structuredContent)) : 0);
        return n + bytes(JSON.stringify(m)) - rendered;
      }, 0);
  const rm = await tel.collect();
  assert.ok(expected('plain') > 0 && expected('mixed') > 0);
  assert.equal(sumOf(rm, METRIC_WIRE_OVERHEAD.name, { [ATTR_GEN_AI_TOOL_NAME]: 'plain' }), expected('plain'));
  assert.equal(sumOf(rm, METRIC_WIRE_OVERHEAD.name, { [ATTR_GEN_AI_TOOL_NAME]: 'mixed' }), expected('mixed'));
  await tel.shutdown();
});
