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

export interface ShutdownLimits {
  /**
   * How long the exports may take once the core's records are written.
   * Accounting is local work that ends; an export to a collector that is
   * down only ends at its own timeout, and waiting for it helps no one.
   */
  readonly exportMs?: number;
  /** Ends the shutdown early when it settles (the host asked the process to exit). */
  readonly cutShort?: Promise<unknown>;
}

export interface ProxyTelemetry {
  readonly core: MeasuringCore;
  /**
   * Waits for the core's pending records, then flushes and stops every
   * exporter: all of it bounded by `deadlineMs`, the export alone by
   * `exportMs` once the accounting is done, and ended early when `cutShort` settles.
   */
  shutdown(deadlineMs?: number, limits?: ShutdownLimits): Promise<void>;
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
    shutdown(deadlineMs = 10_000, limits = {}) {
      done ??= (async () => {
        let accounted = false;
        let exportTimer: NodeJS.Timeout | undefined;
        let exportLate: (() => void) | undefined;
        const exportDeadline = new Promise<'export late'>((r) => (exportLate = () => r('export late')));
        const work = (async () => {
          try {
            await core.forceFlush();
          } catch (error) {
            diag.warn(`flushing the core failed: ${String(error)}`);
          }
          accounted = true;
          if (limits.exportMs !== undefined) {
            exportTimer = setTimeout(() => exportLate?.(), limits.exportMs);
            exportTimer.unref();
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
        const started = performance.now();
        const cut = limits.cutShort?.then(
          () => 'cut' as const,
          () => 'cut' as const,
        );
        const result = await Promise.race([work.then(() => 'ok' as const), deadline, exportDeadline, ...(cut ? [cut] : [])]);
        if (timer) clearTimeout(timer);
        if (exportTimer) clearTimeout(exportTimer);
        if (result !== 'ok') {
          const unexported = processors.reduce((n, p) => n + p.unexported, 0);
          // Records the core has not written yet are in no processor's count: say so rather than report 0.
          const unwritten = accounted ? '' : '; the last accounting was not finished, so its audit records were never written';
          const why =
            result === 'late' ? `within ${deadlineMs} ms` : result === 'export late' ? `within ${limits.exportMs} ms of export` : `before the exit the host asked for (${Math.round(performance.now() - started)} ms)`;
          process.stderr.write(`mcp-conservation: proxy: telemetry not flushed ${why}; exiting without it (${unexported} audit record(s) queued and not exported${unwritten})\n`);
        }
      })();
      return done;
    },
  };
}
