/**
 * A meter provider registered globally after the instrumentation started
 * (a late NodeSDK start) still gets the known series at zero, so that the
 * first increment after it is visible to rate().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { createTelemetry } from './helpers.ts';
import { createTestServer } from './fixtures/server.ts';

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

test('zero series are created again on a meter provider registered after the first session', async () => {
  const tel = createTelemetry();
  // Spans and logs to the test's providers; metrics to whatever the global provider is at the time.
  const options = { tracerProvider: tel.tracerProvider, loggerProvider: tel.loggerProvider };
  const session = async () => {
    const server = createTestServer();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = instrumentClient(new Client({ name: 'c', version: '1' }), options);
    await client.connect(clientSide);
    await client.listTools();
    await observerOf(client)!.forceFlush();
    return client;
  };
  const first = await session();
  await first.close();
  const reader = new Reader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const second = await session();
  const { resourceMetrics } = await reader.collect();
  const zeros = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === 'mcp_conservation.tool.calls')
    .flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[])
    .filter((dp) => dp.attributes['gen_ai.tool.name'] === 'search');
  assert.ok(zeros.length >= 1, 'the tool-call series of a listed tool exist on the new provider');
  assert.ok(
    zeros.every((dp) => dp.value === 0),
    'at zero',
  );
  await second.close();
  await observerOf(second)!.forceFlush();
  await tel.shutdown();
});
