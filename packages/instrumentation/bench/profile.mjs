// Profiling aid (not part of npm run bench): N instrumented in-memory calls
// with every signal on, for --cpu-prof. Usage: node --cpu-prof bench/profile.mjs [calls] [level]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MeterProvider, MetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { instrumentClient, observerOf, AuditLogRecordProcessor } from '@mcp-conservation/instrumentation';
import { createBenchServer } from './server.mjs';

const N = Number(process.argv[2] ?? 20000);
const level = process.argv[3] ?? 'all';
if (process.env.PROPAGATE) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
class Reader extends MetricReader {
  constructor() { super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE }); }
  async onForceFlush() {}
  async onShutdown() {}
}
const noop = { export: (_i, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
const server = createBenchServer();
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(b);
const client = new Client({ name: 'p', version: '1' });
if (level !== 'none') instrumentClient(client, {
  tokens: level === 'all',
  tracerProvider: new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: noop })] }),
  meterProvider: new MeterProvider({ readers: [new Reader()] }),
  loggerProvider: new LoggerProvider({ processors: [new AuditLogRecordProcessor(noop)] }),
});
await client.connect(a);
for (let i = 0; i < 500; i++) await client.callTool({ name: 'fetch', arguments: { i } });
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < N; i++) await client.callTool({ name: 'fetch', arguments: { i: i + 1000 } });
const wall = (performance.now() - t0) * 1000 / N;
console.log("maxArrivals", globalThis.__maxArr); if (level !== 'none') await observerOf(client).forceFlush();
const cpu = process.cpuUsage(c0);
console.log(`${level}: wall ${wall.toFixed(1)} us/call, cpu ${((cpu.user + cpu.system) / N).toFixed(1)} us/call`);
await client.close();
process.exit(0);
