/**
 * Exact counts from a counter's raw samples: what each series counted over
 * the range, resets included, without extrapolation. Pure arithmetic; the
 * samples come from `prometheus-client.ts`, the selectors from semconv.
 *
 * The rules, per series:
 * - a sample at or before the range's start is the baseline: only what the
 *   series counted after it is in the range;
 * - a series with no sample before the start was born inside the range
 *   (counters start at zero), so its first sample counts in full. When that
 *   first value is above zero the series is flagged: the instrumentation
 *   creates its known series at zero, so such a series is one it did not know
 *   in advance (a histogram after its first session, a new label value), or
 *   one whose earlier samples Prometheus does not hold;
 * - a value below the one before it is a reset (a restarted process): the
 *   series counted the new value from zero.
 */
import type { Labels, RangeSeries } from './prometheus-client.js';

export interface SeriesCount {
  readonly labels: Labels;
  readonly counted: number;
  readonly resets: number;
  /** No sample at or before the start: counted from zero. */
  readonly bornInside: boolean;
  /** Born inside the range with a first sample above zero. */
  readonly firstSeenAboveZero: boolean;
  /** Unix seconds of the first and last sample inside the range. */
  readonly firstSample: number | undefined;
  readonly lastSample: number | undefined;
  /** Each increment inside the range, at the time of the sample that shows it. */
  readonly increments: readonly (readonly [number, number])[];
}

/** What one series counted over (start, end]; `samples` may reach back before `start` for the baseline. */
export function countSeries(series: RangeSeries, start: number): SeriesCount {
  let previous: number | undefined;
  let counted = 0;
  let resets = 0;
  let firstSample: number | undefined;
  let lastSample: number | undefined;
  const increments: [number, number][] = [];
  const ordered = [...series.points].sort((a, b) => a[0] - b[0]);
  for (const [t, v] of ordered) {
    if (t <= start) {
      previous = v;
      continue;
    }
    firstSample ??= t;
    lastSample = t;
    let delta: number;
    if (previous === undefined) delta = v;
    else if (v >= previous) delta = v - previous;
    else {
      resets++;
      delta = v;
    }
    if (delta > 0) increments.push([t, delta]);
    counted += delta;
    previous = v;
  }
  const bornInside = ordered.length > 0 && (ordered[0] as readonly [number, number])[0] > start;
  const first = ordered[0]?.[1] ?? 0;
  return { labels: series.labels, counted, resets, bornInside, firstSeenAboveZero: bornInside && first > 0, firstSample, lastSample, increments };
}

/** Counts of many series, grouped by some of their labels. */
export function sumBy(counts: readonly SeriesCount[], labels: readonly string[]): Map<string, { labels: Record<string, string>; counted: number }> {
  const groups = new Map<string, { labels: Record<string, string>; counted: number }>();
  for (const c of counts) {
    const key = labels.map((l) => c.labels[l] ?? '').join('\u0000');
    const picked = Object.fromEntries(labels.map((l) => [l, c.labels[l] ?? '']));
    const group = groups.get(key) ?? { labels: picked, counted: 0 };
    group.counted += c.counted;
    groups.set(key, group);
  }
  return groups;
}

export function total(counts: readonly SeriesCount[], filter: (labels: Labels) => boolean = () => true): number {
  return counts.filter((c) => filter(c.labels)).reduce((n, c) => n + c.counted, 0);
}

/**
 * The increments of some series in steps of `stepSeconds` from `start`:
 * step i holds what was counted in (start + i·step, start + (i+1)·step].
 */
export function perStep(counts: readonly SeriesCount[], start: number, stepSeconds: number, steps: number, filter: (labels: Labels) => boolean = () => true): number[] {
  const out = new Array<number>(steps).fill(0);
  for (const c of counts) {
    if (!filter(c.labels)) continue;
    for (const [t, d] of c.increments) {
      const i = Math.min(steps - 1, Math.max(0, Math.ceil((t - start) / stepSeconds) - 1));
      out[i] = (out[i] as number) + d;
    }
  }
  return out;
}
