/**
 * A real instrumented MCP workload whose answers are known: an SDK Client
 * wrapped by `instrumentClient`, against a real McpServer over the SDK's
 * in-memory transport, exporting OTLP to the harness's agent Collector.
 * Tools: `search` succeeds, `flaky` returns a tool error, `slow` times out
 * at the client. An in-process reader keeps the SDK's own cumulative totals:
 * the truth for what the script does not fix (tokens, responses, records).
 * A session runs in either protocol era: legacy (2025, the v1 SDK over the
 * in-memory transport) or modern (2026-07-28, the v2 SDK client and server
 * over Streamable HTTP on a loopback port).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Client as ModernClient, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer as ModernServer, createMcpHandler, fromJsonSchema } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { z } from 'zod';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Counter, Histogram } from '@opentelemetry/api';
import {
  ATTR_DEFINITION_KIND,
  ATTR_DEFINITION_NAME,
  ATTR_ERROR_ORIGIN,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_PROTOCOL_ERA,
  ATTR_SERVER_NAME,
  DEFINITION_KIND_VALUES,
  ERROR_ORIGIN_VALUES,
  INSTRUMENTATION_SCOPE_NAME,
  METRIC_SERVER_DEFINITION_TOKENS,
  METRIC_SERVER_LISTINGS,
  METRIC_SERVER_OPERATION_DURATION,
  METRIC_SERVER_RESULT_TOKENS,
  METRIC_SERVER_TOOL_CALLS,
  OBSERVER_VALUES,
  OUTCOME_VALUES,
  PROTOCOL_ERA_VALUES,
  type ProtocolEra,
} from '@mcp-conservation/semconv';
import { AuditLogRecordProcessor, instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { CumulativeReader } from '@mcp-conservation/e2e/harness';

export const SERVICE = 'grafana-e2e-agent';
export const SERVER_NAME = 'catalog';

/** What one session does after connecting: `tools/list`, then these calls. */
export interface SessionScript {
  readonly search: number;
  readonly flaky: number;
  readonly slow: number;
  /** The protocol era the session negotiates (legacy when absent). */
  readonly era?: ProtocolEra;
}

export function eraOf(s: SessionScript): ProtocolEra {
  return s.era ?? PROTOCOL_ERA_VALUES.legacy;
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

/** The same three tools on the v2 server (the modern era). */
function createModernServer(): ModernServer {
  const server = new ModernServer({ name: SERVER_NAME, version: '1.0.0' });
  server.registerTool(
    'search',
    {
      description: 'Search the catalog',
      inputSchema: fromJsonSchema({ type: 'object', properties: { query: { type: 'string' } }, required: ['query'] }),
    },
    async (args) => ({
      content: [
        {
          type: 'text',
          text: `Found 3 products for ${(args as { query: string }).query}: a reading lamp, a standing desk and an office chair.`,
        },
      ],
    })
  );
  server.registerTool('flaky', { description: 'Fails' }, async () => ({
    content: [{ type: 'text', text: 'backend refused' }],
    isError: true,
  }));
  server.registerTool(
    'slow',
    {
      description: 'Answers after a delay',
      inputSchema: fromJsonSchema({ type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] }),
    },
    async (args) => {
      await new Promise((r) => setTimeout(r, (args as { ms: number }).ms));
      return { content: [{ type: 'text', text: 'late answer' }] };
    }
  );
  return server;
}

/**
 * The server side of the workload, SYNTHETIC until the server instrumentation
 * lands: the real OTel SDK meter records the server metrics (names, units,
 * buckets and attributes from semconv) with known values, exported the same
 * way as the client's. Per session: one tools/list answered; `search` calls
 * succeed, `flaky` calls fail by the server's fault, `slow` calls succeed late
 * (the client gave up), and one extra `search` call is rejected as the
 * caller's mistake. `export` is registered, listed and never called.
 */
export const SERVER_DEFINITION_TOKENS: Readonly<Record<string, number>> = {
  search: 40,
  flaky: 12,
  slow: 25,
  export: 30,
};
/** Result tokens the server sends per call of each tool. */
export const SERVER_RESULT_TOKENS: Readonly<Record<string, number>> = { search: 20, flaky: 3, slow: 2 };
/** Caller mistakes per session, on `search`. */
export const CALLER_ERRORS_PER_SESSION = 1;

class SyntheticServerMetrics {
  private readonly calls: Counter;
  private readonly duration: Histogram;
  private readonly resultTokens: Counter;
  private readonly listings: Counter;

  constructor(meterProvider: MeterProvider) {
    const meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE_NAME);
    const opts = (d: typeof METRIC_SERVER_TOOL_CALLS) => ({ unit: d.unit, description: d.description });
    this.calls = meter.createCounter(METRIC_SERVER_TOOL_CALLS.name, opts(METRIC_SERVER_TOOL_CALLS));
    this.resultTokens = meter.createCounter(METRIC_SERVER_RESULT_TOKENS.name, opts(METRIC_SERVER_RESULT_TOKENS));
    this.listings = meter.createCounter(METRIC_SERVER_LISTINGS.name, opts(METRIC_SERVER_LISTINGS));
    this.duration = meter.createHistogram(METRIC_SERVER_OPERATION_DURATION.name, {
      ...opts(METRIC_SERVER_OPERATION_DURATION),
      advice: { explicitBucketBoundaries: [...(METRIC_SERVER_OPERATION_DURATION.buckets ?? [])] },
    });
    const gauge = meter.createGauge(METRIC_SERVER_DEFINITION_TOKENS.name, opts(METRIC_SERVER_DEFINITION_TOKENS));
    for (const [name, tokens] of Object.entries(SERVER_DEFINITION_TOKENS)) {
      gauge.record(tokens, {
        ...this.common,
        [ATTR_DEFINITION_KIND]: DEFINITION_KIND_VALUES.tool,
        [ATTR_DEFINITION_NAME]: name,
      });
    }
  }

  private readonly common = { [ATTR_SERVER_NAME]: SERVER_NAME, [ATTR_OBSERVER]: OBSERVER_VALUES.sdk };

  session(script: SessionScript): void {
    const common = { ...this.common, [ATTR_PROTOCOL_ERA]: eraOf(script) };
    this.listings.add(1, { ...common, [ATTR_MCP_METHOD_NAME]: 'tools/list' });
    this.duration.record(0.003, { ...common, [ATTR_MCP_METHOD_NAME]: 'tools/list' });
    const call = (tool: string, n: number, outcome: string, origin?: string, seconds = 0.004) => {
      for (let k = 0; k < n; k++) {
        const attrs = { ...common, [ATTR_GEN_AI_TOOL_NAME]: tool };
        this.calls.add(1, { ...attrs, [ATTR_OUTCOME]: outcome, ...(origin ? { [ATTR_ERROR_ORIGIN]: origin } : {}) });
        this.duration.record(seconds, { ...attrs, [ATTR_MCP_METHOD_NAME]: 'tools/call' });
        if (origin !== ERROR_ORIGIN_VALUES.caller) {
          this.resultTokens.add(SERVER_RESULT_TOKENS[tool] ?? 0, { ...attrs, [ATTR_MCP_METHOD_NAME]: 'tools/call' });
        }
      }
    };
    call('search', script.search, OUTCOME_VALUES.success);
    call('flaky', script.flaky, OUTCOME_VALUES.toolError, ERROR_ORIGIN_VALUES.server);
    call('slow', script.slow, OUTCOME_VALUES.success, undefined, 2);
    call('search', CALLER_ERRORS_PER_SESSION, OUTCOME_VALUES.protocolError, ERROR_ORIGIN_VALUES.caller);
  }
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
  private readonly serverMetrics: SyntheticServerMetrics;

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
    this.serverMetrics = new SyntheticServerMetrics(this.meterProvider);
  }

  /** Connects, lists tools, makes the scripted calls, closes: in the script's era. */
  async session(script: SessionScript, tag: string): Promise<void> {
    if (eraOf(script) === PROTOCOL_ERA_VALUES.modern) await this.modernSession(script, tag);
    else await this.legacySession(script, tag);
    this.serverMetrics.session(script);
  }

  /**
   * The modern server: one loopback port for the whole workload, so that the
   * series carrying `server.port` are the same in the warm-up and the load.
   */
  private modernServer?: Promise<{ http: http.Server; url: URL }>;

  private startModernServer(): Promise<{ http: http.Server; url: URL }> {
    this.modernServer ??= (async () => {
      const httpServer = http.createServer(toNodeHandler(createMcpHandler(createModernServer)));
      await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
      return { http: httpServer, url: new URL(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`) };
    })();
    return this.modernServer;
  }

  private async modernSession(script: SessionScript, tag: string): Promise<void> {
    const { url } = await this.startModernServer();
    const client = instrumentClient(
      new ModernClient(
        { name: 'grafana-e2e', version: '1.0.0' },
        { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } }
      ),
      { meterProvider: this.meterProvider, loggerProvider: this.loggerProvider }
    );
    this.clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(url));
    if (client.getProtocolEra() !== PROTOCOL_ERA_VALUES.modern) {
      throw new Error(`negotiated ${client.getProtocolEra()}, not modern`);
    }
    await client.listTools();
    for (let k = 0; k < script.search; k++) {
      await client.callTool({ name: 'search', arguments: { query: `lamp ${tag}.${k}` } });
    }
    for (let k = 0; k < script.flaky; k++) {
      await client.callTool({ name: 'flaky', arguments: {} });
    }
    for (let k = 0; k < script.slow; k++) {
      await client.callTool({ name: 'slow', arguments: { ms: 2000 } }, { timeout: 50 }).then(
        () => {
          throw new Error('slow call did not time out');
        },
        () => undefined
      );
    }
    await client.close();
  }

  private async legacySession(script: SessionScript, tag: string): Promise<void> {
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
    const modern = await this.modernServer;
    if (modern) {
      modern.http.closeAllConnections();
      await new Promise((r) => modern.http.close(r));
    }
    await this.loggerProvider.shutdown();
    await this.meterProvider.shutdown();
  }
}
