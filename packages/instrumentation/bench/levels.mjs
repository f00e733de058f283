// Quick in-loop wall/cpu per level, alternating in one process (dev aid).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MeterProvider, MetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { context, metrics as metricsApi, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
if (!process.env.NOCTX) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
if (!process.env.NOPROP) propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
import { instrumentClient, observerOf, AuditLogRecordProcessor } from '@mcp-conservation/instrumentation';
import { createBenchServer } from './server.mjs';
const N = Number(process.argv[2] ?? 3000);
const levels = (process.argv[3] ?? 'none,spans,metrics,audit,tokens').split(',');
class Reader extends MetricReader { constructor() { super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE }); } async onForceFlush() {} async onShutdown() {} }
const noop = { export: (_i, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
async function make(level) {
  const server = createBenchServer();
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = new Client({ name: 'p', version: '1' });
  if (level !== 'none') instrumentClient(client, {
    tokens: level === 'tokens',
    tracerProvider: new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: noop })] }),
    meterProvider: level === 'spans' ? metricsApi.getMeterProvider() : new MeterProvider({ readers: [new Reader()] }),
    ...(['audit', 'tokens'].includes(level) ? { loggerProvider: new LoggerProvider({ processors: [new AuditLogRecordProcessor(noop)] }) } : {}),
  });
  await client.connect(a);
  return client;
}
const clients = {};
for (const l of levels) clients[l] = await make(l);
let seq = 0;
const res = Object.fromEntries(levels.map((l) => [l, []]));
for (let r = 0; r < 5; r++) for (const l of (r % 2 ? [...levels].reverse() : levels)) {
  const c = clients[l];
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < N; i++) await c.callTool({ name: 'fetch', arguments: { i: seq++ } });
  const t1 = performance.now();
  if (l !== 'none') await observerOf(c).forceFlush();
  const wall = (performance.now() - t0) * 1000 / N;
  const flush = (performance.now() - t1) * 1000 / N;
  const cpu = process.cpuUsage(c0);
  res[l].push({ wall, flush, cpu: (cpu.user + cpu.system) / N });
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = med(res.none?.map((x) => x.wall) ?? [1]);
for (const l of levels) console.log(`${l.padEnd(8)} wall ${med(res[l].map((x) => x.wall)).toFixed(1).padStart(6)} us  ratio ${(base / med(res[l].map((x) => x.wall))).toFixed(3)}  flush ${med(res[l].map((x) => x.flush)).toFixed(1).padStart(6)} us  cpu ${med(res[l].map((x) => x.cpu)).toFixed(1).padStart(6)} us`);
process.exit(0);
