/**
 * A CLIENT span lasts what its leg lasted, whatever the wall clock does:
 * its start and its end are taken on one clock (the monotonic one the
 * operation duration is measured on). A span started on the wall clock and
 * ended on the monotonic one came out up to milliseconds short, or
 * "startTime > endTime" (duration 0, and a warning on stderr), as the two
 * clocks drift apart in a long-lived process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { ATTR_MCP_METHOD_NAME, METRIC_CLIENT_OPERATION_DURATION } from '@mcp-conservation/semconv';
import { createTelemetry, histogramOf, spanNamed } from './helpers.ts';
import { createTestServer } from './fixtures/server.ts';

test('a tools/call span lasts its measured duration while the wall clock runs a minute ahead of the monotonic clock', async () => {
  const tel = createTelemetry();
  const server = createTestServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  await client.connect(clientSide);
  const wall = Date.now;
  // The wall clock stepped (NTP, a suspended laptop): Date.now() and performance.timeOrigin + performance.now() disagree.
  Date.now = () => wall() + 60_000;
  try {
    await client.callTool({ name: 'search', arguments: { query: 'q' } });
  } finally {
    Date.now = wall;
  }
  await client.close();
  await observerOf(client)!.forceFlush();

  const span = spanNamed(tel.spans.getFinishedSpans(), 'tools/call search');
  const [measured] = histogramOf(await tel.collect(), METRIC_CLIENT_OPERATION_DURATION.name, { [ATTR_MCP_METHOD_NAME]: 'tools/call' });
  assert.equal(measured?.count, 1);
  const spanMs = hrTimeToMilliseconds(span.duration);
  assert.ok(spanMs > 0, `the span has a duration (${spanMs} ms)`);
  assert.ok(Math.abs(spanMs - measured.sum * 1000) < 0.01, `span ${spanMs} ms, measured ${measured.sum * 1000} ms`);
  // Anchored to the wall clock at its start, as the SDK anchors spans it times itself (the server's, in another process).
  assert.ok(hrTimeToMilliseconds(span.startTime) > wall() + 30_000, 'the span starts on the (stepped) wall clock');
  await tel.shutdown();
});
