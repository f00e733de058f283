/**
 * Hosts often instrument each client with an options object of its own:
 * the analysis worker is still one per process (per tokenizer and renderer),
 * not one per client. Counted from the process's threads (Linux /proc).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { createTelemetry } from './helpers.ts';

/** Threads of this process that run a worker_threads Worker. */
const workerThreads = () => readdirSync('/proc/self/task').filter((t) => readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'WorkerThread').length;

test('clients instrumented with options objects of their own share one analysis worker', async () => {
  const tel = createTelemetry();
  const before = workerThreads();
  for (let i = 0; i < 5; i++) {
    const server = new McpServer({ name: 'shared', version: '1' });
    server.registerTool('t', {}, async () => ({ content: [{ type: 'text', text: `result ${i}` }] }));
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const client = instrumentClient(new Client({ name: 'c', version: '1' }), { meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider, tracerProvider: tel.tracerProvider });
    await client.connect(a);
    await client.callTool({ name: 't', arguments: {} });
    await client.close();
    await observerOf(client)!.forceFlush();
  }
  assert.equal(workerThreads() - before, 1, 'one worker for five clients');
  await tel.shutdown();
});
