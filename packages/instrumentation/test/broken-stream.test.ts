/**
 * A tools/call whose SSE response stream breaks mid-answer (the server has
 * sent a notification, then the connection drops before the result), with
 * real SDK clients and servers over real Streamable HTTP. The SDK clients
 * (v1 1.32, v2 2.4) never re-issue such a request:
 * - a stream that carried an event id (a server with an event store) is
 *   resumed by GET with Last-Event-ID, and the answer the server replays
 *   there is the answer: one call of one leg, a success, nothing lost;
 * - a stream without one is given up, and the host's call ends at its
 *   timeout. SDK v2 says the stream ended for good (`onRequestStreamEnd`):
 *   lost as `transport_closed`. SDK v1 says nothing the call could be told
 *   by: its timeout is what is recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { instrumentClient, observerOf } from '@mcp-conservation/instrumentation';
import { AUDIT_FIELDS as F, verifyChain, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { auditRecords, createTelemetry, instrumented, sumOf, type Telemetry } from './helpers.ts';
import { startV1Server, startV2Server } from './fixtures/breaking-servers.ts';

const LOST = 'mcp_conservation.responses.lost';
const CAUSE = 'mcp_conservation.loss.cause';

type Host = 'v1' | 'v2-legacy' | 'v2-modern';

/**
 * The host's timeout: short where the call is meant to end at it (yet long
 * enough for the break to come first on a loaded machine), generous where
 * the answer is meant to arrive (a resumption on a loaded CI machine took
 * longer than 300 ms, and the test saw a timeout).
 */
const TIMEOUT = { expected: 1_500, notExpected: 30_000 } as const;

/** Connects an instrumented SDK client, makes the one call, and says what the host got. */
async function callThroughBreak(tel: Telemetry, host: Host, url: URL, timeout: number): Promise<{ text?: string; error?: string }> {
  if (host === 'v1') {
    const client = instrumented(tel);
    await client.connect(new V1Transport(url));
    const got = await client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout }).then(
      (r) => ({ text: (r.content as { text: string }[])[0]!.text }),
      (e: { code?: unknown }) => ({ error: String(e.code) }),
    );
    await client.close();
    await observerOf(client)!.forceFlush();
    return got;
  }
  const raw = new V2Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: host === 'v2-modern' ? 'auto' : 'legacy' } });
  const client = instrumentClient(raw, { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider });
  await client.connect(new V2Transport(url));
  assert.equal(client.getProtocolEra(), host === 'v2-modern' ? 'modern' : 'legacy');
  const got = await client.callTool({ name: 'slow', arguments: {} }, { timeout }).then(
    (r) => ({ text: (r.content as { text: string }[])[0]!.text }),
    (e: { code?: unknown }) => ({ error: String(e.code) }),
  );
  await client.close();
  await observerOf(client)!.forceFlush();
  return got;
}

async function facts(tel: Telemetry) {
  const records = auditRecords(tel.logs).map((r) => r.attributes as AuditRecord);
  assert.equal(verifyChain(records).ok, true);
  const calls = records.filter((r) => r[F.method] === 'tools/call');
  const spans = tel.spans.getFinishedSpans().filter((s) => s.name === 'tools/call slow');
  const rm = await tel.collect();
  return {
    records: calls.map((r) => [r[F.outcome], r[F.legs], r[F.cause] ?? null]),
    spans: spans.map((s) => [s.attributes['mcp_conservation.leg.index'], s.attributes['mcp_conservation.leg.reason'], s.attributes['error.type'] ?? null]),
    lost: Object.fromEntries(['timeout', 'late', 'transport_closed'].map((c) => [c, sumOf(rm, LOST, { [CAUSE]: c })])),
    toolCalls: sumOf(rm, 'mcp_conservation.tool.calls'),
  };
}

for (const host of ['v1', 'v2-legacy'] as const) {
  test(`${host} client, a resumable stream broken mid-answer: resumed by GET with Last-Event-ID, one call of one leg, a success`, async () => {
    const tel = createTelemetry();
    const server = await startV1Server(true);
    const got = await callThroughBreak(tel, host, server.url, TIMEOUT.notExpected);
    server.close();
    assert.deepEqual(got, { text: 'done' }, 'the host got the answer the server replayed');
    // No second tools/call: the client resumed the stream, it did not re-issue the request.
    assert.deepEqual(
      server.wire.requests.filter((r) => r.includes('tools/call') || r.includes('last-event-id')),
      ['POST tools/call', 'GET last-event-id'],
    );
    assert.deepEqual(await facts(tel), {
      records: [['success', 1, null]],
      spans: [[1, 'initial', null]],
      lost: { timeout: 0, late: 0, transport_closed: 0 },
      toolCalls: 1,
    });
    await tel.shutdown();
  });
}

test('v2 client, legacy era, a stream without event ids broken mid-answer: not re-issued, lost once as transport_closed at the timeout', async () => {
  const tel = createTelemetry();
  const server = await startV1Server(false);
  const got = await callThroughBreak(tel, 'v2-legacy', server.url, TIMEOUT.expected);
  server.close();
  assert.deepEqual(got, { error: 'REQUEST_TIMEOUT' }, 'the host waited for its timeout');
  assert.deepEqual(server.wire.requests.filter((r) => r.includes('tools/call') || r.includes('last-event-id')), ['POST tools/call']);
  assert.deepEqual(await facts(tel), {
    records: [['transport_error', 1, 'transport_closed']],
    spans: [[1, 'initial', 'transport_error']],
    lost: { timeout: 0, late: 0, transport_closed: 1 },
    toolCalls: 1,
  });
  await tel.shutdown();
});

test('v2 client, modern era (no resumption in 2026-07-28), a stream broken mid-answer: not re-issued, lost once as transport_closed', async () => {
  const tel = createTelemetry();
  const server = await startV2Server();
  const got = await callThroughBreak(tel, 'v2-modern', server.url, TIMEOUT.expected);
  server.close();
  assert.deepEqual(got, { error: 'REQUEST_TIMEOUT' });
  assert.deepEqual(server.wire.requests.filter((r) => r.includes('tools/call')), ['POST tools/call']);
  assert.deepEqual(await facts(tel), {
    records: [['transport_error', 1, 'transport_closed']],
    spans: [[1, 'initial', 'transport_error']],
    lost: { timeout: 0, late: 0, transport_closed: 1 },
    toolCalls: 1,
  });
  await tel.shutdown();
});

test('v1 client, a stream without event ids broken mid-answer: v1 tells nothing per request, so its timeout is what is recorded', async () => {
  const tel = createTelemetry();
  const server = await startV1Server(false);
  const got = await callThroughBreak(tel, 'v1', server.url, TIMEOUT.expected);
  server.close();
  assert.deepEqual(got, { error: '-32001' });
  assert.deepEqual(server.wire.requests.filter((r) => r.includes('tools/call') || r.includes('last-event-id')), ['POST tools/call']);
  assert.deepEqual(await facts(tel), {
    records: [['timeout', 1, 'timeout']],
    spans: [[1, 'initial', 'timeout']],
    lost: { timeout: 1, late: 0, transport_closed: 0 },
    toolCalls: 1,
  });
  await tel.shutdown();
});
