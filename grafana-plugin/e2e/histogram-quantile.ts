/**
 * Prometheus's `histogram_quantile` on classic buckets (promql/quantile.go,
 * `bucketQuantile`): the rank's bucket, interpolated linearly, the lower
 * bound of the first bucket taken as 0. Applied to the SDK's own bucket
 * counts, it is what Prometheus must answer for the same buckets.
 */

/** Cumulative counts by upper bound, `+Inf` included. */
export type CumulativeBuckets = ReadonlyArray<readonly [number, number]>;

export function histogramQuantile(q: number, buckets: CumulativeBuckets): number {
  const sorted = [...buckets].sort(([a], [b]) => a - b);
  if (sorted.length < 2 || sorted[sorted.length - 1]![0] !== Number.POSITIVE_INFINITY) return Number.NaN;
  const observations = sorted[sorted.length - 1]![1];
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // The first finite bucket holding the rank; past them all, the highest finite bound.
  let b = sorted.findIndex(([, count], i) => i < sorted.length - 1 && count >= rank);
  if (b === -1) b = sorted.length - 1;
  if (b === sorted.length - 1) return sorted[sorted.length - 2]![0];
  const [end, countAtEnd] = sorted[b]!;
  if (b === 0 && end <= 0) return end;
  let start = 0;
  let count = countAtEnd;
  if (b > 0) {
    const [prevEnd, prevCount] = sorted[b - 1]!;
    start = prevEnd;
    count -= prevCount;
    rank -= prevCount;
  }
  return start + (end - start) * (rank / count);
}
