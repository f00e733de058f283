/**
 * Paginated listings: a re-listing supersedes definitions only once its
 * last page is in, so a tool on a later page that the session calls is
 * meaningful, and the uncalled ones are unused. Expected counts come from
 * the literal definitions, tokenized here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { observerOf } from '@mcp-conservation/instrumentation';
import { createTelemetry, sumOf, connectInMemory } from './helpers.ts';

const NAMES = ['alpha', 'beta', 'gamma', 'delta'];
const TOOLS = NAMES.map((name) => ({ name, description: `the ${name} tool`, inputSchema: { type: 'object' as const } }));
/** The default rendering of a definition: name, description and compact input schema. */
const def = (name: string) => countTokens(`${name}\nthe ${name} tool\n{"type":"object"}`);

test('a paginated re-listing: the called tool on page 2 is meaningful, the others unused; the repeats are redundant', async () => {
  const tel = createTelemetry();
  const server = new Server({ name: 'paged', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, (req) => {
    const second = req.params?.cursor === 'page-2';
    return { tools: second ? TOOLS.slice(2) : TOOLS.slice(0, 2), ...(second ? {} : { nextCursor: 'page-2' }) };
  });
  server.setRequestHandler(CallToolRequestSchema, (req) => ({ content: [{ type: 'text', text: `result of ${req.params.name}` }] }));
  const client = await connectInMemory(tel, server);
  const listAll = async () => {
    let cursor: string | undefined;
    do {
      cursor = (await client.listTools(cursor ? { cursor } : undefined)).nextCursor;
    } while (cursor);
  };
  const observer = observerOf(client)!;
  await listAll();
  // Each page accounted before the next listing starts, as when calls come seconds apart.
  await observer.forceFlush();
  await listAll();
  await observer.forceFlush();
  await client.callTool({ name: 'gamma', arguments: {} });
  await client.close();
  await observer.forceFlush();

  const rm = await tel.collect();
  const tokens = (name: string, disposition: string) =>
    sumOf(rm, 'mcp_conservation.context.tokens', { 'mcp.method.name': 'tools/list', 'gen_ai.tool.name': name, 'mcp_conservation.token.disposition': disposition });
  for (const name of NAMES) {
    const called = name === 'gamma';
    assert.deepEqual(
      [tokens(name, 'meaningful'), tokens(name, 'redundant'), tokens(name, 'unused')],
      [called ? def(name) : 0, def(name), called ? 0 : def(name)],
      name,
    );
  }
  await tel.shutdown();
});
