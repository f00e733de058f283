/**
 * The shipped alert rules at a fifth of their time scale for end-to-end
 * runs: window 5m -> 60s and `for` 5m -> 60s (0m stays 0s), so alerts fire
 * within minutes. Same renderer and definitions as the shipped file, which
 * promtool unit-tests at full scale.
 */
import { renderPrometheusRules } from '@mcp-conservation/collector-config';

export const WINDOW_S = 60;
export const WINDOW = `${WINDOW_S}s`;

function scaled(duration: string): string {
  const m = /^(\d+)m$/.exec(duration);
  if (!m) throw new Error(`unexpected rule duration ${duration}`);
  return `${(Number(m[1]) * 60) / 5}s`;
}

export const SCALED_RULES = renderPrometheusRules({ scope: { window: WINDOW }, forOf: (r) => scaled(r.for) });
