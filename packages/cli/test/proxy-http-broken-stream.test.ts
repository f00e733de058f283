/**
 * Through `proxy --http`: a tools/call whose SSE response stream the
 * upstream breaks mid-answer (a log event went out, then the connection
 * dropped), with real SDK clients and servers (the node:http server around
 * the SDK server drops the connection: no SDK server can). No SDK client
 * re-issues the request:
 * - a stream that gave an event id is resumed by the client with GET and
 *   Last-Event-ID through the proxy; the answer the server replays there
 *   pairs with the request: one call of one leg, a success, nothing lost;
 * - a stream without one is lost once, as transport_closed, when the
 *   host gives up on the call (legacy era: its cancellation at its
 *   timeout) or the session ends: no second outcome, no phantom leg.
 * A raw client that does re-issue the request (none of the SDKs does) has
 * its re-issue counted as the call's second leg, `reissue`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { ATTR_LEG_INDEX, ATTR_LEG_REASON, ATTR_ERROR_TYPE, ATTR_LOSS_CAUSE, EVENT_AUDIT_SESSION_END, EVENT_AUDIT_CHAIN_END, METRIC_RESPONSES_LOST, METRIC_TOOL_CALLS } from '@mcp-conservation/semconv';
import { AUDIT_FIELDS as F } from '@mcp-conservation/semconv/audit';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { startV1Server, startV2Server } from './fixtures/breaking-servers.ts';

type Host = 'v1' | 'v2-legacy' | 'v2-modern';

/**
 * The host's timeout: short where the call is meant to end at it (yet long
 * enough for the break to come first on a loaded machine), generous where
 * the answer is meant to arrive (a resumption on a loaded CI machine can
 * take longer than 300 ms, and the test would see a timeout).
 */
const TIMEOUT = { expected: 1_500, notExpected: 30_000 } as const;

/** One SDK client's call through the proxy; what the host got. */
async function call(host: Host, url: string, timeout: number): Promise<{ text?: string; error?: string }> {
  const text = (r: object) => ({ text: ((r as { content: { text: string }[] }).content)[0]!.text });
  const error = (e: { code?: unknown }) => ({ error: String(e.code) });
  if (host === 'v1') {
    const client = new V1Client({ name: 'c', version: '1' });
    await client.connect(new V1Transport(new URL(url)));
    const got = await client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout }).then(text, error);
    await client.close();
    return got;
  }
  const client = new V2Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: host === 'v2-modern' ? 'auto' : 'legacy' } });
  await client.connect(new V2Transport(new URL(url)));
  assert.equal(client.getProtocolEra(), host === 'v2-modern' ? 'modern' : 'legacy');
  const got = await client.callTool({ name: 'slow', arguments: {} }, { timeout }).then(text, error);
  await client.close();
  return got;
}

/** Runs the call through a proxy in front of `upstream`; the proxy's telemetry for it once exported. */
async function throughProxy(host: Host, upstream: { url: URL; wire: { requests: string[] }; close(): void }, timeout: number = TIMEOUT.expected) {
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(upstream.url.href, { env: rx.env(await rx.start()) });
  try {
    const got = await call(host, proxy.url, timeout);
    assert.equal(await proxy.stop(), 0);
    const end = host === 'v2-modern' ? EVENT_AUDIT_CHAIN_END : EVENT_AUDIT_SESSION_END;
    await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === end) && rx.total(METRIC_TOOL_CALLS.name) >= 1);
    const calls = rx.logs.filter((l) => l.attributes[F.method] === 'tools/call');
    const spans = rx.spans.filter((s) => s.name === 'tools/call slow');
    return {
      got,
      wire: upstream.wire.requests.filter((r) => r.includes('tools/call') || r.includes('last-event-id')),
      records: calls.map((l) => [l.attributes[F.outcome], l.attributes[F.legs], l.attributes[F.cause] ?? null]),
      spans: spans.map((s) => [s.attributes[ATTR_LEG_INDEX], s.attributes[ATTR_LEG_REASON], s.attributes[ATTR_ERROR_TYPE] ?? null]),
      lost: Object.fromEntries(['timeout', 'late', 'transport_closed'].map((c) => [c, rx.total(METRIC_RESPONSES_LOST.name, { [ATTR_LOSS_CAUSE]: c })])),
      toolCalls: rx.total(METRIC_TOOL_CALLS.name),
    };
  } finally {
    upstream.close();
    await rx.stop();
  }
}

for (const host of ['v1', 'v2-legacy'] as const) {
  test(`${host} client through the proxy, a resumable stream broken mid-answer: the resumed stream's answer pairs with the request, one leg, a success`, { timeout: 60_000 }, async () => {
    assert.deepEqual(await throughProxy(host, await startV1Server(true), TIMEOUT.notExpected), {
      got: { text: 'done' },
      wire: ['POST tools/call', 'GET last-event-id'],
      records: [['success', 1, null]],
      spans: [[1, 'initial', null]],
      lost: { timeout: 0, late: 0, transport_closed: 0 },
      toolCalls: 1,
    });
  });
}

for (const host of ['v1', 'v2-legacy'] as const) {
  test(`${host} client through the proxy, a stream without event ids broken mid-answer: lost once as transport_closed, the host's timeout adds nothing`, { timeout: 60_000 }, async () => {
    assert.deepEqual(await throughProxy(host, await startV1Server(false)), {
      got: { error: host === 'v1' ? '-32001' : 'REQUEST_TIMEOUT' },
      wire: ['POST tools/call'],
      records: [['transport_error', 1, 'transport_closed']],
      spans: [[1, 'initial', 'transport_error']],
      lost: { timeout: 0, late: 0, transport_closed: 1 },
      toolCalls: 1,
    });
  });
}

test('v2 client through the proxy, modern era, a stream broken mid-answer: lost once as transport_closed', { timeout: 60_000 }, async () => {
  const server = await startV2Server();
  const r = await throughProxy('v2-modern', { ...server, wire: { requests: server.wire.requests } });
  assert.deepEqual(r, {
    got: { error: 'REQUEST_TIMEOUT' },
    wire: ['POST tools/call'],
    records: [['transport_error', 1, 'transport_closed']],
    spans: [[1, 'initial', 'transport_error']],
    lost: { timeout: 0, late: 0, transport_closed: 1 },
    toolCalls: 1,
  });
});

for (const reissuedId of [1, 2]) test(`a raw client that re-POSTs the request after the broken stream under ${reissuedId === 1 ? 'the same' : 'a new'} id (no SDK client does): its re-issue is the second leg of one call, a success`, { timeout: 60_000 }, async () => {
  const server = await startV1Server(false);
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(server.url.href, { env: rx.env(await rx.start()) });
  try {
    const headers = (sid?: string) => ({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...(sid ? { 'mcp-session-id': sid } : {}) });
    const post = (body: unknown, sid?: string) => fetch(proxy.url, { method: 'POST', headers: headers(sid), body: JSON.stringify(body) });
    const init = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).text();
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: {} } };
    await assert.rejects((await post(call, sid)).text(), 'the first stream breaks');
    assert.match(await (await post({ ...call, id: reissuedId }, sid)).text(), /"done"/, 'the re-issue is answered');
    await (await fetch(proxy.url, { method: 'DELETE', headers: headers(sid) })).text();
    assert.equal(await proxy.stop(), 0);
    await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.total(METRIC_TOOL_CALLS.name) >= 1);
    assert.deepEqual(server.wire.requests.filter((r) => r.includes('tools/call')), ['POST tools/call', 'POST tools/call']);
    const calls = rx.logs.filter((l) => l.attributes[F.method] === 'tools/call');
    assert.deepEqual(calls.map((l) => [l.attributes[F.outcome], l.attributes[F.legs], l.attributes[F.cause] ?? null]), [['success', 2, null]]);
    const spans = rx.spans.filter((s) => s.name === 'tools/call slow');
    assert.deepEqual(spans.map((s) => [s.attributes[ATTR_LEG_INDEX], s.attributes[ATTR_LEG_REASON], s.attributes[ATTR_ERROR_TYPE] ?? null]), [
      [1, 'initial', 'transport_error'],
      [2, 'reissue', null],
    ]);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name), 1);
  } finally {
    server.close();
    await rx.stop();
  }
});
