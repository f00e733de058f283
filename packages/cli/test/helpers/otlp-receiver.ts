/**
 * A tiny OTLP/HTTP receiver for tests: the proxy's real exporters send
 * OTLP/JSON (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) here, and the test
 * reads back spans, metric points and log records with plain attributes.
 * (Not a Collector: the proxy tests check what the proxy emits, not the pipeline.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };
export type Attrs = Record<string, string | number | boolean | undefined>;

function value(v: AnyValue | undefined): string | number | boolean | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return undefined;
}

export function attrs(list: KeyValue[] | undefined): Attrs {
  const out: Attrs = {};
  for (const kv of list ?? []) out[kv.key] = value(kv.value);
  return out;
}

export interface Span {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly kind: number;
  readonly attributes: Attrs;
  readonly status: { code?: number; message?: string };
  readonly scope: string;
  readonly resource: Attrs;
}

export interface Point {
  readonly metric: string;
  readonly attributes: Attrs;
  /** Sum for counters, sum of observations for histograms. */
  readonly value: number;
  /** Count for histograms. */
  readonly count?: number;
  readonly time: number;
}

export interface LogRecord {
  readonly eventName: string;
  readonly attributes: Attrs;
  readonly traceId: string;
  readonly spanId: string;
}

export class OtlpReceiver {
  readonly spans: Span[] = [];
  readonly points: Point[] = [];
  readonly logs: LogRecord[] = [];
  /** OTLP/JSON bodies of /v1/logs as received, one per export: the file exporter's JSON lines. */
  readonly rawLogs: string[] = [];
  /** Every body received, on any path. */
  readonly bodies: string[] = [];
  readonly requests: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests.push({ path: req.url ?? '', headers: req.headers });
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = JSON.parse(text) as Record<string, unknown[]>;
        this.bodies.push(text);
        if (req.url === '/v1/logs') this.rawLogs.push(text);
        if (req.url === '/v1/traces') this.addSpans(body);
        else if (req.url === '/v1/metrics') this.addMetrics(body);
        else if (req.url === '/v1/logs') this.addLogs(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (error) {
        res.writeHead(400).end(String(error));
      }
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Environment for a proxy that exports here. */
  env(endpoint: string): NodeJS.ProcessEnv {
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'proxy-under-test',
      OTEL_SDK_DISABLED: 'false',
    };
  }

  private addSpans(body: Record<string, unknown[]>): void {
    for (const rs of (body.resourceSpans ?? []) as { resource?: { attributes?: KeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[] }[]) {
      const resource = attrs(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            name: s.name as string,
            traceId: s.traceId as string,
            spanId: s.spanId as string,
            parentSpanId: (s.parentSpanId as string | undefined) ?? '',
            kind: s.kind as number,
            attributes: attrs(s.attributes as KeyValue[]),
            status: (s.status as Span['status']) ?? {},
            scope: ss.scope?.name ?? '',
            resource,
          });
        }
      }
    }
  }

  private addMetrics(body: Record<string, unknown[]>): void {
    for (const rm of (body.resourceMetrics ?? []) as { scopeMetrics?: { metrics?: Record<string, unknown>[] }[] }[]) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          const name = m.name as string;
          const sum = m.sum as { dataPoints?: Record<string, unknown>[] } | undefined;
          const hist = m.histogram as { dataPoints?: Record<string, unknown>[] } | undefined;
          for (const p of sum?.dataPoints ?? []) {
            this.points.push({ metric: name, attributes: attrs(p.attributes as KeyValue[]), value: Number(p.asInt ?? p.asDouble ?? 0), time: Number(p.timeUnixNano) });
          }
          for (const p of hist?.dataPoints ?? []) {
            this.points.push({ metric: name, attributes: attrs(p.attributes as KeyValue[]), value: Number(p.sum ?? 0), count: Number(p.count ?? 0), time: Number(p.timeUnixNano) });
          }
        }
      }
    }
  }

  private addLogs(body: Record<string, unknown[]>): void {
    for (const rl of (body.resourceLogs ?? []) as { scopeLogs?: { logRecords?: Record<string, unknown>[] }[] }[]) {
      for (const sl of rl.scopeLogs ?? []) {
        for (const r of sl.logRecords ?? []) {
          this.logs.push({ eventName: (r.eventName as string) ?? '', attributes: attrs(r.attributes as KeyValue[]), traceId: (r.traceId as string) ?? '', spanId: (r.spanId as string) ?? '' });
        }
      }
    }
  }

  /**
   * The latest cumulative value of each series of a metric, keyed by its
   * attributes minus the observer/server ones, only non-zero series.
   */
  latest(metric: string): Map<string, Point> {
    const out = new Map<string, Point>();
    for (const p of this.points) {
      if (p.metric !== metric) continue;
      const key = JSON.stringify(Object.entries(p.attributes).sort());
      const prev = out.get(key);
      if (!prev || prev.time <= p.time) out.set(key, p);
    }
    return out;
  }

  /** Sum of the latest values of a metric's series whose attributes include `where`. */
  total(metric: string, where: Attrs = {}): number {
    let n = 0;
    for (const p of this.latest(metric).values()) {
      if (Object.entries(where).every(([k, v]) => p.attributes[k] === v)) n += p.value;
    }
    return n;
  }
}

/** Polls `check` until it returns true or the deadline passes (no sleeps as synchronisation). */
export async function until(what: string, check: () => boolean, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
