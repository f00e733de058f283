/**
 * How OpenTelemetry names reach Prometheus, on every export path.
 *
 * - Collector prometheus exporter, prometheusremotewrite and Prometheus 3's
 *   OTLP receiver: dots become underscores, the unit becomes a suffix
 *   (`s` -> `_seconds`, `By` -> `_bytes`; `{annotation}` units add nothing),
 *   counters end in `_total`.
 * - `@opentelemetry/exporter-prometheus` (in-process): the same but with no
 *   unit suffix.
 *
 * Where the two forms differ, selectors match both with `__name__=~`, so one
 * query holds on every path. Our own counters use annotation units, so most
 * names are the same on all paths.
 */
import type { MetricDefinition } from './metrics.js';

const UNIT_SUFFIXES: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes', KiBy: 'kibibytes' };

/** Prometheus label name of an attribute key. */
export function promLabel(attribute: string): string {
  return attribute.replace(/[^a-zA-Z0-9_]/g, '_');
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_');
}

export type SeriesPart = '' | '_bucket' | '_count' | '_sum';

/** Every Prometheus name a metric may have, one per export-path family, deduplicated. */
export function promNames(def: MetricDefinition, part: SeriesPart = ''): string[] {
  const base = sanitize(def.name);
  const unit = UNIT_SUFFIXES[def.unit];
  const total = def.instrument === 'counter' ? '_total' : '';
  const plain = `${base}${part}${total}`;
  const suffixed = unit && !base.endsWith(`_${unit}`) ? `${base}_${unit}${part}${total}` : plain;
  return plain === suffixed ? [plain] : [suffixed, plain];
}

/**
 * A series selector for a metric with label matchers, matching the metric's
 * name on every export path.
 */
export function selector(def: MetricDefinition, matchers: readonly string[] = [], part: SeriesPart = ''): string {
  const names = promNames(def, part);
  if (names.length === 1) {
    return matchers.length ? `${names[0]}{${matchers.join(',')}}` : (names[0] as string);
  }
  // Names hold only [a-zA-Z0-9_:], so they need no regex escaping.
  const nameMatcher = `__name__=~"${names.join('|')}"`;
  return `{${[nameMatcher, ...matchers].join(',')}}`;
}

/** Matches a histogram `le` label on every Prometheus version (3.x writes `100.0`). */
export function leMatcher(bound: number): string {
  return `le=~"${String(bound).replace('.', '\\\\.')}(\\\\.0)?"`;
}
