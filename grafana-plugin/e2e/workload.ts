/**
 * A real instrumented MCP workload whose answers are known: an SDK Client
 * wrapped by `instrumentClient`, against a real McpServer over the SDK's
 * in-memory transport, exporting OTLP to the harness's agent Collector.
 * Tools: `search` succeeds, `flaky` returns a tool error, `slow` times out
 * at the client. An in-process reader keeps the SDK's own cumulative totals:
 * the truth for what the script does not fix (tokens, responses, records).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { AuditLogRecordProcessor, instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { CumulativeReader } from '@mcp-conservation/e2e/harness';

export const SERVICE = 'grafana-e2e-agent';
export const SERVER_NAME = 'catalog';

/** What one session does after connecting: `tools/list`, then these calls. */
export interface SessionScript {
  readonly search: number;
  readonly flaky: number;
  readonly slow: number;
}

/** Client requests a session makes (initialize and ping excluded): tools/list and every call. */
export function requestsOf(s: SessionScript): number {
  return 1 + s.search + s.flaky + s.slow;
}

function createServer(): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: '1.0.0' });
  server.registerTool(
    'search',
    { description: 'Search the catalog', inputSchema: { query: z.string() } },
    async ({ query }) => ({
      content: [
        { type: 'text', text: `Found 3 products for ${query}: a reading lamp, a standing desk and an office chair.` },
      ],
    })
  );
  server.registerTool('flaky', { description: 'Fails' }, async () => ({
    content: [{ type: 'text', text: 'backend refused' }],
    isError: true,
  }));
  server.registerTool(
    'slow',
    { description: 'Answers after a delay', inputSchema: { ms: z.number() } },
    async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      return { content: [{ type: 'text', text: 'late answer' }] };
    }
  );
  return server;
}

/** One data point of the SDK's totals: attributes and a counter value or histogram. */
export interface Point {
  readonly attributes: Record<string, string>;
  readonly value: number;
  readonly count: number;
  readonly sum: number;
  /** Cumulative bucket counts by upper bound (`+Inf` last). */
  readonly buckets: ReadonlyArray<readonly [number, number]>;
}

export type Totals = Map<string, Point[]>;

function pointsOf(rm: ResourceMetrics): Totals {
  const out: Totals = new Map();
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      const list = out.get(m.descriptor.name) ?? [];
      for (const dp of m.dataPoints) {
        const attributes = Object.fromEntries(Object.entries(dp.attributes).map(([k, v]) => [k, String(v)]));
        const v = dp.value as
          number | { count: number; sum?: number; buckets: { boundaries: number[]; counts: number[] } };
        if (typeof v === 'number') {
          list.push({ attributes, value: v, count: 0, sum: 0, buckets: [] });
        } else {
          let acc = 0;
          const buckets: Array<[number, number]> = v.buckets.counts.map((c, i) => [
            v.buckets.boundaries[i] ?? Number.POSITIVE_INFINITY,
            (acc += c),
          ]);
          list.push({ attributes, value: v.count, count: v.count, sum: v.sum ?? 0, buckets });
        }
      }
      out.set(m.descriptor.name, list);
    }
  }
  return out;
}

export class Workload {
  private readonly meterProvider: MeterProvider;
  private readonly loggerProvider: LoggerProvider;
  private readonly totals = new CumulativeReader();
  private readonly clients: object[] = [];

  constructor(otlpUrl: string) {
    const resource = resourceFromAttributes({ 'service.name': SERVICE, 'service.instance.id': `${SERVICE}-1` });
    this.meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${otlpUrl}/v1/metrics` }),
          exportIntervalMillis: 500,
        }),
        this.totals,
      ],
    });
    this.loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new AuditLogRecordProcessor(new OTLPLogExporter({ url: `${otlpUrl}/v1/logs` }), {
          scheduledDelayMillis: 200,
          meterProvider: this.meterProvider,
        }),
      ],
    });
  }

  /** Connects, lists tools, makes the scripted calls, closes. */
  async session(script: SessionScript, tag: string): Promise<void> {
    const server = createServer();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = instrumentClient(new Client({ name: 'grafana-e2e', version: '1.0.0' }), {
      meterProvider: this.meterProvider,
      loggerProvider: this.loggerProvider,
    });
    this.clients.push(client);
    await client.connect(clientSide);
    await client.listTools();
    for (let k = 0; k < script.search; k++) {
      await client.callTool({ name: 'search', arguments: { query: `lamp ${tag}.${k}` } });
    }
    for (let k = 0; k < script.flaky; k++) {
      await client.callTool({ name: 'flaky', arguments: {} });
    }
    for (let k = 0; k < script.slow; k++) {
      await client.callTool({ name: 'slow', arguments: { ms: 2000 } }, undefined, { timeout: 50 }).then(
        () => {
          throw new Error('slow call did not time out');
        },
        () => undefined
      );
    }
    await client.close();
    await server.close();
  }

  /** Everything recorded so far, exported. */
  async flush(): Promise<void> {
    for (const c of this.clients) {
      await observerOf(c)?.forceFlush();
    }
    await this.loggerProvider.forceFlush();
    await this.meterProvider.forceFlush();
  }

  /** The SDK's cumulative totals now. */
  async snapshot(): Promise<Totals> {
    const { resourceMetrics } = await this.totals.collect();
    return pointsOf(resourceMetrics);
  }

  async shutdown(): Promise<void> {
    await this.loggerProvider.shutdown();
    await this.meterProvider.shutdown();
  }
}
