/**
 * One process's OpenTelemetry for the joined-traces fixtures: the async
 * context manager and the W3C propagator made global (the client injects
 * into `_meta` through the global propagator; a tool's own spans find the
 * server span through the context manager), and a TracerProvider batching
 * spans to the agent over OTLP/HTTP. `shutdown()` exports what is left.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface Telemetry {
  readonly tracerProvider: TracerProvider;
  shutdown(): Promise<void>;
}

export function startTelemetry(service: string): Telemetry {
  const otlpUrl = process.env.JOINED_OTLP_URL;
  if (!otlpUrl) throw new Error('JOINED_OTLP_URL is not set');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracerProvider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces` }), scheduledDelayMillis: 200 })],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  let done: Promise<void> | undefined;
  return { tracerProvider, shutdown: () => (done ??= tracerProvider.shutdown()) };
}

/** The four cases: transport by protocol era. */
export type Transport = 'stdio' | 'http';
export type Era = 'legacy' | 'modern';

export function caseArgs(argv: readonly string[]): { transport: Transport; era: Era; tool: string; rest: string[] } {
  const [transport, era, tool, ...rest] = argv;
  if ((transport !== 'stdio' && transport !== 'http') || (era !== 'legacy' && era !== 'modern') || !tool) throw new Error(`usage: <stdio|http> <legacy|modern> <tool> ...: got ${argv.join(' ')}`);
  return { transport, era, tool, rest };
}
