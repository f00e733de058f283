/**
 * Gathers what the report shows from Prometheus. Every expression comes
 * from the semconv `queries` module; this file only chooses scopes, windows
 * and times.
 */
import {
  LABELS,
  TARGET_CONTEXT_LOSS_RATE,
  TARGET_REQUESTS_PER_SESSION,
  meetsVolumeTarget,
  TARGET_TOKEN_EFFICIENCY,
  TARGET_TOOL_SUCCESS_RATE,
  meetsTarget,
  queries,
  type QueryScope,
  type RatioTarget,
} from '@mcp-conservation/semconv';
import type { Progress } from '../command-line/progress.js';
import { promDuration } from './duration.js';
import type { InstantSample, PrometheusClient, RangeSeries } from './prometheus-client.js';

export type Verdict = 'pass' | 'fail' | 'no data';
export type MeasureId = 'tokenEfficiency' | 'contextLossRate' | 'toolSuccessRate' | 'requestsPerSession';

export interface Measure {
  readonly id: MeasureId;
  readonly title: string;
  /** The measure over the whole range; a ratio, or mean requests per session. */
  readonly value: number | undefined;
  readonly unit: 'ratio' | 'requests';
  readonly target: string;
  readonly verdict: Verdict;
  /** Volumes that give the value its weight, by name. */
  readonly context: Readonly<Record<string, number | undefined>>;
  /** The chart: one series over the range. */
  readonly series: readonly (readonly [number, number])[];
  /** Reference lines drawn on the chart (target threshold, or band limits). */
  readonly rules: readonly number[];
  readonly queries: Readonly<Record<string, string>>;
}

export interface ReportWindow {
  readonly start: Date;
  readonly end: Date;
  readonly rangeSeconds: number;
  readonly stepSeconds: number;
}

export interface PrometheusFacts {
  readonly measures: readonly Measure[];
  readonly topFailingTools: readonly { tool: string; failed: number; successRate: number | undefined }[];
  readonly waste: readonly { disposition: string; source: string; server: string; tool: string; tokens: number }[];
  readonly lostByCause: readonly { cause: string; responses: number }[];
  readonly pipeline: {
    readonly emitted: number | undefined;
    readonly dropped: number | undefined;
    readonly droppedByReason: readonly { reason: string; records: number }[];
    readonly received: number | undefined;
    readonly unreceived: number | undefined;
    readonly healthy: boolean | undefined;
  };
  /** Every query run, for the report's appendix. */
  readonly queryLog: readonly { name: string; query: string }[];
}

/** The chart step: about 150 points over the range, never finer than a minute. */
export function chooseStep(rangeSeconds: number): number {
  return Math.max(60, Math.ceil(rangeSeconds / 150));
}

function ratioVerdict(target: RatioTarget, value: number | undefined): Verdict {
  return value === undefined ? 'no data' : meetsTarget(target, value) ? 'pass' : 'fail';
}

function targetText(target: RatioTarget): string {
  return `${target.comparator === 'gt' ? '>' : '<'} ${+(target.threshold * 100).toFixed(4)}%`;
}

export async function collectPrometheus(client: PrometheusClient, scope: QueryScope, window: ReportWindow, progress: Progress): Promise<PrometheusFacts> {
  const total: QueryScope = { ...scope, window: promDuration(window.rangeSeconds) };
  // Each chart point covers the step before it (at least 5m, so rate() has samples to work with).
  const chart: QueryScope = { ...scope, window: promDuration(Math.max(window.stepSeconds, 300)) };
  const queryLog: { name: string; query: string }[] = [];
  let done = 0;
  const planned = 23;
  const instant = async (name: string, query: string): Promise<InstantSample[]> => {
    queryLog.push({ name, query });
    progress.step(`querying Prometheus (${++done}/${planned}): ${name}`);
    return client.instant(query, window.end);
  };
  const scalar = async (name: string, query: string): Promise<number | undefined> => (await instant(name, query))[0]?.value;
  const range = async (name: string, query: string): Promise<(readonly [number, number])[]> => {
    queryLog.push({ name: `${name} (chart)`, query });
    progress.step(`querying Prometheus (${++done}/${planned}): ${name} over the range`);
    const series: RangeSeries[] = await client.range(query, window.start, window.end, window.stepSeconds);
    return [...(series[0]?.points ?? [])];
  };
  /** One of the three ratio measures: its value against its target, with its chart over the range. */
  const ratioMeasure = async (
    target: RatioTarget,
    value: number | undefined,
    build: (s: QueryScope) => string,
    chartName: string,
    context: Record<string, number | undefined>,
  ): Promise<Measure> => ({
    id: target.id,
    title: target.title,
    value,
    unit: 'ratio',
    target: targetText(target),
    verdict: ratioVerdict(target, value),
    context,
    series: await range(chartName, build(chart)),
    rules: [target.threshold],
    queries: { value: build(total) },
  });

  const efficiency = await scalar('token efficiency', queries.tokenEfficiency(total));
  const rendered = await scalar('rendered tokens', queries.renderedTokens(total));
  const loss = await scalar('context loss rate', queries.contextLossRate(total));
  // The loss rate's own base: expected responses less those the caller cancelled.
  const expected = await scalar('responses expected', queries.responsesAwaited(total));
  const success = await scalar('tool success rate', queries.toolSuccessRate(total));
  const calls = await scalar('tool calls', queries.toolCalls(total));
  const within = await scalar('sessions within 30-100 requests', queries.sessionsWithinBand(total));
  const mean = await scalar('mean requests per session', queries.meanRequestsPerSession(total));
  const ended = await scalar('sessions ended', queries.sessionsEnded(total));
  const over = await scalar('sessions over 100 requests', queries.sessionsOverLimit(total));

  const band = TARGET_REQUESTS_PER_SESSION;
  // The verdict of semconv's meetsVolumeTarget, as the demo's scorecard gives
  // it: every ended session within the band, none over the limit. increase()
  // extrapolates, so "every" allows a rounding of the share.
  const allWithin = within !== undefined && within > 0.9995;
  const volumeVerdict: Verdict =
    ended === undefined || ended === 0 ? (over ? 'fail' : 'no data') : meetsVolumeTarget(allWithin ? 1 : 0, 1, over && over > 0.5 ? 1 : 0) ? 'pass' : 'fail';

  const measures: Measure[] = [
    await ratioMeasure(TARGET_TOKEN_EFFICIENCY, efficiency, queries.tokenEfficiency, 'token efficiency', { 'rendered tokens': rendered }),
    await ratioMeasure(TARGET_CONTEXT_LOSS_RATE, loss, queries.contextLossRate, 'context loss rate', { 'responses expected (less cancelled)': expected }),
    await ratioMeasure(TARGET_TOOL_SUCCESS_RATE, success, queries.toolSuccessRate, 'tool success rate', { 'tool calls': calls }),
    {
      id: 'requestsPerSession',
      title: `${band.title}: requests per session`,
      value: mean,
      unit: 'requests',
      target: `every session ${band.min} to ${band.max}, none over ${band.max}`,
      verdict: volumeVerdict,
      context: { 'sessions ended': ended, 'share within band': within, 'sessions over limit': over },
      series: await range('mean requests per session', queries.meanRequestsPerSession(chart)),
      rules: [band.min, band.max],
      queries: { value: queries.meanRequestsPerSession(total), within: queries.sessionsWithinBand(total), over: queries.sessionsOverLimit(total) },
    },
  ];

  const failing = await instant('top failing tools', queries.topFailingTools(total));
  const perTool = await instant('tool success rate per tool', queries.toolSuccessRate(total, ['tool']));
  const rateOf = new Map(perTool.map((s) => [s.labels[LABELS.tool] ?? '', s.value]));
  const topFailingTools = failing
    .map((s) => ({ tool: s.labels[LABELS.tool] ?? '(none)', failed: s.value, successRate: rateOf.get(s.labels[LABELS.tool] ?? '') }))
    .sort((a, b) => b.failed - a.failed || a.tool.localeCompare(b.tool));

  const waste = (await instant('largest sources of unused and redundant context', queries.wastedTokens(total)))
    .filter((s) => s.value > 0)
    .map((s) => ({
      disposition: s.labels[LABELS.disposition] ?? '',
      source: s.labels[LABELS.source] ?? '',
      server: s.labels[LABELS.server] ?? '',
      tool: s.labels[LABELS.tool] ?? '',
      tokens: s.value,
    }))
    .sort((a, b) => b.tokens - a.tokens);

  const lostByCause = (await instant('lost responses by cause', queries.responsesLostByCause(total)))
    .filter((s) => s.value > 0)
    .map((s) => ({ cause: s.labels[LABELS.cause] ?? '', responses: s.value }))
    .sort((a, b) => b.responses - a.responses);

  const emitted = await scalar('audit records emitted', queries.auditRecordsEmitted(total));
  const droppedByReason = (await instant('audit records dropped by reason', queries.auditRecordsDropped(total, ['dropReason'])))
    .map((s) => ({ reason: s.labels[LABELS.dropReason] ?? '', records: s.value }))
    .filter((r) => r.records > 0);
  const dropped = await scalar('audit records dropped', queries.auditRecordsDropped(total));
  const received = await scalar('audit records received', queries.auditRecordsReceived(total));
  const unreceived = await scalar('audit records not received', queries.auditRecordsUnreceived(total));
  // No received series at all: no gateway counts records (a Prometheus scraping the SDK directly), so
  // receipt is not measured; drops still are.
  const healthy =
    emitted === undefined && dropped === undefined && received === undefined ? undefined : (dropped ?? 0) > 0 ? false : received === undefined ? undefined : (unreceived ?? 0) <= 0;

  return { measures, topFailingTools, waste, lostByCause, pipeline: { emitted, dropped, droppedByReason, received, unreceived, healthy }, queryLog };
}
