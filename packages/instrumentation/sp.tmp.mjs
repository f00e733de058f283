import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MeterProvider, MetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { instrumentClient, observerOf, AuditLogRecordProcessor } from '@mcp-conservation/instrumentation';
class Reader extends MetricReader { constructor() { super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE }); } async onForceFlush() {} async onShutdown() {} }
const noop = { export: (_i, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
const level = process.argv[2];
const client = new Client({ name: 'b', version: '1' });
if (level !== 'none') instrumentClient(client, { tokens: level === 'tokens', tracerProvider: new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: noop })] }), meterProvider: new MeterProvider({ readers: [new Reader()] }), loggerProvider: new LoggerProvider({ processors: [new AuditLogRecordProcessor(noop)] }) });
await client.connect(new StdioClientTransport({ command: process.execPath, args: [fileURLToPath(new URL('./bench/stdio-server.mjs', import.meta.url))], stderr: 'ignore' }));
for (let i = 0; i < 200; i++) await client.callTool({ name: 'fetch', arguments: { i } });
const N = 3000; const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < N; i++) await client.callTool({ name: 'fetch', arguments: { i: i + 1000 } });
if (level !== 'none') await observerOf(client).forceFlush();
const cpu = process.cpuUsage(c0);
const { readFileSync, readdirSync } = await import('node:fs');
for (const t of readdirSync('/proc/self/task')) { const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' '); const name = readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim(); const ticks = Number(st[11]) + Number(st[12]); if (ticks > 5) console.log('  thread', name, 'cpu ms', ticks * 10, 'per call us', (ticks * 10000 / (N + 200)).toFixed(0)); }
console.log(level, 'wall', ((performance.now() - t0) * 1000 / N).toFixed(1), 'cpu user', (cpu.user / N).toFixed(1), 'sys', (cpu.system / N).toFixed(1));
await client.close(); process.exit(0);
