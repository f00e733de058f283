/** Nothing is rendered or counted when nothing would record the tokens: spans cost what spans cost. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { instrumentClient, observerOf, type InstrumentClientOptions } from '@mcp-conservation/instrumentation';
import { createTelemetry } from './helpers.ts';
import { createTestServer } from './fixtures/server.ts';

// A tokenizer that counts its calls where the test can read them: counting runs inline (useWorker false).
const dir = mkdtempSync(join(tmpdir(), 'mcpc-tokenizer-'));
const tokenizer = join(dir, 'counting-tokenizer.mjs');
writeFileSync(tokenizer, 'export function countTokens(text) { globalThis.__mcpcCounted = (globalThis.__mcpcCounted ?? 0) + 1; return text.length; }\n');
const counted = () => (globalThis as { __mcpcCounted?: number }).__mcpcCounted ?? 0;

async function oneCall(tool: string, options: InstrumentClientOptions) {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await createTestServer().connect(b);
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), { tokenizer: { module: tokenizer }, useWorker: false, ...options });
  await client.connect(a);
  await client.callTool({ name: tool, arguments: tool === 'search' ? { query: 'q' } : {} });
  await client.close();
  await observerOf(client)!.forceFlush();
}

test('with only a TracerProvider (no meter provider, no logger taking audit records) no token is counted; with a meter provider they are', async () => {
  const tel = createTelemetry();
  await oneCall('search', { tracerProvider: tel.tracerProvider });
  assert.equal(counted(), 0, 'no rendering or counting for nobody');
  assert.deepEqual(tel.spans.getFinishedSpans().map((s) => s.name), ['initialize', 'tools/call search']);
  // The same session with metrics that read the tokens: counted (decided per response, not once at start).
  await oneCall('search', { tracerProvider: tel.tracerProvider, meterProvider: new MeterProvider() });
  assert.ok(counted() > 0);
  const withMetrics = counted();
  // And with a logger that takes audit records (their token counts), even without metrics
  // (another tool: counts are cached by content, and the search result was counted already).
  await oneCall('fail', { tracerProvider: tel.tracerProvider, loggerProvider: tel.loggerProvider });
  assert.ok(counted() > withMetrics);
});
