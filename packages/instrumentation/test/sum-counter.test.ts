/** The in-process counter behind our counters: same data as an SDK Counter, bounded series. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { SumCounter } from '../src/core/sum-counter.ts';

class Reader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function points(reader: Reader) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics[0]!.metrics[0]!;
  return { metric, values: metric.dataPoints.map((p) => [p.attributes, p.value]) };
}

test('exports a monotonic cumulative Sum; equal attribute sets share a series whatever their key order', async () => {
  const reader = new Reader(AggregationTemporality.CUMULATIVE);
  const counter = new SumCounter(new MeterProvider({ readers: [reader] }).getMeter('t'), 'c', { unit: '{x}', description: 'd' });
  const a = { k1: 'a', k2: 'b' };
  counter.add(0, a);
  const first = await points(reader);
  const metric = first.metric;
  let values = first.values;
  assert.equal(metric.dataPointType, DataPointType.SUM);
  assert.equal(metric.isMonotonic, true);
  assert.deepEqual(values, [[{ k1: 'a', k2: 'b' }, 0]], 'a zero add creates the series');
  counter.add(2, a);
  counter.add(3, { k2: 'b', k1: 'a' });
  counter.add(-1, a); // a counter never goes down
  counter.add(1, { k1: 'other', k2: 'b' });
  ({ values } = await points(reader));
  assert.deepEqual(values, [
    [{ k1: 'a', k2: 'b' }, 5],
    [{ k1: 'other', k2: 'b' }, 1],
  ]);
});

test('delta readers get the increments between collections', async () => {
  const reader = new Reader(AggregationTemporality.DELTA);
  const counter = new SumCounter(new MeterProvider({ readers: [reader] }).getMeter('t'), 'c', { unit: '{x}', description: 'd' });
  counter.add(4, { k: 'v' });
  assert.deepEqual((await points(reader)).values, [[{ k: 'v' }, 4]]);
  counter.add(3, { k: 'v' });
  assert.deepEqual((await points(reader)).values, [[{ k: 'v' }, 3]]);
});

test('past 1999 series, new attribute sets go to one overflow series (2000 in all, the SDK default limit)', async () => {
  const reader = new Reader(AggregationTemporality.CUMULATIVE);
  const counter = new SumCounter(new MeterProvider({ readers: [reader] }).getMeter('t'), 'c', { unit: '{x}', description: 'd' });
  for (let i = 0; i < 2010; i++) counter.add(1, { id: String(i) });
  const { values } = await points(reader);
  assert.equal(values.length, 2000);
  assert.deepEqual(values.at(-1), [{ 'otel.metric.overflow': true }, 11]);
});

test('cores on one meter share each counter: two clients with their own options add to the same sums', async () => {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
  const { instrumentClient, observerOf } = await import('@mcp-conservation/instrumentation');
  const { METRIC_TOOL_CALLS } = await import('@mcp-conservation/semconv');
  const reader = new Reader(AggregationTemporality.CUMULATIVE);
  const meterProvider = new MeterProvider({ readers: [reader] });
  const calls = [2, 3];
  for (const n of calls) {
    const server = new McpServer({ name: 'shared-server', version: '1' });
    server.registerTool('t', {}, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    // A new options object: a core of its own, on the same meter.
    const client = instrumentClient(new Client({ name: 'c', version: '1' }), { meterProvider, tokens: false });
    await client.connect(a);
    for (let i = 0; i < n; i++) await client.callTool({ name: 't', arguments: {} });
    await client.close();
    await observerOf(client)!.forceFlush();
  }
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === METRIC_TOOL_CALLS.name)!;
  const total = metric.dataPoints.reduce((n, p) => n + (p.value as number), 0);
  assert.equal(total, 5);
});
