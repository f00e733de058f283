/**
 * The demo's OpenTelemetry SDK: metrics on an embedded Prometheus endpoint,
 * spans kept in memory, and audit records written to a file as OTLP/JSON
 * lines (the Collector file exporter's format), through the audit processor.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { AuditLogRecordProcessor } from '@mcp-conservation/instrumentation';

/** Appends each export as one OTLP/JSON line, like the Collector's file exporter. */
class JsonLinesLogExporter implements LogRecordExporter {
  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
  }
  export(logs: ReadableLogRecord[], done: (r: { code: number; error?: Error }) => void): void {
    try {
      const bytes = JsonLogsSerializer.serializeRequest(logs);
      if (bytes) appendFileSync(this.path, Buffer.from(bytes).toString('utf8') + '\n');
      done({ code: 0 });
    } catch (error) {
      done({ code: 1, error: error as Error });
    }
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

export interface DemoTelemetry {
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: TracerProvider;
  readonly loggerProvider: LoggerProvider;
  readonly prometheus: PrometheusExporter;
  readonly spans: InMemorySpanExporter;
  readonly metricsUrl: string;
  readonly audit: AuditLogRecordProcessor;
  shutdown(): Promise<void>;
}

/** A free loopback port: the Prometheus exporter treats port 0 as "use the default". */
async function freePort(host: string): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startTelemetry(opts: { port: number; host: string; auditFile: string; flushFirst: { forceFlush(): Promise<void> }[] }): Promise<DemoTelemetry> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const resource = resourceFromAttributes({ 'service.name': 'mcp-conservation-demo' });
  const port = opts.port === 0 ? await freePort(opts.host) : opts.port;
  const prometheus = await new Promise<PrometheusExporter>((resolve, reject) => {
    const exporter: PrometheusExporter = new PrometheusExporter({ port, host: opts.host }, (error) => (error ? reject(error) : resolve(exporter)));
  });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const audit = new AuditLogRecordProcessor(new JsonLinesLogExporter(opts.auditFile), { flushFirst: opts.flushFirst, meterProvider, scheduledDelayMillis: 200 });
  const loggerProvider = new LoggerProvider({ resource, processors: [audit] });
  return {
    meterProvider,
    tracerProvider,
    loggerProvider,
    prometheus,
    spans,
    audit,
    metricsUrl: `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}/metrics`,
    async shutdown() {
      await loggerProvider.shutdown();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
