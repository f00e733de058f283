/**
 * The in-process client instrumentation (`instrumentClient`) on real SDK
 * providers with in-memory exporters, read back in the receiver's shapes,
 * so that what the SDK observer emits can be compared with what the proxy
 * emits for the same session.
 */
import { context, propagation, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import type { Attrs, LogRecord, Point, Span } from './otlp-receiver.ts';

class CumulativeReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function plain(a: Attributes): Attrs {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v as string | number | boolean]));
}

export interface SdkObserved {
  readonly spans: Span[];
  readonly points: Point[];
  readonly logs: LogRecord[];
}

export function sdkObserver() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator()] }));
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const reader = new CumulativeReader();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  let client: object | undefined;
  return {
    instrument(c: object): void {
      client = c;
      instrumentClient(c, { tracerProvider, meterProvider, loggerProvider });
    },
    async collect(): Promise<SdkObserved> {
      if (client) await observerOf(client)?.forceFlush();
      const { resourceMetrics } = await reader.collect();
      const points: Point[] = [];
      for (const sm of resourceMetrics.scopeMetrics) {
        for (const m of sm.metrics) {
          for (const dp of m.dataPoints) {
            const v = dp.value as number | { count: number; sum?: number };
            points.push(
              typeof v === 'number'
                ? { metric: m.descriptor.name, attributes: plain(dp.attributes), value: v, time: 0 }
                : { metric: m.descriptor.name, attributes: plain(dp.attributes), value: v.sum ?? 0, count: v.count, time: 0 },
            );
          }
        }
      }
      const out: SdkObserved = {
        spans: spans.getFinishedSpans().map((s) => ({
          name: s.name,
          traceId: s.spanContext().traceId,
          spanId: s.spanContext().spanId,
          parentSpanId: s.parentSpanContext?.spanId ?? '',
          kind: s.kind + 1, // OTLP numbers kinds from 1 (INTERNAL), the API from 0
          attributes: plain(s.attributes),
          status: { ...(s.status.code ? { code: s.status.code } : {}), ...(s.status.message ? { message: s.status.message } : {}) },
          scope: s.instrumentationScope.name,
          resource: {},
        })),
        points,
        logs: logs.getFinishedLogRecords().map((r) => ({ eventName: r.eventName ?? '', attributes: plain(r.attributes as Attributes), traceId: r.spanContext?.traceId ?? '', spanId: r.spanContext?.spanId ?? '' })),
      };
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
      context.disable();
      propagation.disable();
      return out;
    },
  };
}
