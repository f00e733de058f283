/**
 * A real MCP app for end-to-end runs: an instrumented SDK Client
 * (`instrumentClient`) against a real McpServer over the SDK's in-memory
 * transport, exporting OTLP to the agent. Faults are injected with known
 * rates: per session, 10 `search` calls succeed, 1 `flaky` call returns a
 * tool error, 1 `slow` call times out at the client.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Attributes } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { CumulativeReader, sumOf } from '@mcp-conservation/e2e/harness';
import { AuditLogRecordProcessor, instrumentClient, observerOf } from '@mcp-conservation/instrumentation';

export const SERVER_NAME = 'catalog';
export const PER_SESSION = { success: 10, toolError: 1, timeout: 1 } as const;

function createServer(): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: '1.0.0' });
  server.registerTool('search', { description: 'Search the catalog', inputSchema: { query: z.string() } }, async ({ query }) => ({
    content: [{ type: 'text', text: `Found 3 products for ${query}: lamp, desk, chair.` }],
  }));
  server.registerTool('flaky', { description: 'Fails' }, async () => ({ content: [{ type: 'text', text: 'backend refused' }], isError: true }));
  server.registerTool('slow', { description: 'Answers after a delay', inputSchema: { ms: z.number() } }, async ({ ms }) => {
    await new Promise((r) => setTimeout(r, ms));
    return { content: [{ type: 'text', text: 'late answer' }] };
  });
  return server;
}

export class McpApp {
  readonly service: string;
  readonly meterProvider: MeterProvider;
  readonly loggerProvider: LoggerProvider;
  readonly tracerProvider: TracerProvider;
  private readonly totals = new CumulativeReader();
  sessions = 0;
  private readonly clients: object[] = [];

  constructor(service: string, otlpUrl: string) {
    this.service = service;
    const resource = resourceFromAttributes({ 'service.name': service, 'service.instance.id': `${service}-1` });
    this.meterProvider = new MeterProvider({
      resource,
      readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${otlpUrl}/v1/metrics` }), exportIntervalMillis: 500 }), this.totals],
    });
    this.tracerProvider = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces` }), scheduledDelayMillis: 200 })] });
    this.loggerProvider = new LoggerProvider({
      resource,
      // A short export timeout: with the agent away, a batch fails (and is counted as dropped) in 2 s.
      processors: [new AuditLogRecordProcessor(new OTLPLogExporter({ url: `${otlpUrl}/v1/logs`, timeoutMillis: 2000 }), { scheduledDelayMillis: 200, meterProvider: this.meterProvider })],
    });
  }

  /** One session: connect, list tools, the calls of PER_SESSION, close. */
  async session(i: number): Promise<void> {
    const server = createServer();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    // Content capture on: tool arguments and results go on spans, and the
    // agent's redaction must remove them before they leave the host.
    const client = instrumentClient(new Client({ name: 'shop-agent', version: '1.0.0' }), {
      meterProvider: this.meterProvider,
      loggerProvider: this.loggerProvider,
      tracerProvider: this.tracerProvider,
      captureContent: true,
    });
    this.clients.push(client);
    await client.connect(clientSide);
    await client.listTools();
    for (let k = 0; k < PER_SESSION.success; k++) await client.callTool({ name: 'search', arguments: { query: `lamp ${i}.${k}` } });
    await client.callTool({ name: 'flaky', arguments: {} });
    await client.callTool({ name: 'slow', arguments: { ms: 2000 } }, undefined, { timeout: 50 }).then(
      (r) => {
        throw new Error('slow call did not time out: ' + JSON.stringify(r) + ' session ' + i);
      },
      () => undefined,
    );
    await client.close();
    await server.close();
    this.sessions++;
  }

  /**
   * Waits for the instrumentation's pending counts and records, then exports.
   * `metrics: false` while the agent is away: a metric export would reject
   * (cumulative metrics catch up at the next export anyway).
   */
  async flush(options: { metrics?: boolean } = {}): Promise<void> {
    for (const c of this.clients) await observerOf(c)?.forceFlush();
    await this.loggerProvider.forceFlush();
    if (options.metrics === false) return;
    await this.tracerProvider.forceFlush();
    await this.meterProvider.forceFlush();
  }

  /** Sum of one of the SDK's counters (or histogram counts) whose attributes include `filter`. */
  async sdkTotal(name: string, filter: Attributes = {}): Promise<number> {
    const { resourceMetrics } = await this.totals.collect();
    return sumOf(resourceMetrics, name, filter);
  }

  async shutdown(): Promise<void> {
    await this.tracerProvider.shutdown();
    await this.loggerProvider.shutdown();
    await this.meterProvider.shutdown();
  }
}
