// The bench's stdio server for the server-side rows: the bench server,
// instrumented with instrumentServer when BENCH_SERVER_INSTRUMENTED=1, with
// real providers (batch span processor, noop exporter; a meter provider).
import { context, propagation, trace, metrics } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { instrumentServer } from '@mcp-conservation/instrumentation';
import { createBenchServer } from './server.mjs';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const noop = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: noop })] }));
metrics.setGlobalMeterProvider(new MeterProvider());
const server = createBenchServer();
if (process.env.BENCH_SERVER_INSTRUMENTED === '1') instrumentServer(server);
await server.connect(new StdioServerTransport());
