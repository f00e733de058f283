// Server-side rows of the bench: a server's requests per second with and
// without instrumentServer, in memory and over stdio, in interleaved rounds
// (each round runs both sides; the ratio is paired within the round).
// Standalone: node bench/server-side.mjs [--rounds 5 --calls 1000]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { context, propagation, trace, metrics } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { instrumentServer } from '@mcp-conservation/instrumentation';
import { createBenchServer } from './server.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function connectSide(transport, instrumented, providers) {
  const client = new Client({ name: 'bench-client', version: '1' });
  if (transport === 'in-memory') {
    const server = createBenchServer();
    if (instrumented) instrumentServer(server, providers);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    await client.connect(a);
  } else {
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [fileURLToPath(new URL('./server-side-stdio.mjs', import.meta.url))],
        env: { ...process.env, BENCH_SERVER_INSTRUMENTED: instrumented ? '1' : '0' },
        stderr: 'inherit',
      }),
    );
  }
  return client;
}

async function callsPerSecond(client, calls, base) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await client.callTool({ name: 'fetch', arguments: { i: base + i, w: 'prose' } });
  return calls / ((performance.now() - t0) / 1000);
}

export async function runServerSide({ rounds = 5, calls = 1000, transports = ['in-memory', 'stdio'] } = {}) {
  const noop = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
  const providers = { tracerProvider: new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: noop })] }), meterProvider: new MeterProvider() };
  console.log(`\nserver side: requests per second of a v1 McpServer, instrumentServer against uninstrumented (${rounds} rounds, ${calls} calls per side per round)`);
  console.log('| transport | uninstrumented req/s | instrumented req/s | ratio (median, min-max) |');
  console.log('| --- | --- | --- | --- |');
  let base = 0;
  for (const transport of transports) {
    const plain = await connectSide(transport, false, providers);
    const observed = await connectSide(transport, true, providers);
    // Warm-up.
    await callsPerSecond(plain, Math.min(200, calls), (base += calls));
    await callsPerSecond(observed, Math.min(200, calls), (base += calls));
    const p = [];
    const o = [];
    const ratio = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [plain, observed] : [observed, plain];
      const got = new Map();
      for (const c of order) got.set(c, await callsPerSecond(c, calls, (base += calls)));
      p.push(got.get(plain));
      o.push(got.get(observed));
      ratio.push(got.get(observed) / got.get(plain));
    }
    await plain.close();
    await observed.close();
    const f = (x) => x.toFixed(0);
    console.log(`| ${transport} | ${f(median(p))} | ${f(median(o))} | ${median(ratio).toFixed(3)} (${Math.min(...ratio).toFixed(3)}-${Math.max(...ratio).toFixed(3)}) |`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new TracerProvider());
  metrics.setGlobalMeterProvider(new MeterProvider());
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '1000' } } });
  await runServerSide({ rounds: Number(values.rounds), calls: Number(values.calls) });
}
