/**
 * Count panels say what they are. PromQL over Prometheus 2.x cannot count
 * exactly (increase() extrapolates to the window's edges and misses a
 * series' first sample), so a panel that shows a count shows it rounded,
 * with no decimals, and labelled approximate; `mcp-conservation report`
 * gives the exact figures.
 */
import { queries } from '@mcp-conservation/semconv';
import type { PageSpec, PanelSpec } from './types';

export const APPROXIMATE_SUFFIX = ' (approx.)';

export const APPROXIMATE_NOTE =
  'Approximate, rounded: PromQL increase() extrapolates to the edges of the window. `mcp-conservation report` counts exactly from raw samples.';

/** A count panel: its PromQL rounded, no decimals, its title and description saying it is approximate. */
export function approximateCount(panel: PanelSpec): PanelSpec {
  return {
    ...panel,
    title: `${panel.title}${APPROXIMATE_SUFFIX}`,
    description: `${panel.description} ${APPROXIMATE_NOTE}`,
    approximateCount: true,
    queries: panel.datasource === 'metrics' ? panel.queries.map((q) => ({ ...q, expr: queries.roundedCount(q.expr) })) : panel.queries,
  };
}

/** The page with its count panels (by id) marked approximate. */
export function withApproximateCounts(page: PageSpec, ids: readonly string[]): PageSpec {
  const unknown = ids.filter((id) => !page.panels.some((p) => p.id === id));
  if (unknown.length) {
    throw new Error(`${page.id}: no panel ${unknown.join(', ')}`);
  }
  return { ...page, panels: page.panels.map((p) => (ids.includes(p.id) ? approximateCount(p) : p)) };
}
