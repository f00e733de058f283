/**
 * Two processes over stdio: an instrumented v1 client here, an instrumented
 * v1 McpServer in a child process. The trace joins across the pipe: the
 * server span is the client span's child, with the pipe transport and the
 * version the two negotiated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanKind } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { createTelemetry } from './helpers.ts';

test('stdio, two processes: the server span is the client span’s child', async () => {
  const tel = createTelemetry();
  const out = join(mkdtempSync(join(tmpdir(), 'server-stdio-')), 'spans.jsonl');
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [fileURLToPath(new URL('./fixtures/server-stdio-v1.mjs', import.meta.url))],
    env: { ...process.env, SPANS_OUT: out } as Record<string, string>,
    stderr: 'inherit',
  });
  await client.connect(transport);
  await client.callTool({ name: 'echo', arguments: {} });
  await client.close();
  await observerOf(client)!.forceFlush();
  const serverSpans = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; kind: number; traceId: string; parent: string | null; attributes: Record<string, unknown> });
  const clientSpan = tel.spans.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT && s.name === 'tools/call echo')!;
  const serverSpan = serverSpans.find((s) => s.name === 'tools/call echo')!;
  assert.equal(serverSpan.kind, SpanKind.SERVER);
  assert.equal(serverSpan.traceId, clientSpan.spanContext().traceId);
  assert.equal(serverSpan.parent, clientSpan.spanContext().spanId);
  assert.equal(serverSpan.attributes['network.transport'], 'pipe');
  assert.equal(serverSpan.attributes['mcp.protocol.version'], clientSpan.attributes['mcp.protocol.version']);
  assert.equal(serverSpan.attributes['mcp_conservation.server.name'], 'stdio-v1');
  await tel.shutdown();
});
