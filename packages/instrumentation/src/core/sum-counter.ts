/**
 * A monotonic counter summed here and reported through an ObservableCounter.
 * On the wire it is the same cumulative Sum a synchronous Counter gives, but
 * an increment on the request path is a map lookup and an addition: the
 * SDK's synchronous path hashes the attribute set on every call.
 */
import type { Attributes, Meter } from '@opentelemetry/api';

interface Series {
  readonly attributes: Attributes;
  value: number;
}

/**
 * Series past this many are summed into one overflow series, as the SDK
 * does past its default cardinality limit of 2000 (the overflow included).
 */
const MAX_SERIES = 1999;
const OVERFLOW: Attributes = { 'otel.metric.overflow': true };

/** Content key of an attribute set: sorted, so equal sets share a series whatever their key order. */
function keyOf(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  let key = '';
  for (const k of keys) key += `${k}\u0000${String(attributes[k])}\u0001`;
  return key;
}

export class SumCounter {
  private readonly byKey = new Map<string, Series>();
  // Attribute sets are built once and reused by the callers: identity finds them first.
  private readonly byObject = new WeakMap<Attributes, Series>();

  constructor(meter: Meter, name: string, options: { unit: string; description: string }) {
    meter.createObservableCounter(name, options).addCallback((result) => {
      for (const s of this.byKey.values()) result.observe(s.value, s.attributes);
    });
  }

  /** Adds a non-negative value; zero creates the series, so that its first increment is visible to rate(). */
  add(value: number, attributes: Attributes = {}): void {
    if (!(value >= 0)) return;
    let series = this.byObject.get(attributes);
    if (!series) {
      series = this.seriesFor(attributes);
      this.byObject.set(attributes, series);
    }
    series.value += value;
  }

  private seriesFor(attributes: Attributes): Series {
    const key = keyOf(attributes);
    let series = this.byKey.get(key);
    if (series) return series;
    if (this.byKey.size >= MAX_SERIES && attributes !== OVERFLOW) return this.seriesFor(OVERFLOW);
    series = { attributes: { ...attributes }, value: 0 };
    this.byKey.set(key, series);
    return series;
  }
}
