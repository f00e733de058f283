/**
 * A minimal client of the Prometheus HTTP API (instant and range queries).
 * Every failure becomes a CliError with exit code 4 and a message that says
 * what was asked of whom.
 */
import { CliError } from '../command-line/errors.js';
import { EXIT } from '../command-line/exit-codes.js';

export type Labels = Readonly<Record<string, string>>;
export interface InstantSample {
  readonly labels: Labels;
  readonly value: number;
}
export interface RangeSeries {
  readonly labels: Labels;
  readonly points: readonly (readonly [number, number])[];
}

interface ApiAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export class PrometheusClient {
  readonly base: URL;
  readonly timeoutMs: number;

  constructor(base: URL, timeoutMs: number) {
    this.base = base;
    this.timeoutMs = timeoutMs;
  }

  private async call(path: string, params: Record<string, string>): Promise<ApiAnswer['data']> {
    const url = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : new URL(`${this.base.href}/`));
    let response: Response;
    try {
      // POST keeps long queries out of URLs (and proxy logs).
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = (error as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000} s` : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new CliError(EXIT.unreachable, `cannot reach Prometheus at ${this.base.href}: ${why}`);
    }
    const text = await response.text().catch(() => '');
    let answer: ApiAnswer | undefined;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      answer = undefined;
    }
    if (!answer || typeof answer !== 'object' || (answer.status !== 'success' && answer.status !== 'error')) {
      throw new CliError(EXIT.unreachable, `${url.href} answered HTTP ${response.status} without a Prometheus API answer: is ${this.base.href} a Prometheus server?`);
    }
    if (answer.status === 'error' || !response.ok) {
      throw new CliError(EXIT.unreachable, `Prometheus at ${this.base.href} refused a query (HTTP ${response.status}, ${answer.errorType ?? 'error'}): ${answer.error ?? 'no detail'}\n  query: ${params.query}`);
    }
    return answer.data;
  }

  /** An instant query; a scalar result becomes one sample without labels. */
  async instant(query: string, time: Date): Promise<InstantSample[]> {
    const data = await this.call('/api/v1/query', { query, time: String(time.getTime() / 1000) });
    if (data?.resultType === 'scalar') {
      const v = parseSample(data.result);
      return v === undefined ? [] : [{ labels: {}, value: v }];
    }
    if (data?.resultType !== 'vector' || !Array.isArray(data.result)) throw shapeError(query);
    return data.result.flatMap((r: { metric?: Labels; value?: unknown }) => {
      const v = parseSample(r.value);
      return v === undefined ? [] : [{ labels: r.metric ?? {}, value: v }];
    });
  }

  /** The raw samples of a range-vector selector (`sel[10m]`) at `time`: a matrix, no evaluation. */
  async samples(query: string, time: Date): Promise<RangeSeries[]> {
    const data = await this.call('/api/v1/query', { query, time: String(time.getTime() / 1000) });
    if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) throw shapeError(query);
    return toSeries(data.result);
  }

  async range(query: string, start: Date, end: Date, stepSeconds: number): Promise<RangeSeries[]> {
    const data = await this.call('/api/v1/query_range', { query, start: String(start.getTime() / 1000), end: String(end.getTime() / 1000), step: String(stepSeconds) });
    if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) throw shapeError(query);
    return toSeries(data.result);
  }
}

function toSeries(result: unknown[]): RangeSeries[] {
  return result.map((r) => {
    const { metric, values } = r as { metric?: Labels; values?: unknown[] };
    return {
      labels: metric ?? {},
      points: (values ?? []).flatMap((p) => {
        const v = parseSample(p);
        return v === undefined || !Array.isArray(p) ? [] : [[Number(p[0]), v] as const];
      }),
    };
  });
}

/** `[time, "value"]` to a finite number; NaN and infinities (0/0, x/0) are no value. */
function parseSample(pair: unknown): number | undefined {
  if (!Array.isArray(pair) || pair.length !== 2) return undefined;
  const v = Number(pair[1]);
  return Number.isFinite(v) ? v : undefined;
}

function shapeError(query: string): CliError {
  return new CliError(EXIT.unreachable, `Prometheus answered a query with an unexpected result shape\n  query: ${query}`);
}
