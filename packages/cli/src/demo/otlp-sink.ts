/**
 * For the demo through the proxy: a loopback OTLP/HTTP receiver (JSON) that
 * keeps the proxies' latest cumulative metric points and appends their
 * audit log exports to the audit file, one OTLP/JSON message per line (the
 * Collector file exporter's format). Not a Collector: just enough for the
 * demo to score what the proxies measured.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value?: AnyValue };
interface NumberPoint {
  attributes?: KeyValue[];
  asInt?: string | number;
  asDouble?: number;
}
interface HistogramPoint {
  attributes?: KeyValue[];
  count?: string | number;
  sum?: number;
  explicitBounds?: number[];
  bucketCounts?: (string | number)[];
}
interface OtlpMetric {
  name: string;
  sum?: { dataPoints?: NumberPoint[] };
  histogram?: { dataPoints?: HistogramPoint[] };
}

function plain(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if (!value) continue;
    const v = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue));
    if (v !== undefined) out[key] = v;
  }
  return out;
}

type Point = { name: string; attributes: Record<string, string | number | boolean>; value: number | { count: number; sum: number; buckets: { boundaries: number[]; counts: number[] } } };

export class OtlpSink {
  private server: Server | undefined;
  /** Latest cumulative point per exporting process, metric and attribute set. */
  private readonly points = new Map<string, Point>();
  spans = 0;

  constructor(private readonly auditFile: string) {
    mkdirSync(dirname(auditFile), { recursive: true });
    writeFileSync(auditFile, '');
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = Buffer.concat(chunks).toString('utf8');
          if (req.url === '/v1/metrics') this.metrics(JSON.parse(body));
          else if (req.url === '/v1/logs') appendFileSync(this.auditFile, `${JSON.stringify(JSON.parse(body))}\n`);
          else if (req.url === '/v1/traces') this.spans += countSpans(JSON.parse(body));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch (error) {
          res.writeHead(400).end(String(error));
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private metrics(body: { resourceMetrics?: { resource?: { attributes?: KeyValue[] }; scopeMetrics?: { metrics?: OtlpMetric[] }[] }[] }): void {
    for (const rm of body.resourceMetrics ?? []) {
      const instance = String(plain(rm.resource?.attributes)['service.instance.id'] ?? '');
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          for (const dp of m.sum?.dataPoints ?? []) {
            const attributes = plain(dp.attributes);
            this.points.set(`${instance}|${m.name}|${JSON.stringify(attributes)}`, { name: m.name, attributes, value: Number(dp.asInt ?? dp.asDouble ?? 0) });
          }
          for (const dp of m.histogram?.dataPoints ?? []) {
            const attributes = plain(dp.attributes);
            this.points.set(`${instance}|${m.name}|${JSON.stringify(attributes)}`, {
              name: m.name,
              attributes,
              value: { count: Number(dp.count ?? 0), sum: dp.sum ?? 0, buckets: { boundaries: dp.explicitBounds ?? [], counts: (dp.bucketCounts ?? []).map(Number) } },
            });
          }
        }
      }
    }
  }

  /** The received points in the shape of the SDK's collected metrics, for the scorecard. */
  resourceMetrics(): ResourceMetrics {
    const byName = new Map<string, Point[]>();
    for (const p of this.points.values()) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
    const metrics = [...byName].map(([name, dataPoints]) => ({ descriptor: { name }, dataPoints }));
    return { scopeMetrics: [{ metrics }] } as unknown as ResourceMetrics;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

function countSpans(body: { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] }): number {
  return (body.resourceSpans ?? []).flatMap((r) => r.scopeSpans ?? []).reduce((n, s) => n + (s.spans?.length ?? 0), 0);
}
