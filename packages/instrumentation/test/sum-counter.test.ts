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
