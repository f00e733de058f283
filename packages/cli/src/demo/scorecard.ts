/**
 * The scorecard: the four measures against their targets, computed from
 * the metrics the instrumentation recorded, with the definitions of
 * docs/conservation-metrics.md (the same arithmetic as the semconv queries).
 */
import type { Attributes } from '@opentelemetry/api';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  ATTR_OUTCOME,
  ATTR_TOKEN_DISPOSITION,
  METRIC_CONTEXT_TOKENS,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_SESSION_REQUESTS,
  METRIC_SESSIONS_OVER_LIMIT,
  METRIC_TOOL_CALLS,
  TARGET_CONTEXT_LOSS_RATE,
  TARGET_REQUESTS_PER_SESSION,
  TARGET_TOKEN_EFFICIENCY,
  TARGET_TOOL_SUCCESS_RATE,
  meetsTarget,
  meetsVolumeTarget,
  type RatioTarget,
} from '@mcp-conservation/semconv';
import { elapsed } from './live.js';

function sum(rm: ResourceMetrics, name: string, filter: Attributes = {}): number {
  let total = 0;
  for (const sm of rm.scopeMetrics)
    for (const m of sm.metrics) {
      if (m.descriptor.name !== name) continue;
      for (const dp of m.dataPoints) {
        if (!Object.entries(filter).every(([k, v]) => dp.attributes[k] === v)) continue;
        const v = dp.value as number | { count: number };
        total += typeof v === 'number' ? v : v.count;
      }
    }
  return total;
}

/** Sessions whose request count lies in [min, max], from the histogram's cumulative buckets. */
function sessionsInBand(rm: ResourceMetrics): { ended: number; within: number } {
  let ended = 0;
  let within = 0;
  for (const sm of rm.scopeMetrics)
    for (const m of sm.metrics) {
      if (m.descriptor.name !== METRIC_SESSION_REQUESTS.name) continue;
      for (const dp of m.dataPoints) {
        const v = dp.value as { count: number; buckets: { boundaries: number[]; counts: number[] } };
        ended += v.count;
        const upTo = (bound: number) => v.buckets.counts.slice(0, v.buckets.boundaries.indexOf(bound) + 1).reduce((a, b) => a + b, 0);
        within += upTo(TARGET_REQUESTS_PER_SESSION.max) - upTo(TARGET_REQUESTS_PER_SESSION.min - 1);
      }
    }
  return { ended, within };
}

export interface Measure {
  readonly title: string;
  readonly value: number;
  readonly numerator: number;
  readonly denominator: number;
  readonly target: string;
  readonly pass: boolean;
}

export interface Scorecard {
  readonly measures: readonly Measure[];
  readonly sessions: { readonly ended: number; readonly within: number; readonly overLimit: number };
  readonly tokens: { readonly meaningful: number; readonly redundant: number; readonly unused: number };
  readonly toolCalls: Readonly<Record<string, number>>;
  readonly lostResponses: number;
}

function ratio(target: RatioTarget, numerator: number, denominator: number): Measure {
  const value = denominator > 0 ? numerator / denominator : Number.NaN;
  return {
    title: target.title,
    value,
    numerator,
    denominator,
    target: `${target.comparator === 'gt' ? '>' : '<'} ${(target.threshold * 100).toFixed(0)}%`,
    pass: denominator > 0 && meetsTarget(target, value),
  };
}

export function computeScorecard(rm: ResourceMetrics): Scorecard {
  const disp = (d: string) => sum(rm, METRIC_CONTEXT_TOKENS.name, { [ATTR_TOKEN_DISPOSITION]: d });
  const tokens = { meaningful: disp('meaningful'), redundant: disp('redundant'), unused: disp('unused') };
  const outcomes = ['success', 'tool_error', 'protocol_error', 'timeout', 'transport_error', 'invalid_result', 'cancelled'];
  const toolCalls = Object.fromEntries(outcomes.map((o) => [o, sum(rm, METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: o })]));
  const calls = Object.values(toolCalls).reduce((a, b) => a + b, 0);
  const lost = sum(rm, METRIC_RESPONSES_LOST.name);
  const expected = sum(rm, METRIC_RESPONSES_EXPECTED.name) - sum(rm, METRIC_RESPONSES_CANCELLED.name);
  const band = sessionsInBand(rm);
  const overLimit = sum(rm, METRIC_SESSIONS_OVER_LIMIT.name);
  const volume: Measure = {
    title: TARGET_REQUESTS_PER_SESSION.title,
    value: band.ended ? band.within / band.ended : Number.NaN,
    numerator: band.within,
    denominator: band.ended,
    target: `${TARGET_REQUESTS_PER_SESSION.min}-${TARGET_REQUESTS_PER_SESSION.max} per session`,
    pass: meetsVolumeTarget(band.within, band.ended, overLimit),
  };
  return {
    measures: [
      ratio(TARGET_TOKEN_EFFICIENCY, tokens.meaningful, tokens.meaningful + tokens.redundant + tokens.unused),
      ratio(TARGET_CONTEXT_LOSS_RATE, lost, expected),
      ratio(TARGET_TOOL_SUCCESS_RATE, toolCalls.success ?? 0, calls - (toolCalls.cancelled ?? 0)),
      volume,
    ],
    sessions: { ...band, overLimit },
    tokens,
    toolCalls,
    lostResponses: lost,
  };
}

/** A plain-text table; colour only on a terminal. */
export function renderScorecard(card: Scorecard, color: boolean): string {
  const paint = (ok: boolean, s: string) => (color ? `\x1b[${ok ? 32 : 31}m${s}\x1b[0m` : s);
  const pct = (v: number) => (Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);
  const rows = card.measures.map((m) => [m.title, pct(m.value), `${m.numerator}/${m.denominator}`, m.target, paint(m.pass, m.pass ? 'PASS' : 'FAIL')]);
  const head = ['Measure', 'Value', 'Of', 'Target', 'Verdict'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.replace(/\x1b\[\d+m/g, '').length)));
  const line = (r: string[]) => r.map((c, i) => c + ' '.repeat(widths[i]! - c.replace(/\x1b\[\d+m/g, '').length)).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  out.push('');
  out.push(`Tokens: ${card.tokens.meaningful} meaningful, ${card.tokens.redundant} redundant, ${card.tokens.unused} unused (tool definitions never called)`);
  out.push(`Tool calls: ${Object.entries(card.toolCalls).filter(([, n]) => n > 0).map(([o, n]) => `${n} ${o}`).join(', ')}`);
  out.push(`Sessions: ${card.sessions.ended} ended, ${card.sessions.within} within 30-100 requests, ${card.sessions.overLimit} over 100 (anomaly)`);
  return out.join('\n');
}

/** The scorecard's heading: it counts everything since the demo started. */
export function cumulativeHeading(since: Date, rounds: number, sessions: number, live: boolean): string {
  const when = since.toISOString().slice(11, 19);
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const runs = live ? `${plural(rounds, 'complete round')}, ${plural(sessions, 'session')}` : plural(sessions, 'session');
  return `Scorecard, cumulative since the start (${when} UTC, ${elapsed(Date.now() - since.getTime())} ago): ${runs}`;
}
