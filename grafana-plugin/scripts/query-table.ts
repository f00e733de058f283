/**
 * The checked-in table of every shipped PromQL query: e2e/shipped-queries.json,
 * written by `npm run generate -w grafana-plugin` (generate-query-table.ts).
 * The end-to-end suite reads it (it runs under node:test, outside the
 * bundler), substitutes the two window variables and checks each row as its
 * `check` says. Build-time code: the plugin does not ship it.
 */
import { ALL_VALUE } from '../src/specs';
import { queryKey, shippedQueries, substitute, type QuerySource } from '../src/queries/collect';
import { QUERY_CHECKS, type QueryCheck } from './query-checks';

export const TABLE_FILE = 'e2e/shipped-queries.json';

/** Marks the windows in `exprAtAll`: the suite replaces them with its durations. */
export const WINDOW_PLACEHOLDERS = { rateInterval: '$__rate_interval', range: '$__range' } as const;

export interface TableRow {
  readonly id: string;
  readonly source: QuerySource;
  readonly instant: boolean;
  /** As shipped. */
  readonly expr: string;
  /** Filters at All (`.*`); `$__rate_interval` and `$__range` left for the suite. */
  readonly exprAtAll: string;
  readonly check: QueryCheck;
}

export function queryTable(): { generatedBy: string; allValue: string; rows: TableRow[] } {
  return {
    generatedBy: 'npm run generate -w grafana-plugin (from grafana-plugin/scripts/query-table.ts); do not edit',
    allValue: ALL_VALUE,
    rows: shippedQueries().map((q) => ({
      id: q.id,
      source: q.source,
      instant: q.instant,
      expr: q.expr,
      exprAtAll: substitute(q.expr, WINDOW_PLACEHOLDERS),
      check: QUERY_CHECKS[queryKey(q.id)]!,
    })),
  };
}

export function renderQueryTable(): string {
  return `${JSON.stringify(queryTable(), null, 2)}\n`;
}
