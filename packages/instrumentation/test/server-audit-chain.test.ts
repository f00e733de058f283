/**
 * A server answering per request (v2 createMcpHandler over Streamable HTTP)
 * has no session: its observer's audit chain is closed by a `chain_end`
 * record at the observer's shutdown (exported by the AuditLogRecordProcessor), and is
 * rotated once it is older than `auditChainMaxAgeMs`. `verifyChain` (what
 * `audit verify` runs) finds every chain complete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { InMemoryLogRecordExporter, LoggerProvider } from '@opentelemetry/sdk-logs';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { AuditLogRecordProcessor, instrumentServer, serverObserverOf, type InstrumentServerOptions } from '@mcp-conservation/instrumentation';
import { ATTR_OBSERVER, ATTR_PROTOCOL_ERA, ATTR_SERVER_NAME, METRIC_AUDIT_RECORDS } from '@mcp-conservation/semconv';
import { createTelemetry, sumOf } from './helpers.ts';

/** Serves `calls` calls of tool `hello` to a real v2 client in the modern era; returns the last server instance. */
async function serve(options: InstrumentServerOptions, calls: number): Promise<McpServer> {
  let last: McpServer | undefined;
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'chained', version: '2.0.0' });
    server.registerTool('hello', { description: 'Greets' }, async () => ({ content: [{ type: 'text' as const, text: 'hello' }] }));
    last = server;
    return instrumentServer(server, options);
  });
  const httpServer = http.createServer(toNodeHandler(handler));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  try {
    const url = new URL(`http://127.0.0.1:${(httpServer.address() as { port: number }).port}/mcp`);
    const client = new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 2000 } } });
    await client.connect(new StreamableHTTPClientTransport(url));
    for (let i = 0; i < calls; i++) await client.callTool({ name: 'hello', arguments: {} });
    await client.close();
  } finally {
    httpServer.close();
  }
  return last!;
}

const shape = (records: AuditRecord[]) => records.map((r) => [r[F.kind], r[F.method] ?? null, r[F.seq], r[F.sessionRequests] ?? null, r[F.sessionRecords] ?? null]);

test('the observer\'s shutdown closes the server\'s chain: one chain, its end counting its calls and records, verified complete', async () => {
  const tel = createTelemetry();
  const exporter = new InMemoryLogRecordExporter();
  const processor = new AuditLogRecordProcessor(exporter, { scheduledDelayMillis: 60_000, meterProvider: tel.meterProvider });
  const loggerProvider = new LoggerProvider({ processors: [processor] });
  const last = await serve({ tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider }, 3);
  await serverObserverOf(last)!.shutdown();
  await processor.forceFlush();
  const records = exporter.getFinishedLogRecords().map((r) => r.attributes as AuditRecord);
  // The probe (server/discover) and three calls, then the chain's end.
  assert.deepEqual(shape(records), [
    ['operation', 'server/discover', 1, null, null],
    ['operation', 'tools/call', 2, null, null],
    ['operation', 'tools/call', 3, null, null],
    ['operation', 'tools/call', 4, null, null],
    ['chain_end', null, 5, 4, 5],
  ]);
  assert.equal(new Set(records.map((r) => r[F.session])).size, 1);
  assert.match(String(records[0]![F.session]), /^server-/);
  assert.deepEqual(verifyChain(records).problems, []);
  // Every record the server wrote is counted as emitted, as the client side counts its own: the Collector's received count is checked against it.
  const metrics = await tel.collect();
  assert.equal(sumOf(metrics, METRIC_AUDIT_RECORDS.name, { [ATTR_SERVER_NAME]: 'chained', [ATTR_OBSERVER]: 'sdk', [ATTR_PROTOCOL_ERA]: 'modern' }), 5);
  assert.equal(sumOf(metrics, METRIC_AUDIT_RECORDS.name), 5);
  await loggerProvider.shutdown();
  await tel.shutdown();
});

test('a chain older than auditChainMaxAgeMs is closed at the next record and a new one begins', async () => {
  const tel = createTelemetry();
  // Age 0: every record finds its chain old, so each chain holds one call and its end.
  const options: InstrumentServerOptions = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider, auditChainMaxAgeMs: 0 };
  const last = await serve(options, 2);
  const observer = serverObserverOf(last)!;
  const before = observer.chainId;
  await observer.shutdown();
  assert.notEqual(observer.chainId, before, 'shutdown begins a new chain for anything written later');

  const records = tel.logs.getFinishedLogRecords().map((r) => r.attributes as AuditRecord);
  assert.deepEqual(shape(records), [
    ['operation', 'server/discover', 1, null, null],
    ['chain_end', null, 2, 1, 2],
    ['operation', 'tools/call', 1, null, null],
    ['chain_end', null, 2, 1, 2],
    ['operation', 'tools/call', 1, null, null],
    ['chain_end', null, 2, 1, 2],
  ]);
  assert.equal(new Set(records.map((r) => r[F.session])).size, 3);
  assert.equal(records[5]![F.session], before);
  assert.deepEqual(verifyChain(records).problems, []);
  // Nothing written since: a chain with no record gets no end.
  await observer.shutdown();
  assert.equal(tel.logs.getFinishedLogRecords().length, 6);
  await tel.shutdown();
});
