/**
 * The semconv query scopes the pages use: every filter is a template
 * variable, the window Grafana's own interval.
 */
import type { QueryScope } from '@mcp-conservation/semconv';

/** For time series: one rate per step. */
export const TREND: QueryScope = {
  service: '$service',
  server: '$server',
  tool: '$tool',
  observer: '$observer',
  window: '$__rate_interval',
};

/** For instant values over the whole selected time range. */
export const RANGE: QueryScope = { ...TREND, window: '$__range' };
