/** Real OpenTelemetry SDK providers with in-memory exporters, and readers for exact values. */
import { context, propagation, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { instrumentClient, type InstrumentClientOptions } from '@mcp-conservation/instrumentation';

let globalsSet = false;
/** A context manager and W3C propagators, as NodeSDK registers them. */
export function registerGlobals(): void {
  if (globalsSet) return;
  globalsSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
}

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface Telemetry {
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  readonly loggerProvider: LoggerProvider;
  readonly spans: InMemorySpanExporter;
  readonly logs: InMemoryLogRecordExporter;
  collect(): Promise<ResourceMetrics>;
  shutdown(): Promise<void>;
}

export function createTelemetry(): Telemetry {
  registerGlobals();
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const reader = new TestReader();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  return {
    tracerProvider,
    meterProvider,
    loggerProvider,
    spans,
    logs,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics;
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
    },
  };
}

function matches(attrs: Attributes, filter: Attributes): boolean {
  return Object.entries(filter).every(([k, v]) => attrs[k] === v);
}

/** Sum of a counter's data points whose attributes include `filter`. */
export function sumOf(rm: ResourceMetrics, name: string, filter: Attributes = {}): number {
  let total = 0;
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      if (m.descriptor.name !== name) continue;
      for (const dp of m.dataPoints) {
        if (!matches(dp.attributes, filter)) continue;
        const v = dp.value as number | { count: number };
        total += typeof v === 'number' ? v : v.count;
      }
    }
  }
  return total;
}

/** Histogram data points (count, sum, buckets) whose attributes include `filter`. */
export function histogramOf(rm: ResourceMetrics, name: string, filter: Attributes = {}) {
  const out: { attributes: Attributes; count: number; sum: number; boundaries: number[]; counts: number[] }[] = [];
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      if (m.descriptor.name !== name) continue;
      for (const dp of m.dataPoints) {
        if (!matches(dp.attributes, filter)) continue;
        const v = dp.value as { count: number; sum: number; buckets: { boundaries: number[]; counts: number[] } };
        out.push({ attributes: dp.attributes, count: v.count, sum: v.sum, boundaries: v.buckets.boundaries, counts: v.buckets.counts });
      }
    }
  }
  return out;
}

export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name}; have ${spans.map((x) => x.name).join(', ')}`);
  return s;
}

export function auditRecords(logs: InMemoryLogRecordExporter): ReadableLogRecord[] {
  return logs.getFinishedLogRecords().filter((r) => r.eventName?.startsWith('mcp_conservation.audit.'));
}

/** Waits for a condition, polling; fails with the message after the deadline. No fixed sleeps. */
export async function until(cond: () => boolean | Promise<boolean>, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${message}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** A Client instrumented with the test's providers, plus any options. */
export function instrumented(tel: Telemetry, options: InstrumentClientOptions = {}): Client {
  return instrumentClient(new Client({ name: 'c', version: '1' }), {
    tracerProvider: tel.tracerProvider,
    meterProvider: tel.meterProvider,
    loggerProvider: tel.loggerProvider,
    ...options,
  });
}

/** An instrumented Client connected to `server` over an in-memory pair. */
export async function connectInMemory(tel: Telemetry, server: { connect(transport: Transport): Promise<void> }, options: InstrumentClientOptions = {}): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = instrumented(tel, options);
  await client.connect(clientSide);
  return client;
}

/** n pseudo-random lowercase letters without a break (one piece to the tokenizer), the same for a seed. */
export function randomLetters(n: number, seed: number): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += String.fromCharCode(97 + (x % 26));
  }
  return out;
}
