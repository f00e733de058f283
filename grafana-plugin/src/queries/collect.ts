/**
 * Every PromQL expression the plugin ships, from the three places it ships
 * them: the Scenes pages, the dashboards, and the alert rules. Each comes
 * with the form Grafana would send to Prometheus, variables substituted:
 * `$__rate_interval` and `$__range` by their durations, every filter at All
 * (`.*`). The end-to-end test runs these against a real Prometheus.
 */
import { ALL_VALUE, PAGES, pageQueries } from '../specs';
import { buildDashboard } from '../dashboards/build';
import { ruleGroup } from '../alerts/rules';

export type QuerySource = 'page' | 'dashboard' | 'alert';

export interface ShippedQuery {
  /** `<source>:<page or rule>/<panel>/<refId>` */
  readonly id: string;
  readonly source: QuerySource;
  /** As shipped, with Grafana variables. */
  readonly expr: string;
  /** Instant (one value) rather than a range query. */
  readonly instant: boolean;
}

export interface Substitution {
  /** Grafana's `$__rate_interval`, e.g. `1m`. */
  readonly rateInterval: string;
  /** Grafana's `$__range`, the selected time range, e.g. `1h`. */
  readonly range: string;
}

/** The filter variables of the metric pages; at All each becomes `.*`. */
const FILTER_VARIABLES = ['service', 'server', 'tool', 'observer'] as const;

/**
 * A shipped query's id without its source (`page:`, `dashboard:`, `alert:`):
 * a dashboard query has the key of the page query it copies.
 */
export function queryKey(id: string): string {
  return id.replace(/^(page|dashboard|alert):/, '');
}

/** What Grafana sends for an expression, with filters at All. */
export function substitute(expr: string, s: Substitution): string {
  let out = expr.replace(/\$__rate_interval\b/g, s.rateInterval).replace(/\$__range\b/g, s.range);
  for (const v of FILTER_VARIABLES) {
    out = out.replace(new RegExp(`\\$${v}\\b`, 'g'), ALL_VALUE);
  }
  return out;
}

export function shippedQueries(): ShippedQuery[] {
  const pages = pageQueries()
    .filter((q) => q.language === 'promql')
    .map((q) => ({ id: `page:${q.id}`, source: 'page' as const, expr: q.expr, instant: q.instant }));
  const dashboards = PAGES.flatMap((page) =>
    (buildDashboard(page).panels ?? []).flatMap((panel) => {
      const p = panel as {
        title?: string;
        datasource?: { type?: string };
        targets?: Array<{ refId?: string; expr?: string; instant?: boolean }>;
      };
      if (p.datasource?.type !== 'prometheus') {
        return [];
      }
      const spec = page.panels.find((s) => s.title === p.title);
      return (p.targets ?? []).map((t) => ({
        id: `dashboard:${page.id}/${spec?.id ?? p.title}/${t.refId}`,
        source: 'dashboard' as const,
        expr: t.expr ?? '',
        instant: t.instant === true,
      }));
    })
  );
  const alerts = ruleGroup('prometheus').rules.map((rule) => ({
    id: `alert:${rule.uid}/A`,
    source: 'alert' as const,
    expr: String(rule.data[0]!.model.expr),
    instant: true,
  }));
  return [...pages, ...dashboards, ...alerts];
}

/** Every shipped PromQL expression as (id, substituted expression) pairs. */
export function substitutedQueries(s: Substitution): Array<{ id: string; expr: string; instant: boolean }> {
  return shippedQueries().map((q) => ({ id: q.id, expr: substitute(q.expr, s), instant: q.instant }));
}
