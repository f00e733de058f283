/** The audit processor counts every dropped audit record; capped names and error codes; series created at zero. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeverityNumber } from '@opentelemetry/api';
import { LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AuditLogRecordProcessor, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, sumOf, instrumented } from './helpers.ts';
import { createTestServer } from './fixtures/server.ts';

class ControlledExporter implements LogRecordExporter {
  exported: ReadableLogRecord[] = [];
  fail = false;
  export(logs: ReadableLogRecord[], done: (r: { code: number }) => void): void {
    if (this.fail) return done({ code: 1 });
    this.exported.push(...logs);
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

test('AuditLogRecordProcessor counts audit records dropped by a full queue and a failed export; other logs are not counted', async () => {
  const tel = createTelemetry();
  const exporter = new ControlledExporter();
  const processor = new AuditLogRecordProcessor(exporter, { maxQueueSize: 3, maxExportBatchSize: 100, scheduledDelayMillis: 60_000, meterProvider: tel.meterProvider });
  const provider = new LoggerProvider({ processors: [processor] });
  const logger = provider.getLogger('t');
  const audit = () => logger.emit({ eventName: 'mcp_conservation.audit.operation', severityNumber: SeverityNumber.INFO, attributes: { a: 1 } });
  for (let i = 0; i < 5; i++) audit(); // 3 queued, 2 dropped: queue full
  logger.emit({ body: 'an ordinary log line' }); // dropped too, but not an audit record
  await processor.forceFlush();
  assert.equal(exporter.exported.length, 3);
  exporter.fail = true;
  audit();
  audit();
  await processor.forceFlush(); // 2 dropped: export failed
  exporter.fail = false;
  await provider.shutdown();
  audit(); // after shutdown: dropped
  const rm = await tel.collect();
  const dropped = (reason: string) => sumOf(rm, 'mcp_conservation.audit.dropped', { 'mcp_conservation.audit.drop_reason': reason });
  assert.deepEqual({ queue_full: dropped('queue_full'), export_failed: dropped('export_failed') }, { queue_full: 2, export_failed: 2 });
  assert.equal(sumOf(rm, 'mcp_conservation.audit.dropped'), 4, 'records emitted after shutdown never reach a shut-down provider');
  const reasons = rm.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === 'mcp_conservation.audit.dropped').flatMap((m) => m.dataPoints.map((dp) => dp.attributes['mcp_conservation.audit.drop_reason']));
  assert.deepEqual(reasons.sort(), ['export_failed', 'invalid', 'queue_full', 'shutdown'], 'every reason has a series, at zero until it happens');
  await tel.shutdown();
});

test('server-controlled names are capped with _OTHER; series of listed tools exist at zero before any call', async () => {
  const tel = createTelemetry();
  const server = createTestServer();
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = instrumented(tel, { maxDistinctValues: 3 });
  await client.connect(a);
  await client.listTools();
  await observerOf(client)!.forceFlush();
  const before = await tel.collect();
  const points = (rm: typeof before) => rm.scopeMetrics.flatMap((s) => s.metrics).flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]);
  const zero = (tool: string) => points(before).filter((dp) => dp.attributes['gen_ai.tool.name'] === tool && dp.attributes['mcp_conservation.outcome'] === 'success');
  // The first three names seen (tools in listing order) have their own series, at zero.
  assert.deepEqual(zero('search').map((dp) => dp.value), [0]);
  await client.callTool({ name: 'search', arguments: { query: 'q' } });
  await client.callTool({ name: 'slow', arguments: { ms: 1 } });
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  const tools = new Set(points(rm).map((dp) => dp.attributes['gen_ai.tool.name']).filter(Boolean));
  assert.ok(tools.has('_OTHER'), 'names past the cap become _OTHER');
  assert.ok(tools.size <= 4, `at most 3 names and _OTHER: ${[...tools].join(', ')}`);
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'gen_ai.tool.name': 'search', 'mcp_conservation.outcome': 'success' }), 1);
  assert.equal(sumOf(rm, 'mcp_conservation.tool.calls', { 'gen_ai.tool.name': '_OTHER', 'mcp_conservation.outcome': 'success' }), 1);
  await tel.shutdown();
});

test('server-chosen JSON-RPC error codes are capped on metrics (32 and _OTHER); spans and audit records keep each code', async () => {
  const tel = createTelemetry();
  const server = new Server({ name: 'coder', version: '1' }, { capabilities: { tools: {} } });
  // Each call fails with a code of its own: 100 distinct codes.
  server.setRequestHandler(CallToolRequestSchema, (req) => {
    throw new McpError(-40_000 - Number(req.params.arguments?.n), 'chosen by the server');
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = instrumented(tel);
  await client.connect(a);
  for (let n = 0; n < 100; n++) await assert.rejects(client.callTool({ name: 't', arguments: { n } }));
  await client.close();
  await observerOf(client)!.forceFlush();
  const rm = await tel.collect();
  const durations = rm.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === 'mcp.client.operation.duration')
    .flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: { count: number } }[])
    .filter((dp) => dp.attributes['mcp.method.name'] === 'tools/call');
  const codes = new Set(durations.map((dp) => dp.attributes['rpc.response.status_code']));
  const types = new Set(durations.map((dp) => dp.attributes['error.type']));
  assert.equal(codes.size, 33);
  assert.equal(types.size, 33);
  assert.ok(codes.has('_OTHER') && codes.has('-40000') && codes.has('-40031') && !codes.has('-40032'));
  assert.equal(durations.reduce((n, dp) => n + dp.value.count, 0), 100);
  assert.equal(durations.find((dp) => dp.attributes['rpc.response.status_code'] === '_OTHER')!.value.count, 68);
  const spanCodes = new Set(tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/call t').map((s) => s.attributes['rpc.response.status_code']));
  assert.equal(spanCodes.size, 100);
  const auditCodes = new Set(auditRecords(tel.logs).map((r) => r.attributes[F.errorType]).filter(Boolean));
  assert.equal(auditCodes.size, 100);
  await tel.shutdown();
});

test('a server-chosen protocol version is capped as an attribute value: length 32, 16 distinct and _OTHER', async () => {
  const tel = createTelemetry();
  for (let i = 0; i < 20; i++) {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    // A raw peer: it announces a protocol version of its own making, 1,000 characters long.
    serverSide.onmessage = (message) => {
      const m = message as { id?: number; method?: string };
      if (m.id === undefined) return;
      const version = `v-${i}-${'x'.repeat(1000)}`;
      void serverSide.send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: version, capabilities: {}, serverInfo: { name: 'odd', version: '1' } } } as never);
    };
    await serverSide.start();
    const client = instrumented(tel);
    // The SDK refuses the version after the instrumentation has seen the answer.
    await assert.rejects(client.connect(clientSide), /protocol version/i);
    await observerOf(client)!.forceFlush();
  }
  const rm = await tel.collect();
  const versions = new Set(
    rm.scopeMetrics
      .flatMap((s) => s.metrics)
      .flatMap((m) => m.dataPoints as { attributes: Record<string, unknown> }[])
      .map((dp) => dp.attributes['mcp.protocol.version'])
      .filter((v) => v !== undefined),
  );
  assert.ok(versions.size <= 17, `${versions.size} distinct versions`);
  assert.ok(versions.has('_OTHER'));
  for (const v of versions) assert.ok(String(v).length <= 32, String(v).slice(0, 40));
  await tel.shutdown();
});
