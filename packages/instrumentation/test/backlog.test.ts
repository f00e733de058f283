/**
 * A host that never yields to the event loop: sequential callTools over an
 * in-memory transport run entirely in microtasks. The accounting must keep
 * up as it goes (a bounded backlog), and a drained backlog must still learn
 * the SDK's output-schema verdict of each call before deciding it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { ATTR_LOSS_CAUSE, ATTR_MCP_METHOD_NAME, ATTR_OUTCOME, METRIC_LOST_TOKENS, METRIC_RESPONSES_LOST, METRIC_TOOL_CALLS } from '@mcp-conservation/semconv';
import { verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, sumOf } from './helpers.ts';

const CALLS = 1000;
/** Every other call answers structured content that breaks the tool's output schema (so drains meet both kinds). */
const isInvalid = (i: number) => i % 2 === 1;
const INVALID = CALLS / 2;
const text = (i: number) => `result ${i}: the quick brown fox jumps over the lazy dog`;

/** A low-level server: McpServer would refuse to send an invalid result. */
async function connect(opts: { tokens: boolean }) {
  const tel = createTelemetry();
  const server = new Server({ name: 'backlog-server', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [{ name: 'count', inputSchema: { type: 'object' }, outputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } }],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const i = Number(req.params.arguments?.i);
    return { content: [{ type: 'text', text: text(i) }], structuredContent: isInvalid(i) ? { n: 'many' } : { n: i } };
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = instrumentClient(new Client({ name: 'backlog-client', version: '1' }), {
    tokens: opts.tokens,
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
  });
  await client.connect(a);
  await client.listTools(); // the client learns the output schema
  return { tel, client };
}

/** Runs the calls back to back; returns how many audit records existed after each call. */
async function tightLoop(client: Client, tel: ReturnType<typeof createTelemetry>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    try {
      await client.callTool({ name: 'count', arguments: { i } });
    } catch (error) {
      assert.ok(isInvalid(i), `call ${i} rejected: ${String(error)}`);
    }
    seen.push(auditRecords(tel.logs).length);
  }
  return seen;
}

test('a host that never yields: accounting keeps up within the backlog bound', async () => {
  const { tel, client } = await connect({ tokens: false });
  const before = auditRecords(tel.logs).length;
  let yielded = false;
  setImmediate(() => (yielded = true));
  const seen = await tightLoop(client, tel);
  assert.equal(yielded, false, 'the loop ran without a macrotask: the condition under test');
  // Records of call i are written by call i + 65 at the latest (bound 64, drained at each arrival).
  for (let i = 100; i < CALLS; i++) assert.ok((seen[i] as number) - before >= i - 65, `after call ${i}: ${(seen[i] as number) - before} records`);
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  const outcomes = (o: string) => sumOf(rm, METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: o });
  assert.equal(outcomes('invalid_result'), INVALID);
  assert.equal(outcomes('success'), CALLS - INVALID);
  await tel.shutdown();
});

test('a drained backlog with token counts: every verdict and count exact, the chain whole', async () => {
  const { tel, client } = await connect({ tokens: true });
  await tightLoop(client, tel);
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  assert.equal(sumOf(rm, METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'invalid_result' }), INVALID);
  assert.equal(sumOf(rm, METRIC_RESPONSES_LOST.name, { [ATTR_LOSS_CAUSE]: 'invalid' }), INVALID);
  // Text and structured content are two blocks; the lost ones are the invalid calls' blocks.
  let lost = 0;
  for (let i = 0; i < CALLS; i++) if (isInvalid(i)) lost += countTokens(text(i)) + countTokens(JSON.stringify({ n: 'many' }));
  assert.equal(sumOf(rm, METRIC_LOST_TOKENS.name, { [ATTR_MCP_METHOD_NAME]: 'tools/call' }), lost);
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.equal(records.length, 1 + 1 + CALLS + 1, 'initialize, tools/list, the calls, session end');
  assert.deepEqual(verifyChain(records).problems, []);
  await tel.shutdown();
});
