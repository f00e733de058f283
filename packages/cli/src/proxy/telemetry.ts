/**
 * The proxy's OpenTelemetry SDK, configured by the standard OTEL_* variables
 * (NodeSDK: OTLP by default, protocol from OTEL_EXPORTER_OTLP_PROTOCOL), and
 * the measuring core of @mcp-conservation/instrumentation bound to it with
 * observer `proxy`. Audit records go through the instrumentation's
 * AuditLogRecordProcessor, which waits for the core before it flushes.
 */
import { Console } from 'node:console';
import { diag, DiagLogLevel, logs, metrics, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { envDetector, hostDetector, osDetector, serviceInstanceIdDetector } from '@opentelemetry/resources';
import { ConsoleLogRecordExporter, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as OtlpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OtlpProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as OtlpGrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { AuditLogRecordProcessor, type ConservationOptions } from '@mcp-conservation/instrumentation';
import { coreTelemetry, MeasuringCore } from '@mcp-conservation/instrumentation/core';
import { OBSERVER_VALUES } from '@mcp-conservation/semconv';

export const DEFAULT_SERVICE_NAME = 'mcp-conservation-proxy';

export interface ProxyTelemetry {
  readonly core: MeasuringCore;
  /** Waits for the core's pending records, then flushes and stops every exporter; bounded by `deadlineMs`. */
  shutdown(deadlineMs?: number): Promise<void>;
}

/**
 * Diagnostics never reach stdout: in stdio mode stdout carries MCP messages
 * only, and OTel's DiagConsoleLogger (OTEL_LOG_LEVEL) and console exporters
 * write to console.log/info/debug.
 */
export function consoleToStderr(): void {
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
}

function env(name: string): string | undefined {
  const v = process.env[name]?.trim();
  return v ? v : undefined;
}

function envNumber(name: string): number | undefined {
  const v = env(name);
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** OTEL_LOGS_EXPORTER with the same choices NodeSDK makes for its own log exporter. */
function logExporters(): LogRecordExporter[] {
  const names = (env('OTEL_LOGS_EXPORTER') ?? 'otlp').split(',').map((s) => s.trim()).filter(Boolean);
  if (names.includes('none')) return [];
  const out: LogRecordExporter[] = [];
  for (const name of new Set(names)) {
    if (name === 'console') out.push(new ConsoleLogRecordExporter());
    else if (name === 'otlp') {
      const protocol = env('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL') ?? env('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
      if (protocol === 'http/json') out.push(new OtlpJsonLogExporter());
      else if (protocol === 'grpc') out.push(new OtlpGrpcLogExporter());
      else out.push(new OtlpProtoLogExporter());
    } else diag.warn(`unsupported OTEL_LOGS_EXPORTER value "${name}" (otlp, console, none)`);
  }
  return out;
}

/** The service name, unless the user gave one (OTEL_SERVICE_NAME or service.name in OTEL_RESOURCE_ATTRIBUTES). */
function defaultServiceName(): string | undefined {
  if (env('OTEL_SERVICE_NAME')) return undefined;
  if (/(^|,)\s*service\.name\s*=/.test(process.env.OTEL_RESOURCE_ATTRIBUTES ?? '')) return undefined;
  return DEFAULT_SERVICE_NAME;
}

/** A diag logger on stderr; OTEL_LOG_LEVEL (read by NodeSDK) replaces it with the console one, which consoleToStderr() redirects. */
function stderrDiag(): void {
  const write = (level: string) => (message: string, ...args: unknown[]) => {
    const text = [message, ...args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a)))].join(' ');
    // The core's own warnings carry our prefix already; the OTel SDK's do not.
    const own = text.startsWith('mcp-conservation: ');
    process.stderr.write(own ? `mcp-conservation: ${level}: ${text.slice(18)}\n` : `mcp-conservation: otel ${level}: ${text}\n`);
  };
  diag.setLogger({ error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'), verbose: write('verbose') }, DiagLogLevel.WARN);
}

export function startTelemetry(options: ConservationOptions): ProxyTelemetry {
  stderrDiag();
  // The global providers, registered by sdk.start() below before any session opens.
  const telemetry = coreTelemetry({ tracerProvider: () => trace.getTracerProvider(), meterProvider: () => metrics.getMeterProvider(), loggerProvider: () => logs.getLoggerProvider() });
  const core = new MeasuringCore(telemetry, options, OBSERVER_VALUES.proxy);
  const processors = logExporters().map(
    (exporter) =>
      new AuditLogRecordProcessor(exporter, {
        flushFirst: [core],
        ...(envNumber('OTEL_BLRP_MAX_QUEUE_SIZE') !== undefined ? { maxQueueSize: envNumber('OTEL_BLRP_MAX_QUEUE_SIZE') } : {}),
        ...(envNumber('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE') !== undefined ? { maxExportBatchSize: envNumber('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE') } : {}),
        ...(envNumber('OTEL_BLRP_SCHEDULE_DELAY') !== undefined ? { scheduledDelayMillis: envNumber('OTEL_BLRP_SCHEDULE_DELAY') } : {}),
      }),
  );
  const serviceName = defaultServiceName();
  const sdk = new NodeSDK({
    ...(serviceName ? { serviceName } : {}),
    // The process detector would export the command line, and a server's
    // arguments may hold secrets: left out unless OTEL_NODE_RESOURCE_DETECTORS asks.
    ...(env('OTEL_NODE_RESOURCE_DETECTORS') ? {} : { resourceDetectors: [serviceInstanceIdDetector, hostDetector, osDetector, envDetector] }),
    // Types of two patch releases of sdk-logs; the processor implements the same interface.
    logRecordProcessors: processors as never,
  });
  sdk.start();
  let done: Promise<void> | undefined;
  return {
    core,
    shutdown(deadlineMs = 10_000) {
      done ??= (async () => {
        const work = (async () => {
          try {
            await core.forceFlush();
          } catch (error) {
            diag.warn(`flushing the core failed: ${String(error)}`);
          }
          try {
            await sdk.shutdown();
          } catch (error) {
            diag.warn(`telemetry shutdown failed: ${String(error)}`);
          }
          await core.shutdown().catch(() => undefined);
        })();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'late'>((r) => {
          timer = setTimeout(() => r('late'), deadlineMs);
          timer.unref();
        });
        const result = await Promise.race([work.then(() => 'ok' as const), deadline]);
        if (timer) clearTimeout(timer);
        if (result === 'late') {
          const unexported = processors.reduce((n, p) => n + p.unexported, 0);
          process.stderr.write(`mcp-conservation: proxy: telemetry not flushed within ${deadlineMs} ms; exiting without it (${unexported} audit record(s) not exported)\n`);
        }
      })();
      return done;
    },
  };
}
