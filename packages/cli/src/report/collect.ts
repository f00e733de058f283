/**
 * Gathers what the report shows from Prometheus: exact counts from the raw
 * samples of every counter series in scope (`exact-counts.ts`), the ratios
 * built from those counts, and charts of the same increments per step. The
 * selectors come from semconv's `queries.countedSeries`; this file only
 * chooses scopes, times and the arithmetic of the four measures.
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
import { countSeries, perStep, sumBy, total, type SeriesCount } from './exact-counts.js';
import type { Labels, PrometheusClient } from './prometheus-client.js';

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
  /** The exact counts the value is built from, by name. */
  readonly context: Readonly<Record<string, number | undefined>>;
  /** The chart: the measure over each step, from that step's increments; steps without any are absent. */
  readonly series: readonly (readonly [number, number])[];
  /** Reference lines drawn on the chart (target threshold, or band limits). */
  readonly rules: readonly number[];
  readonly queries: Readonly<Record<string, string>>;
  /** What the measure cannot cover in this range, said beside its value. */
  readonly note?: string;
}

export interface ReportWindow {
  readonly start: Date;
  readonly end: Date;
  readonly rangeSeconds: number;
  /** Chart step; undefined: chosen from the range and the scrape interval. */
  readonly stepSeconds: number | undefined;
}

/** What the raw samples covered: the report says it, since it bounds every count. */
export interface Coverage {
  /** First and last sample of any series in scope inside the range (Unix seconds). */
  readonly firstSample: number | undefined;
  readonly lastSample: number | undefined;
  readonly series: number;
  readonly samples: number;
  readonly resets: number;
  /** Series born inside the range whose first sample was already above zero; counted from zero. */
  readonly firstSeenAboveZero: number;
  /** Median spacing of samples: the scrape interval, as Prometheus saw it. */
  readonly scrapeIntervalSeconds: number | undefined;
  /** The chart step used. */
  readonly stepSeconds: number;
}

export interface PrometheusFacts {
  readonly measures: readonly Measure[];
  readonly topFailingTools: readonly { tool: string; failed: number; successRate: number | undefined }[];
  readonly waste: readonly { disposition: string; source: string; server: string; tool: string; tokens: number }[];
  readonly lostByCause: readonly { cause: string; responses: number }[];
  /**
   * Rendered tokens (delivered or lost) counted from their bytes rather
   * than tokenized, because the accounting backlog was past its budget,
   * and their share of all rendered tokens. Undefined: no such series.
   */
  readonly estimated: { readonly tokens: number | undefined; readonly share: number | undefined };
  readonly pipeline: {
    readonly emitted: number | undefined;
    readonly dropped: number | undefined;
    readonly droppedByReason: readonly { reason: string; records: number }[];
    readonly received: number | undefined;
    readonly unreceived: number | undefined;
    readonly healthy: boolean | undefined;
  };
  readonly coverage: Coverage;
  /** Every query run, for the report's appendix. */
  readonly queryLog: readonly { name: string; query: string }[];
}

/** Samples before the range's start are read this far back, for each series' baseline (Prometheus's lookback). */
const BASELINE_LOOKBACK_S = 300;

/**
 * Each chart point is the measure over this many steps ending there: one
 * step alone can hold a handful of requests (a session's last, lost one),
 * whose ratio is 0% or 100% and says nothing about the trend.
 */
export const CHART_WINDOW_STEPS = 3;

/** The chart step: about 120 points over the range, and at least four scrapes per step so that no step is empty for want of a sample. */
export function chooseStep(rangeSeconds: number, scrapeIntervalSeconds: number | undefined): number {
  return Math.max(1, Math.ceil(rangeSeconds / 120), Math.ceil(4 * (scrapeIntervalSeconds ?? 15)));
}

function ratioVerdict(target: RatioTarget, value: number | undefined): Verdict {
  return value === undefined ? 'no data' : meetsTarget(target, value) ? 'pass' : 'fail';
}

function targetText(target: RatioTarget): string {
  return `${target.comparator === 'gt' ? '>' : '<'} ${+(target.threshold * 100).toFixed(4)}%`;
}

const ratioOf = (n: number, d: number): number | undefined => (d > 0 ? n / d : undefined);
const is = (label: string, value: string) => (l: Labels) => l[label] === value;
const isNot = (label: string, ...values: string[]) => (l: Labels) => !values.includes(l[label] ?? '');

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Calls in no session are not in the volume measure: it says so, rather than give a number for them. */
function sessionlessNote(requests: number): string {
  return `not observable over stateless HTTP: ${requests.toLocaleString('en-US')} requests the proxy relayed there are in no session, and not in this measure`;
}

export async function collectPrometheus(client: PrometheusClient, scope: QueryScope, window: ReportWindow, progress: Progress): Promise<PrometheusFacts> {
  const start = window.start.getTime() / 1000;
  const end = window.end.getTime() / 1000;
  const queryLog: { name: string; query: string }[] = [];
  const seen = new Map<string, SeriesCount>();
  let samples = 0;
  const gaps: number[] = [];
  const sel = queries.countedSeries;
  const planned = 16;
  let done = 0;
  /** Every series of a selector, counted exactly over the range. */
  const counts = async (name: string, selector: string): Promise<SeriesCount[]> => {
    const query = queries.rawSamples(selector, window.rangeSeconds + BASELINE_LOOKBACK_S);
    queryLog.push({ name, query });
    progress.step(`reading raw samples from Prometheus (${++done}/${planned}): ${name}`);
    const result = (await client.samples(query, window.end)).map((s) => {
      samples += s.points.length;
      for (let i = 1; i < s.points.length; i++) gaps.push((s.points[i] as readonly number[])[0]! - (s.points[i - 1] as readonly number[])[0]!);
      return countSeries(s, start);
    });
    for (const c of result) seen.set(JSON.stringify(Object.entries(c.labels).sort()), c);
    return result;
  };

  const tokens = await counts('context tokens', sel.contextTokens(scope));
  const expected = await counts('responses expected', sel.responsesExpected(scope));
  const cancelled = await counts('responses cancelled', sel.responsesCancelled(scope));
  const lost = await counts('responses lost', sel.responsesLost(scope));
  const calls = await counts('tool calls', sel.toolCalls(scope));
  const ended = await counts('sessions ended', sel.sessionsEnded(scope));
  const requests = await counts('requests of ended sessions', sel.sessionRequests(scope));
  const upToMax = await counts(`sessions with at most ${TARGET_REQUESTS_PER_SESSION.max} requests`, sel.sessionsUpTo(TARGET_REQUESTS_PER_SESSION.max, scope));
  const belowMin = await counts(`sessions with fewer than ${TARGET_REQUESTS_PER_SESSION.min} requests`, sel.sessionsUpTo(TARGET_REQUESTS_PER_SESSION.min - 1, scope));
  const overLimit = await counts('sessions over the request limit', sel.sessionsOverLimit(scope));
  const sessionless = await counts('requests in no session', sel.sessionlessRequests(scope));
  const emittedSeries = await counts('audit records emitted', sel.auditRecordsEmitted(scope));
  const droppedSeries = await counts('audit records dropped', sel.auditRecordsDropped(scope));
  const receivedSeries = await counts('audit records received', sel.auditRecordsReceived(scope));
  const lostTokenSeries = await counts('lost tokens', sel.lostTokens(scope));
  const estimatedSeries = await counts('estimated tokens', sel.estimatedTokens(scope));
  // The gateway counts per service only: with a server or observer filter, compare its count with every emitted record of the service.
  const perService = scope.server !== undefined || scope.observer !== undefined ? await counts('audit records emitted per service', sel.auditRecordsEmittedPerService(scope)) : emittedSeries;

  const interval = median(gaps);
  const stepSeconds = window.stepSeconds ?? chooseStep(window.rangeSeconds, interval);
  const steps = Math.max(1, Math.ceil(window.rangeSeconds / stepSeconds));
  const stepEnd = (i: number) => start + (i + 1) * stepSeconds;
  /** A chart: numerator over denominator over the trailing window ending at each step, where it has a denominator. */
  const chart = (num: number[], den: number[]): [number, number][] =>
    den.flatMap((_, i) => {
      const from = Math.max(0, i - CHART_WINDOW_STEPS + 1);
      const d = den.slice(from, i + 1).reduce((a, b) => a + b, 0);
      const n = num.slice(from, i + 1).reduce((a, b) => a + b, 0);
      return d > 0 ? [[Math.min(stepEnd(i), end), n / d] as [number, number]] : [];
    });
  const step = (c: readonly SeriesCount[], filter?: (l: Labels) => boolean) => perStep(c, start, stepSeconds, steps, filter);

  const meaningfulOnly = is(LABELS.disposition, 'meaningful');
  const meaningful = total(tokens, meaningfulOnly);
  const rendered = total(tokens);
  const lostCount = total(lost);
  const awaited = total(expected) - total(cancelled);
  const notCancelled = isNot(LABELS.outcome, 'cancelled');
  const succeeded = is(LABELS.outcome, 'success');
  const callCount = total(calls, notCancelled);
  const successCount = total(calls, succeeded);
  const endedCount = total(ended);
  const requestCount = total(requests);
  const withinCount = total(upToMax) - total(belowMin);
  const overCount = total(overLimit);
  const sessionlessCount = total(sessionless);
  const hasSeries = (c: readonly SeriesCount[]) => c.length > 0;

  const ratioMeasure = (target: RatioTarget, value: number | undefined, series: [number, number][], context: Record<string, number | undefined>, query: string): Measure => ({
    id: target.id,
    title: target.title,
    value,
    unit: 'ratio',
    target: targetText(target),
    verdict: ratioVerdict(target, value),
    context,
    series,
    rules: [target.threshold],
    queries: { series: query },
  });

  const band = TARGET_REQUESTS_PER_SESSION;
  const volumeVerdict: Verdict =
    !hasSeries(ended) || endedCount === 0 ? (overCount > 0 ? 'fail' : 'no data') : meetsVolumeTarget(withinCount, endedCount, overCount) ? 'pass' : 'fail';
  const expectedPerStep = step(expected);
  const cancelledPerStep = step(cancelled);

  const measures: Measure[] = [
    ratioMeasure(TARGET_TOKEN_EFFICIENCY, ratioOf(meaningful, rendered), chart(step(tokens, meaningfulOnly), step(tokens)), { 'meaningful tokens': meaningful, 'rendered tokens': hasSeries(tokens) ? rendered : undefined }, sel.contextTokens(scope)),
    ratioMeasure(
      TARGET_CONTEXT_LOSS_RATE,
      ratioOf(lostCount, awaited),
      chart(step(lost), expectedPerStep.map((e, i) => e - (cancelledPerStep[i] as number))),
      { 'lost responses': lostCount, 'responses expected (less cancelled)': hasSeries(expected) ? awaited : undefined },
      sel.responsesLost(scope),
    ),
    ratioMeasure(TARGET_TOOL_SUCCESS_RATE, ratioOf(successCount, callCount), chart(step(calls, succeeded), step(calls, notCancelled)), { 'successful tool calls': successCount, 'tool calls': hasSeries(calls) ? callCount : undefined }, sel.toolCalls(scope)),
    {
      id: 'requestsPerSession',
      title: `${band.title}: requests per session`,
      value: ratioOf(requestCount, endedCount),
      unit: 'requests',
      target: `every session ${band.min} to ${band.max}, none over ${band.max}`,
      verdict: volumeVerdict,
      context: {
        'sessions ended': hasSeries(ended) ? endedCount : undefined,
        [`sessions within ${band.min}-${band.max}`]: hasSeries(ended) ? withinCount : undefined,
        'sessions over limit': hasSeries(overLimit) ? overCount : undefined,
      },
      series: chart(step(requests), step(ended)),
      rules: [band.min, band.max],
      queries: { sum: sel.sessionRequests(scope), count: sel.sessionsEnded(scope), within: sel.sessionsUpTo(band.max, scope), below: sel.sessionsUpTo(band.min - 1, scope), over: sel.sessionsOverLimit(scope), sessionless: sel.sessionlessRequests(scope) },
      ...(sessionlessCount > 0 ? { note: sessionlessNote(sessionlessCount) } : {}),
    },
  ];

  const failedByTool = sumBy(calls.filter((c) => isNot(LABELS.outcome, 'success', 'cancelled')(c.labels)), [LABELS.tool]);
  const topFailingTools = [...failedByTool.values()]
    .filter((g) => g.counted > 0)
    .map((g) => {
      const tool = g.labels[LABELS.tool] ?? '';
      const mine = (l: Labels) => (l[LABELS.tool] ?? '') === tool;
      return { tool: tool || '(none)', failed: g.counted, successRate: ratioOf(total(calls, (l) => mine(l) && succeeded(l)), total(calls, (l) => mine(l) && notCancelled(l))) };
    })
    .sort((a, b) => b.failed - a.failed || a.tool.localeCompare(b.tool))
    .slice(0, 10);

  const waste = [...sumBy(tokens.filter((c) => !meaningfulOnly(c.labels)), [LABELS.disposition, LABELS.source, LABELS.server, LABELS.tool]).values()]
    .filter((g) => g.counted > 0)
    .map((g) => ({ disposition: g.labels[LABELS.disposition] as string, source: g.labels[LABELS.source] as string, server: g.labels[LABELS.server] as string, tool: g.labels[LABELS.tool] as string, tokens: g.counted }))
    .sort((a, b) => b.tokens - a.tokens || a.tool.localeCompare(b.tool))
    .slice(0, 10);

  const lostByCause = [...sumBy(lost, [LABELS.cause]).values()]
    .filter((g) => g.counted > 0)
    .map((g) => ({ cause: g.labels[LABELS.cause] as string, responses: g.counted }))
    .sort((a, b) => b.responses - a.responses || a.cause.localeCompare(b.cause));

  const emitted = hasSeries(emittedSeries) ? total(emittedSeries) : undefined;
  const dropped = hasSeries(droppedSeries) ? total(droppedSeries) : undefined;
  const droppedByReason = [...sumBy(droppedSeries, [LABELS.dropReason]).values()].filter((g) => g.counted > 0).map((g) => ({ reason: g.labels[LABELS.dropReason] as string, records: g.counted }));
  const received = hasSeries(receivedSeries) ? total(receivedSeries) : undefined;
  const unreceived = received === undefined ? undefined : total(perService) - received;
  // No received series at all: no gateway counts records (a Prometheus scraping the SDK directly), so
  // receipt is not measured; drops still are.
  const healthy = emitted === undefined && dropped === undefined && received === undefined ? undefined : (dropped ?? 0) > 0 ? false : unreceived === undefined ? undefined : unreceived <= 0;

  const estimatedTokens = hasSeries(estimatedSeries) ? total(estimatedSeries) : undefined;
  const estimated = { tokens: estimatedTokens, share: estimatedTokens === undefined ? undefined : ratioOf(estimatedTokens, rendered + total(lostTokenSeries)) };

  const all = [...seen.values()];
  const firsts = all.flatMap((c) => (c.firstSample === undefined ? [] : [c.firstSample]));
  const lasts = all.flatMap((c) => (c.lastSample === undefined ? [] : [c.lastSample]));
  const coverage: Coverage = {
    firstSample: firsts.length ? Math.min(...firsts) : undefined,
    lastSample: lasts.length ? Math.max(...lasts) : undefined,
    series: all.length,
    samples,
    resets: all.reduce((n, c) => n + c.resets, 0),
    firstSeenAboveZero: all.filter((c) => c.firstSeenAboveZero).length,
    scrapeIntervalSeconds: interval,
    stepSeconds,
  };
  return { measures, topFailingTools, waste, lostByCause, estimated, pipeline: { emitted, dropped, droppedByReason, received, unreceived, healthy }, coverage, queryLog };
}
