/**
 * The stdio relay's session gate and era pin, on the real measuring core
 * with in-memory exporters, fed the messages a process sees (raw JSON-RPC:
 * which process a v2 client probes on is the SDK's choice, and these are
 * the shapes each choice leaves on one process's pipe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { coreTelemetry, MeasuringCore } from '@mcp-conservation/instrumentation/core';
import { StdioSession } from '../src/proxy/stdio-session.ts';

propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const MODERN_META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' };

function harness() {
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  const meterProvider = new MeterProvider();
  const core = new MeasuringCore(coreTelemetry({ tracerProvider: () => tracerProvider, meterProvider: () => meterProvider, loggerProvider: () => loggerProvider }), { tokens: false }, 'proxy');
  const notes: string[] = [];
  const session = new StdioSession(core, (m) => notes.push(m));
  return {
    session,
    notes,
    async done() {
      session.close();
      await core.forceFlush();
      return { spans: spans.getFinishedSpans().map((s) => s.name), events: logs.getFinishedLogRecords().map((r) => r.eventName) };
    },
  };
}

const discover = { jsonrpc: '2.0', id: 'p1', method: 'server/discover', params: { _meta: MODERN_META } };
const discovered = { jsonrpc: '2.0', id: 'p1', result: { supportedVersions: ['2026-07-28'], capabilities: {}, _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's', version: '1' } } } };
const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } };
const initialized = { jsonrpc: '2.0', id: 0, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 's', version: '1' } } };

test('a process whose only traffic is server/discover is a probe: no session, no record, no span', async () => {
  const h = harness();
  assert.equal(h.session.fromHost(discover), undefined, 'the probe is relayed as it came');
  h.session.fromServer(discovered, 100);
  assert.equal(h.session.probing, true);
  assert.equal(h.session.era, 'modern');
  const out = await h.done();
  assert.deepEqual(out, { spans: [], events: [] });
  assert.match(h.notes.join('\n'), /sibling probe/);
});

test('a process with no traffic at all is no session either', async () => {
  const h = harness();
  assert.deepEqual(await h.done(), { spans: [], events: [] });
  assert.deepEqual(h.notes, []);
});

test('an initialize result pins the process to legacy', async () => {
  const h = harness();
  h.session.fromHost(initialize);
  h.session.fromServer(initialized, 100);
  assert.equal(h.session.era, 'legacy');
  assert.equal(h.session.probing, false);
  const out = await h.done();
  assert.deepEqual(out.spans, ['initialize']);
  assert.deepEqual(out.events, ['mcp_conservation.audit.operation', 'mcp_conservation.audit.session_end']);
});

test('a failed probe followed by initialize is legacy, and the probe is a leg of the session', async () => {
  const h = harness();
  h.session.fromHost(discover);
  h.session.fromServer({ jsonrpc: '2.0', id: 'p1', error: { code: -32601, message: 'Method not found' } }, 60);
  assert.equal(h.session.era, undefined, 'a failed probe pins nothing');
  h.session.fromHost(initialize);
  h.session.fromServer(initialized, 100);
  assert.equal(h.session.era, 'legacy');
  const out = await h.done();
  assert.deepEqual(out.spans, ['server/discover', 'initialize']);
});

test("a modern request's _meta pins the process to modern, with no handshake on it", async () => {
  const h = harness();
  const spliced = h.session.fromHost({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: MODERN_META } });
  assert.equal(h.session.era, 'modern');
  assert.ok(spliced, 'the request gains trace context');
  h.session.fromServer({ jsonrpc: '2.0', id: 1, result: { resultType: 'complete', tools: [] } }, 50);
  assert.deepEqual((await h.done()).spans, ['tools/list']);
});

test('a process pinned to one era that then speaks the other says so once', async () => {
  const h = harness();
  h.session.fromHost(initialize);
  h.session.fromServer(initialized, 100);
  for (const id of [1, 2]) h.session.fromHost({ jsonrpc: '2.0', id, method: 'tools/list', params: { _meta: MODERN_META } });
  assert.equal(h.session.era, 'legacy');
  assert.equal(h.notes.filter((n) => /pinned to legacy/.test(n)).length, 1);
  await h.done();
});

test('more held probe traffic than a probe makes opens the session', async () => {
  const h = harness();
  for (let i = 0; i < 20; i++) h.session.fromHost({ ...discover, id: `p${i}` });
  assert.equal(h.session.probing, false);
  await h.done();
});

const listen = (id: number) => ({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: MODERN_META } });
const acknowledged = (id: number) => ({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/subscriptionId': id } } });

test("a server's notifications/cancelled for a listen stream ends it: its answer after that is nothing, not a late answer", async () => {
  const h = harness();
  h.session.fromHost(listen(7));
  h.session.fromServer(acknowledged(7), 120);
  h.session.fromServer({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'server shutting down' } }, 90);
  h.session.fromServer({ jsonrpc: '2.0', id: 7, result: {} }, 20);
  const out = await h.done();
  assert.deepEqual(out.spans, ['subscriptions/listen']);
  assert.deepEqual(out.events, ['mcp_conservation.audit.session_end']);
});

test("a listen stream a server never acknowledges is never a timeout nor lost: no timer decides it, the session's end does", async () => {
  const h = harness();
  h.session.fromHost(listen(1));
  // The client's own timeout for the ack phase cancels it: still no timeout outcome, no tombstone, no record.
  h.session.fromHost({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'Request timed out' } });
  h.session.fromHost(listen(2));
  const out = await h.done();
  assert.deepEqual(out.spans, ['subscriptions/listen', 'subscriptions/listen']);
  assert.deepEqual(out.events, ['mcp_conservation.audit.session_end']);
});
