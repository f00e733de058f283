/**
 * The checked-in table of every shipped PromQL query: e2e/shipped-queries.json,
 * written by `npm run generate -w grafana-plugin`. The end-to-end suite reads
 * it (it runs under node:test, outside the bundler), substitutes the two
 * window variables and checks each row as its `check` says.
 */
import { ALL_VALUE } from '../specs';
import { QUERY_CHECKS, checkKey, type QueryCheck } from './checks';
import { shippedQueries, substitute, type QuerySource } from './collect';

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
    generatedBy: 'npm run generate -w grafana-plugin (from grafana-plugin/src/queries); do not edit',
    allValue: ALL_VALUE,
    rows: shippedQueries().map((q) => ({
      id: q.id,
      source: q.source,
      instant: q.instant,
      expr: q.expr,
      exprAtAll: substitute(q.expr, WINDOW_PLACEHOLDERS),
      check: QUERY_CHECKS[checkKey(q.id)]!,
    })),
  };
}

export function renderQueryTable(): string {
  return `${JSON.stringify(queryTable(), null, 2)}\n`;
}
