/**
 * Each tool's calls over a range, from Prometheus: the exact count of the
 * tool-calls counter (semconv's `countedSeries.toolCalls`, the series the
 * report counts), read as raw samples and added up per series, resets
 * included, as the report does. Cancelled calls are left out, as in
 * semconv's `toolCalls` query (the dashboards' "Tool calls").
 */
import { LABELS, queries, type QueryScope } from '@mcp-conservation/semconv';
import { countSeries } from '../report/exact-counts.js';
import type { PrometheusClient } from '../report/prometheus-client.js';

/** Samples before the range's start are read this far back, for each series' baseline (Prometheus's lookback), as the report does. */
const BASELINE_LOOKBACK_S = 300;

/** A regex (RE2) matching exactly `text`. */
export function exactRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface CallsQuery {
  /** Regexes (RE2), as the user writes them. */
  readonly server: string;
  readonly service?: string;
  readonly observer?: string;
  readonly rangeSeconds: number;
  readonly end: Date;
}

export async function toolCallsInRange(client: PrometheusClient, q: CallsQuery): Promise<Map<string, number>> {
  const scope: QueryScope = {
    // Regexes as the user writes them: semconv's scope quotes them for PromQL.
    server: q.server,
    ...(q.service !== undefined ? { service: q.service } : {}),
    ...(q.observer !== undefined ? { observer: q.observer } : {}),
  };
  const selector = queries.countedSeries.toolCalls(scope);
  const series = await client.samples(queries.rawSamples(selector, q.rangeSeconds + BASELINE_LOOKBACK_S), q.end);
  const start = q.end.getTime() / 1000 - q.rangeSeconds;
  const calls = new Map<string, number>();
  for (const s of series) {
    if (s.labels[LABELS.outcome] === 'cancelled') continue;
    const tool = s.labels[LABELS.tool];
    if (tool === undefined) continue;
    calls.set(tool, (calls.get(tool) ?? 0) + countSeries(s, start).counted);
  }
  return calls;
}
