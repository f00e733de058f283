// The bench's sides: one row each in every (transport, workload) table.
// Every side gets its own providers, built the same way (batch span
// processor, noop exporter), and the same SDK (@modelcontextprotocol/sdk
// 1.32.2, the v1 line OpenLLMetry instruments), but for the last row: ours
// on the v2 client (@modelcontextprotocol/client 2.4, its default legacy
// mode, against the same v1 server).
// To add a row, add an entry to SIDES: `connect(transport)` resolves to an
// object with callTool(params) and close(), and `flush` (optional) is the
// deferred work the side still owes after its calls, timed with them.
import { context, metrics as metricsApi, propagation, ROOT_CONTEXT, SeverityNumber, SpanKind, trace } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MeterProvider, MetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { McpInstrumentation as OpenLLMetry } from '@traceloop/instrumentation-mcp';
import { instrumentClient, observerOf, AuditLogRecordProcessor } from '@mcp-conservation/instrumentation';

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  async onForceFlush() {}
  async onShutdown() {}
}
const noopExporter = { export: (_items, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
const tracerProvider = () => new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: noopExporter })] });

/**
 * OpenLLMetry patches Client.prototype; the bench gives it a subclass of its
 * own, so that the other sides stay uninstrumented in the same process.
 * Its content capture (`traceContent`, default true: the request's
 * arguments and the result as JSON span attributes) is set by --peer-content.
 */
function openLlmetryClient(traceContent) {
  class PeerClient extends Client {}
  const peer = new OpenLLMetry({ traceContent });
  peer.setTracerProvider(tracerProvider());
  peer.manuallyInstrument({ Client: PeerClient });
  return PeerClient;
}

/** Our instrumentation; `all` adds metrics and the audit log to spans. */
export function oursOptions(all, inline) {
  const reader = new Reader();
  // Exact counts: the targets are for all signals with every token counted, so no response may be estimated under the backlog budget.
  const o = { tracerProvider: tracerProvider(), accountingBudgetBytes: Infinity, ...(inline ? { useWorker: false } : {}) };
  o.meterProvider = all ? new MeterProvider({ readers: [reader] }) : metricsApi.getMeterProvider();
  if (all) o.loggerProvider = new LoggerProvider({ processors: [new AuditLogRecordProcessor(noopExporter)] });
  return { options: o, reader };
}

/**
 * The SDK floor: an uninstrumented client around which the bench itself
 * makes the OpenTelemetry calls that any instrumentation emitting our
 * signals must make, with the same shapes as ours: one CLIENT span with 8
 * attributes and trace context injected into `_meta`, one histogram point
 * with 7 attributes and one log record with 22 attributes. Its ratio bounds
 * what any instrumentation of this depth can reach on this machine.
 */
function sdkFloor(client, transportName) {
  const tracer = tracerProvider().getTracer('floor');
  const histogram = new MeterProvider({ readers: [new Reader()] }).getMeter('floor').createHistogram('floor.duration', { unit: 's' });
  const logger = new LoggerProvider({ processors: [new AuditLogRecordProcessor(noopExporter)] }).getLogger('floor');
  const record = Object.fromEntries(Array.from({ length: 22 }, (_, i) => [`floor.audit.field_${i}`, i % 3 ? `value ${i}` : i]));
  let n = 0;
  return {
    async callTool(params) {
      const start = performance.now();
      const attributes = { 'mcp.method.name': 'tools/call', 'jsonrpc.request.id': String(n++), 'network.transport': transportName, 'mcp.protocol.version': '2025-06-18', 'mcp_conservation.server.name': 'bench-server', 'mcp_conservation.observer': 'sdk', 'gen_ai.tool.name': params.name, 'gen_ai.operation.name': 'execute_tool' };
      const span = tracer.startSpan(`tools/call ${params.name}`, { kind: SpanKind.CLIENT, attributes }, context.active());
      const carrier = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      const result = await client.callTool({ ...params, _meta: carrier });
      span.setAttributes({ 'mcp_conservation.outcome': 'success' });
      span.end();
      histogram.record((performance.now() - start) / 1000, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': params.name, 'network.transport': transportName, 'mcp.protocol.version': '2025-06-18', 'mcp_conservation.server.name': 'bench-server', 'mcp_conservation.observer': 'sdk', 'gen_ai.operation.name': 'execute_tool' });
      logger.emit({ eventName: 'floor.audit', severityNumber: SeverityNumber.INFO, body: 'floor', timestamp: Date.now(), attributes: { ...record, 'floor.audit.seq': n }, context: trace.setSpan(ROOT_CONTEXT, span) });
      return result;
    },
    close: () => client.close(),
    raw: client,
  };
}

/** The sides in table order. `base` is the one every ratio divides by. */
export function sides({ connect, inline, peerContent }) {
  return [
    { key: 'base', label: 'uninstrumented', connect: (t) => connect(t, new Client({ name: 'bench', version: '1' })) },
    { key: 'floor', label: 'SDK floor (bench-made OTel calls)', connect: async (t) => sdkFloor(await connect(t, new Client({ name: 'bench', version: '1' })), t) },
    { key: 'peer', label: `OpenLLMetry 0.27 (spans, content ${peerContent ? 'on' : 'off'})`, connect: (t) => connect(t, new (openLlmetryClient(peerContent))({ name: 'bench', version: '1' })) },
    {
      key: 'spans',
      label: 'ours, spans only',
      connect: (t) => {
        const client = new Client({ name: 'bench', version: '1' });
        instrumentClient(client, oursOptions(false, inline).options);
        return connect(t, client);
      },
      flush: (c) => observerOf(c).forceFlush(),
    },
    oursAllSignals('all', 'ours, all signals', Client, connect, inline),
    oursAllSignals('all-v2', 'ours, all signals, SDK v2 client', ClientV2, connect, inline),
  ];
}

/** Ours with every signal, on a client class of either SDK; its tokens are checked against the truth. */
function oursAllSignals(key, label, ClientClass, connect, inline) {
  return {
    key,
    label,
    connect: (t) => {
      const client = new ClientClass({ name: 'bench', version: '1' });
      const { options, reader } = oursOptions(true, inline);
      instrumentClient(client, options);
      readers.set(client, reader);
      return connect(t, client);
    },
    flush: (c) => observerOf(c).forceFlush(),
    tokens: true,
  };
}

/** The metric reader of each all-signals client, for the token check. */
export const readers = new WeakMap();

/** Sum of the tools/call context tokens an all-signals client recorded. */
export async function recordedTokens(client) {
  const { resourceMetrics } = await readers.get(client).collect();
  let n = 0;
  for (const sm of resourceMetrics.scopeMetrics)
    for (const m of sm.metrics)
      if (m.descriptor.name === 'mcp_conservation.context.tokens') for (const dp of m.dataPoints) if (dp.attributes['mcp.method.name'] === 'tools/call') n += dp.value;
  return n;
}
