/**
 * The SDK's own view of what an app recorded, to compare with what arrived
 * through the pipeline: a reader that collects cumulative totals on demand,
 * and sums over its data points.
 */
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** A pull reader of cumulative totals: `collect()` whenever the test wants the SDK's numbers. */
export class CumulativeReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Sum of a counter's values (or a histogram's counts) over the data points whose attributes include `filter`. */
export function sumOf(rm: ResourceMetrics, name: string, filter: Attributes = {}): number {
  let total = 0;
  for (const sm of rm.scopeMetrics)
    for (const m of sm.metrics) {
      if (m.descriptor.name !== name) continue;
      for (const dp of m.dataPoints) {
        if (!Object.entries(filter).every(([k, v]) => dp.attributes[k] === v)) continue;
        const v = dp.value as number | { count: number };
        total += typeof v === 'number' ? v : v.count;
      }
    }
  return total;
}
