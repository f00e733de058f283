#!/usr/bin/env node
// The overhead benchmark: callTool round trips with a 2 KB text result, in
// memory and over stdio, uninstrumented and instrumented, in one run.
// Interleaved paired rounds; the figure is the median ratio of calls per
// second (instrumented / baseline) with its spread, plus process CPU per
// call (process.cpuUsage counts worker threads too) and of it the main
// thread's (process.threadCpuUsage), split by signal.
// Usage: npm run bench [-- --rounds 7 --calls 2000 --transport stdio --signals tokens --inline]
// (--transport and --signals pick rows; --inline counts tokens on the main thread.)
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { context, metrics as metricsApi, propagation, ROOT_CONTEXT, SeverityNumber, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MeterProvider, MetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { instrumentClient, observerOf, AuditLogRecordProcessor } from '@mcp-conservation/instrumentation';
import { createBenchServer, resultText } from './server.mjs';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '9' }, calls: { type: 'string', default: '1500' }, transport: { type: 'string' }, signals: { type: 'string' }, inline: { type: 'boolean' } },
});
// What NodeSDK registers: both sides run with them, so the instrumented side
// pays for trace-context injection into params._meta as a real host does.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));

const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
const STDIO_CALLS = CALLS;

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  async onForceFlush() {}
  async onShutdown() {}
}
const noopExporter = { export: (_items, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };

/** Each level adds one signal to the one before. */
function options(level, reader) {
  const o = { tokens: level === 'tokens', ...(values.inline ? { useWorker: false } : {}) };
  o.tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: noopExporter })] });
  o.meterProvider = ['metrics', 'audit', 'tokens'].includes(level) ? new MeterProvider({ readers: [reader] }) : metricsApi.getMeterProvider();
  if (['audit', 'tokens'].includes(level)) o.loggerProvider = new LoggerProvider({ processors: [new AuditLogRecordProcessor(noopExporter)] });
  return o;
}

async function connectInMemory(opts) {
  const server = createBenchServer();
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = new Client({ name: 'bench', version: '1' });
  if (opts) instrumentClient(client, opts);
  await client.connect(a);
  return client;
}

async function connectStdio(opts) {
  const client = new Client({ name: 'bench', version: '1' });
  if (opts) instrumentClient(client, opts);
  const transport = new StdioClientTransport({ command: process.execPath, args: [fileURLToPath(new URL('./stdio-server.mjs', import.meta.url))], stderr: 'ignore' });
  await client.connect(transport);
  if (transport.pid) serverPid.set(client, transport.pid);
  return client;
}

/** The stdio server process of a client, whose CPU time the bench reads. */
const serverPid = new WeakMap();

/** CPU time of every thread of a process, in µs (Linux schedstat, ns precision); undefined elsewhere. */
function processCpuUs(pid) {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1000;
  } catch {
    return undefined;
  }
}

/**
 * The SDK floor: an uninstrumented client around which the bench itself
 * makes the OpenTelemetry calls that any instrumentation emitting these
 * signals must make, with the same shapes as ours: one CLIENT span with 8
 * attributes and trace context injected into `_meta`, one histogram point
 * with 7 attributes and one log record with 22 attributes. Its ratio bounds
 * what any instrumentation of this depth can reach on this machine.
 */
function sdkFloor(client, reader) {
  const o = options('audit', reader);
  const tracer = o.tracerProvider.getTracer('floor');
  const histogram = o.meterProvider.getMeter('floor').createHistogram('floor.duration', { unit: 's' });
  const logger = o.loggerProvider.getLogger('floor');
  const record = Object.fromEntries(Array.from({ length: 22 }, (_, i) => [`floor.audit.field_${i}`, i % 3 ? `value ${i}` : i]));
  let n = 0;
  return {
    async callTool(params) {
      const start = performance.now();
      const attributes = { 'mcp.method.name': 'tools/call', 'jsonrpc.request.id': String(n++), 'network.transport': 'inproc', 'mcp.protocol.version': '2025-06-18', 'mcp_conservation.server.name': 'bench-server', 'mcp_conservation.observer': 'sdk', 'gen_ai.tool.name': params.name, 'gen_ai.operation.name': 'execute_tool' };
      const span = tracer.startSpan(`tools/call ${params.name}`, { kind: SpanKind.CLIENT, attributes }, context.active());
      const carrier = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      const result = await client.callTool({ ...params, _meta: carrier });
      span.setAttributes({ 'mcp_conservation.outcome': 'success' });
      span.end();
      histogram.record((performance.now() - start) / 1000, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': params.name, 'network.transport': 'inproc', 'mcp.protocol.version': '2025-06-18', 'mcp_conservation.server.name': 'bench-server', 'mcp_conservation.observer': 'sdk', 'gen_ai.operation.name': 'execute_tool' });
      logger.emit({ eventName: 'floor.audit', severityNumber: SeverityNumber.INFO, body: 'floor', timestamp: Date.now(), attributes: { ...record, 'floor.audit.seq': n }, context: trace.setSpan(ROOT_CONTEXT, span) });
      return result;
    },
    close: () => client.close(),
  };
}

/** This thread's CPU time in µs (Node >= 23.9), or undefined. */
const threadCpu = () => {
  const t = process.threadCpuUsage?.();
  return t && t.user + t.system;
};

let seq = 0;
/** Call indexes each instrumented client sent, to compute the true token count afterwards. */
const sent = new WeakMap();
/**
 * Runs n sequential calls; returns wall and process CPU microseconds per
 * call. An instrumented client's deferred accounting is flushed inside the
 * measured time: work put off until after the loop is still the host's.
 */
async function measure(client, n) {
  const log = sent.get(client);
  const first = seq;
  const pid = serverPid.get(client);
  const server0 = pid && processCpuUs(pid);
  const cpu0 = process.cpuUsage();
  const main0 = threadCpu();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await client.callTool({ name: 'fetch', arguments: { i: seq++ } });
  if (log) await observerOf(client).forceFlush();
  const wall = ((performance.now() - t0) * 1000) / n;
  const cpu = process.cpuUsage(cpu0);
  const main1 = threadCpu();
  const server1 = pid && processCpuUs(pid);
  if (log) for (let i = first; i < seq; i++) log.push(i);
  return { wall, cpu: (cpu.user + cpu.system) / n, main: main0 !== undefined ? (main1 - main0) / n : undefined, server: server0 && server1 ? (server1 - server0) / n : undefined };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function scenario(name, connect, calls, level) {
  const reader = new Reader();
  const opts = options(level, reader);
  const base = await connect(undefined);
  const inst = level === 'floor' ? sdkFloor(await connect(undefined), reader) : await connect(opts);
  if (level !== 'floor') sent.set(inst, []);
  await measure(base, 100);
  await measure(inst, 100);
  const ratios = [];
  const baseCpu = [];
  const instCpu = [];
  const baseWall = [];
  const instWall = [];
  const serverCpu = [];
  const overheadCpu = [];
  const overheadMain = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate who goes first, so drift on a noisy machine hits both sides alike.
    const [first, second] = r % 2 ? [inst, base] : [base, inst];
    const a = await measure(first, calls);
    const b = await measure(second, calls);
    const [mb, mi] = r % 2 ? [b, a] : [a, b];
    ratios.push(mb.wall / mi.wall);
    baseCpu.push(mb.cpu);
    instCpu.push(mi.cpu);
    baseWall.push(mb.wall);
    instWall.push(mi.wall);
    if (mb.server !== undefined) serverCpu.push(mb.server);
    // Paired: the difference within a round, where both sides saw the same machine.
    overheadCpu.push(mi.cpu - mb.cpu);
    if (mi.main !== undefined) overheadMain.push(mi.main - mb.main);
  }
  await base.close();
  await inst.close();
  if (level !== 'floor') await observerOf(inst).forceFlush();
  let tokenCheck = '';
  let tokenizerCpu;
  if (level === 'tokens') {
    const { resourceMetrics } = await reader.collect();
    let measured = 0;
    for (const sm of resourceMetrics.scopeMetrics)
      for (const m of sm.metrics)
        if (m.descriptor.name === 'mcp_conservation.context.tokens')
          for (const dp of m.dataPoints) if (dp.attributes['mcp.method.name'] === 'tools/call') measured += dp.value;
    let truth = 0;
    const texts = sent.get(inst).map(resultText);
    // The true count, timed: the tokenizer's own CPU per result, in this run.
    const cpu0 = process.cpuUsage();
    for (const text of texts) truth += countTokens(text);
    const cpu = process.cpuUsage(cpu0);
    tokenizerCpu = (cpu.user + cpu.system) / texts.length;
    if (measured !== truth) throw new Error(`token count mismatch in ${name}: measured ${measured}, true ${truth}`);
    tokenCheck = `${measured} tokens, exact`;
  }
  return { name, level, ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), baseCpu: median(baseCpu), instCpu: median(instCpu), overheadCpu: median(overheadCpu), overheadMain: overheadMain.length ? median(overheadMain) : undefined,
    baseWall: median(baseWall), instWall: median(instWall), serverCpu: serverCpu.length ? median(serverCpu) : undefined, tokenizerCpu, tokenCheck };
}

console.log(`mcp-conservation bench: ${ROUNDS} interleaved rounds, ${CALLS} in-memory / ${STDIO_CALLS} stdio calls per side per round, 2 KB text results`);
console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
const rows = [];
// --transport and --signals pick rows (for profiling one of them).
const picked = (transport, level) => (!values.transport || values.transport === transport) && (!values.signals || values.signals === level);
for (const level of ['floor', 'spans', 'metrics', 'audit', 'tokens']) if (picked('in-memory', level)) rows.push(await scenario('in-memory', connectInMemory, CALLS, level));
for (const level of ['floor', 'spans', 'audit', 'tokens']) if (picked('stdio', level)) rows.push(await scenario('stdio', connectStdio, STDIO_CALLS, level));

const head = ['transport', 'signals', 'median ratio', 'spread', 'base us/call', 'instr us/call', 'base CPU us/call', 'instr CPU us/call', 'overhead CPU us/call', 'of it main thread', 'token check'];
const label = { floor: 'SDK floor (no instr.)', spans: 'spans', metrics: '+ metrics', audit: '+ audit', tokens: '+ tokens (all)' };
const table = rows.map((r) => [r.name, label[r.level], `${r.ratio.toFixed(3)}x`, `${r.min.toFixed(2)}-${r.max.toFixed(2)}`, r.baseWall.toFixed(1), r.instWall.toFixed(1), r.baseCpu.toFixed(1), r.instCpu.toFixed(1), r.overheadCpu.toFixed(1), r.overheadMain?.toFixed(1) ?? '-', r.tokenCheck || '-']);
const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
const fmt = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(fmt(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(fmt(t));
const row = (t, level) => rows.find((r) => r.name === t && r.level === level);
const floors = ['in-memory', 'stdio'].filter((t) => row(t, 'floor')).map((t) => `${t} ${row(t, 'floor').ratio.toFixed(3)}x`);
if (floors.length) console.log(`\nSDK floor: ${floors.join(', ')} (the OpenTelemetry calls alone, same shapes, no instrumentation).`);
const targets = [['in-memory', 0.85], ['stdio', 0.95]].filter(([t]) => row(t, 'tokens'));
const verdict = ([t, target]) => `${t} >= ${target}x (${row(t, 'tokens').ratio >= target ? 'met' : 'not met'}: ${row(t, 'tokens').ratio.toFixed(3)}x)`;
if (targets.length) console.log(`Targets: ${targets.map(verdict).join(', ')}, all signals on, exact token counts.`);

// What bounds the ratio, from figures of this run. The work any
// instrumentation of this depth must add per call is the SDK floor's
// OpenTelemetry calls (main thread) plus the tokenizer's exact count (any
// thread). A round trip cannot take less than its CPU work spread over all
// cores, and in memory, where client and server share one thread that never
// idles in a sequential loop, every main-thread call lengthens it: there the
// SDK floor itself is the bound.
const CORES = cpus().length;
const bounds = [];
for (const [t, target] of [['in-memory', 0.85], ['stdio', 0.95]]) {
  const f = row(t, 'floor');
  const all = row(t, 'tokens');
  if (!f || !all) continue;
  const otel = Math.max(0, f.overheadCpu);
  const server = f.serverCpu ?? 0;
  const demand = f.baseCpu + server + otel + all.tokenizerCpu;
  const cpuBound = Math.min(1, (CORES * f.baseWall) / demand);
  const bound = t === 'in-memory' ? Math.min(f.ratio, cpuBound) : cpuBound;
  const parts = `client ${f.baseCpu.toFixed(1)}${f.serverCpu !== undefined ? ` + server ${server.toFixed(1)}` : ''} + OpenTelemetry ${otel.toFixed(1)} + tokenizer ${all.tokenizerCpu.toFixed(1)} us`;
  bounds.push(
    `${t}: CPU work per call ${parts} = ${demand.toFixed(1)} us on ${CORES} cores, base round trip ${f.baseWall.toFixed(1)} us: at most ${cpuBound.toFixed(3)}x` +
      (t === 'in-memory' ? `; one busy thread: at most the SDK floor, ${f.ratio.toFixed(3)}x` : `; the machine is ${(((f.baseCpu + server) / (CORES * f.baseWall)) * 100).toFixed(0)}% busy at the base rate`) +
      `. Bound ${bound.toFixed(3)}x vs target ${target}x: ${bound < target ? 'the target is out of reach on this machine' : 'within reach'}.`,
  );
}
if (bounds.length) console.log(`\nWhat bounds the ratio (this run's figures):\n${bounds.map((b) => `- ${b}`).join('\n')}`);
