/**
 * A real instrumented MCP workload whose answers are known: an SDK Client
 * wrapped by `instrumentClient` against a real McpServer wrapped by
 * `instrumentServer`, both exporting OTLP to the harness's agent Collector.
 * The servers' tools are in servers.ts. An in-process reader keeps the SDK's
 * own cumulative totals: the truth for what the script does not fix
 * (tokens, durations, responses, records). A session runs in either
 * protocol era: legacy (2025, the v1 SDK over the in-memory transport, a
 * server per session) or modern (2026-07-28, the v2 SDK client against
 * `createMcpHandler` over Streamable HTTP on a loopback port, a server per
 * request).
 *
 * The servers get the meter provider but no logger provider: their audit
 * records would reach the gateway's received count, and the SDK's emitted
 * count (`mcp_conservation.audit.records`) counts only the client's, so the
 * pipeline rows (records received, not received) would no longer compare
 * like with like.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Client as ModernClient, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { PROTOCOL_ERA_VALUES, type ProtocolEra } from '@mcp-conservation/semconv';
import {
  AuditLogRecordProcessor,
  instrumentClient,
  instrumentServer,
  observerOf,
  serverObserverOf,
  type InstrumentServerOptions,
} from '@mcp-conservation/instrumentation';
import { CumulativeReader } from '@mcp-conservation/e2e/harness';
import { SlowCalls, UNKNOWN_TOOL, createLegacyServer, createModernServer } from './servers.ts';

export { SERVER_NAME, SERVER_TOOLS, NEVER_CALLED_TOOL, UNKNOWN_TOOL } from './servers.ts';
export const SERVICE = 'grafana-e2e-agent';

/** A tool definition as a `tools/list` result carries it. */
export interface ListedTool {
  readonly name: string;
  readonly [field: string]: unknown;
}

/** What one session does after connecting: `tools/list`, then these calls. */
export interface SessionScript {
  readonly search: number;
  readonly flaky: number;
  readonly slow: number;
  /** Calls of `UNKNOWN_TOOL`, which no server registers. */
  readonly unknown: number;
  /** The protocol era the session negotiates (legacy when absent). */
  readonly era?: ProtocolEra;
}

export function eraOf(s: SessionScript): ProtocolEra {
  return s.era ?? PROTOCOL_ERA_VALUES.legacy;
}

/** Tool calls a session makes. */
export function callsOf(s: SessionScript): number {
  return s.search + s.flaky + s.slow + s.unknown;
}

/** Client requests a session makes (initialize and ping excluded): tools/list and every call. */
export function requestsOf(s: SessionScript): number {
  return 1 + callsOf(s);
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
  /** One options object per era, so one observer each: a server per session (legacy) or per request (modern). */
  private readonly serverOptions: Record<ProtocolEra, InstrumentServerOptions>;
  /** The latest server instrumented in each era: its observer is that era's. */
  private readonly servers = new Map<ProtocolEra, object>();
  private readonly slow = new SlowCalls();
  private slowCalls = 0;
  /** The tool definitions each era's server listed, as the client received them. */
  private readonly listed = new Map<ProtocolEra, ReadonlyArray<ListedTool>>();

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
    this.serverOptions = {
      [PROTOCOL_ERA_VALUES.legacy]: { meterProvider: this.meterProvider },
      [PROTOCOL_ERA_VALUES.modern]: { meterProvider: this.meterProvider },
    };
  }

  private instrumented<S extends object>(era: ProtocolEra, server: S): S {
    this.servers.set(era, server);
    return instrumentServer(server, this.serverOptions[era]);
  }

  /** Connects, lists tools, makes the scripted calls, closes: in the script's era. */
  async session(script: SessionScript, tag: string): Promise<void> {
    if (eraOf(script) === PROTOCOL_ERA_VALUES.modern) await this.modernSession(script, tag);
    else await this.legacySession(script, tag);
  }

  /**
   * The modern server: one loopback port for the whole workload, so that the
   * series carrying `server.port` are the same in the warm-up and the load.
   */
  private modernServer?: Promise<{ http: http.Server; url: URL }>;

  private startModernServer(): Promise<{ http: http.Server; url: URL }> {
    this.modernServer ??= (async () => {
      const handler = createMcpHandler(() =>
        this.instrumented(PROTOCOL_ERA_VALUES.modern, createModernServer(this.slow))
      );
      const httpServer = http.createServer(toNodeHandler(handler));
      await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
      return { http: httpServer, url: new URL(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`) };
    })();
    return this.modernServer;
  }

  /**
   * After a slow call timed out at the client: waits until the server has
   * seen its caller go (its handler ended), so that the server's figures
   * for the call are recorded before the next snapshot.
   */
  private async slowCallEnded(): Promise<void> {
    await this.slow.endedAtLeast(++this.slowCalls);
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
    this.listed.set(eraOf(script), (await client.listTools()).tools);
    for (let k = 0; k < script.search; k++) {
      await client.callTool({ name: 'search', arguments: { query: `lamp ${tag}.${k}` } });
    }
    for (let k = 0; k < script.flaky; k++) {
      await client.callTool({ name: 'flaky', arguments: {} });
    }
    for (let k = 0; k < script.unknown; k++) {
      // The v2 server answers -32602 (a JSON-RPC error: the call rejects).
      await client.callTool({ name: UNKNOWN_TOOL, arguments: {} }).then(
        () => {
          throw new Error(`${UNKNOWN_TOOL} did not fail`);
        },
        () => undefined
      );
    }
    for (let k = 0; k < script.slow; k++) {
      await client.callTool({ name: 'slow', arguments: { ms: 2000 } }, { timeout: 50 }).then(
        () => {
          throw new Error('slow call did not time out');
        },
        () => undefined
      );
      await this.slowCallEnded();
    }
    await client.close();
  }

  private async legacySession(script: SessionScript, tag: string): Promise<void> {
    const server = this.instrumented(PROTOCOL_ERA_VALUES.legacy, createLegacyServer(this.slow));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = instrumentClient(new Client({ name: 'grafana-e2e', version: '1.0.0' }), {
      meterProvider: this.meterProvider,
      loggerProvider: this.loggerProvider,
    });
    this.clients.push(client);
    await client.connect(clientSide);
    this.listed.set(eraOf(script), (await client.listTools()).tools);
    for (let k = 0; k < script.search; k++) {
      await client.callTool({ name: 'search', arguments: { query: `lamp ${tag}.${k}` } });
    }
    for (let k = 0; k < script.flaky; k++) {
      await client.callTool({ name: 'flaky', arguments: {} });
    }
    for (let k = 0; k < script.unknown; k++) {
      // The v1 McpServer answers an unknown tool with an isError result, not a JSON-RPC error
      // (its instrumented server still counts the caller's -32602: see truth.ts).
      const result = await client.callTool({ name: UNKNOWN_TOOL, arguments: {} });
      if (result.isError !== true) throw new Error(`${UNKNOWN_TOOL} did not fail`);
    }
    for (let k = 0; k < script.slow; k++) {
      await client.callTool({ name: 'slow', arguments: { ms: 2000 } }, undefined, { timeout: 50 }).then(
        () => {
          throw new Error('slow call did not time out');
        },
        () => undefined
      );
      await this.slowCallEnded();
    }
    await client.close();
    await server.close();
  }

  /** Everything recorded so far, exported: the servers' result tokens and definition prices counted first. */
  async flush(): Promise<void> {
    for (const c of this.clients) {
      await observerOf(c)?.forceFlush();
    }
    for (const s of this.servers.values()) {
      await serverObserverOf(s)?.forceFlush();
    }
    await this.loggerProvider.forceFlush();
    await this.meterProvider.forceFlush();
  }

  /** The tool definitions the latest listing of each era's server gave its client. */
  listedTools(): ReadonlyMap<ProtocolEra, ReadonlyArray<ListedTool>> {
    return this.listed;
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
    for (const s of this.servers.values()) {
      await serverObserverOf(s)?.shutdown();
    }
    await this.loggerProvider.shutdown();
    await this.meterProvider.shutdown();
  }
}
