/**
 * The HTTP proxy pairs by exchange (one POST, its response stream) in the
 * 2026-07-28 era, where clients share one stateless proxy session and
 * number their ids from 1; ends a POST's requests by its HTTP status when
 * no JSON-RPC answer comes; and tells a stream the client closed
 * (cancelled, or a timeout past --stream-timeout) from one the upstream
 * broke (lost, transport_closed). Real v2 clients and server where the
 * workload is MCP, a scripted node:http upstream where it is a status or a
 * broken stream; telemetry read at an OTLP receiver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  ATTR_CALL_ID,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_LEG_REASON,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_OUTCOME,
  EVENT_AUDIT_OPERATION,
  METRIC_CALL_LEGS,
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_LOST,
  METRIC_TOOL_CALLS,
} from '@mcp-conservation/semconv';
import { AUDIT_FIELDS as F } from '@mcp-conservation/semconv/audit';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { OtlpReceiver, until, type Attrs } from './helpers/otlp-receiver.ts';
import { ScriptedUpstream } from './helpers/scripted-upstream.ts';
import { startV2Server } from './fixtures/v2-server.ts';


/** Observations of a histogram's series whose attributes include `where` (latest cumulative counts). */
function histogramCount(rx: OtlpReceiver, metric: string, where: Attrs): number {
  let n = 0;
  for (const p of rx.latest(metric).values()) if (Object.entries(where).every(([k, v]) => p.attributes[k] === v)) n += p.count ?? 0;
  return n;
}

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const MODERN_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28' };

/** A modern tools/call POST (raw, as a host sends it), with the headers the 2026-07-28 transport requires. */
function callTool(url: string, id: number, name: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { ...MODERN_HEADERS, 'mcp-method': 'tools/call', 'mcp-name': name, ...init.headers },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {}, _meta: META } }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

test('modern HTTP: two v2 clients sharing the proxy send id 1 at once; each answer is counted against its own request', { timeout: 60_000 }, async () => {
  // The server holds each call until both are in flight: the two requests are concurrent by construction.
  let inFlight = 0;
  let release!: () => void;
  const bothArrived = new Promise<void>((r) => (release = r));
  const http = createServer(
    toNodeHandler(
      createMcpHandler(() => {
        const s = new Server({ name: 'shared', version: '2.0.0' }, { capabilities: { tools: {} } });
        s.setRequestHandler('tools/list', () => ({ tools: ['good', 'bad'].map((name) => ({ name, inputSchema: { type: 'object' as const } })) }));
        s.setRequestHandler('tools/call', async (req) => {
          if (++inFlight === 2) release();
          await bothArrived;
          return { content: [{ type: 'text', text: `answer of ${req.params.name}` }], ...(req.params.name === 'bad' ? { isError: true } : {}) };
        });
        return s;
      }),
    ),
  );
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const upstream = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(upstream, { env: rx.env(await rx.start()) });
  try {
    const connect = async () => {
      const c = new Client({ name: 'sharing-host', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } });
      await c.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
      return c;
    };
    const [a, b] = [await connect(), await connect()];
    assert.equal(a.getProtocolEra(), 'modern');
    const [good, bad] = await Promise.all([a.callTool({ name: 'good', arguments: {} }), b.callTool({ name: 'bad', arguments: {} })]);
    assert.deepEqual([good.content, good.isError ?? false], [[{ type: 'text', text: 'answer of good' }], false]);
    assert.deepEqual([bad.content, bad.isError], [[{ type: 'text', text: 'answer of bad' }], true]);
    await a.close();
    await b.close();
    assert.equal(await proxy.stop(), 0);
    await until('the call spans', () => rx.spans.filter((s) => s.name.startsWith('tools/call')).length === 2);
    await until('the tool call metric', () => rx.total(METRIC_TOOL_CALLS.name) === 2);
    const calls = rx.spans.filter((s) => s.name.startsWith('tools/call'));
    const byTool = new Map(calls.map((s) => [s.attributes[ATTR_GEN_AI_TOOL_NAME], s]));
    assert.equal(byTool.get('good')!.attributes[ATTR_OUTCOME], 'success');
    assert.equal(byTool.get('bad')!.attributes[ATTR_OUTCOME], 'tool_error');
    // The same wire id twice, paired apart by the proxy's own key: each span names its request by the id on the wire.
    const ids = calls.map((s) => String(s.attributes[ATTR_JSONRPC_REQUEST_ID]));
    assert.equal(ids[0], ids[1]);
    assert.notEqual(calls[0]!.spanId, calls[1]!.spanId);
    await until('the two operation records', () => rx.logs.filter((l) => l.eventName === EVENT_AUDIT_OPERATION && l.attributes[F.method] === 'tools/call').length === 2);
    const records = rx.logs.filter((l) => l.eventName === EVENT_AUDIT_OPERATION && l.attributes[F.method] === 'tools/call');
    assert.deepEqual(records.map((r) => String(r.attributes[F.requestId])), ids, 'the records too');
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'good', [ATTR_OUTCOME]: 'success' }), 1);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'bad', [ATTR_OUTCOME]: 'tool_error' }), 1);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
    assert.equal(histogramCount(rx, METRIC_CLIENT_OPERATION_DURATION.name, { [ATTR_MCP_METHOD_NAME]: 'tools/call' }), 2);
  } finally {
    await rx.stop();
    await new Promise<void>((r) => http.close(() => r()));
  }
});

test('modern HTTP: a listing walk over several POSTs is one call; each request echoing a page\'s nextCursor is its next_page leg', { timeout: 60_000 }, async () => {
  const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  const http = createServer(
    toNodeHandler(
      createMcpHandler(() => {
        const s = new Server({ name: 'paged', version: '2.0.0' }, { capabilities: { tools: {} } });
        s.setRequestHandler('tools/list', (req) => {
          const from = typeof req.params?.cursor === 'string' ? Number(req.params.cursor) : 0;
          const tools = names.slice(from, from + 2).map((name) => ({ name, inputSchema: { type: 'object' as const } }));
          return { tools, ...(from + 2 < names.length ? { nextCursor: String(from + 2) } : {}) };
        });
        return s;
      }),
    ),
  );
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, { env: rx.env(await rx.start()) });
  try {
    const client = new Client({ name: 'walking-host', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5_000 } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), names);
    await client.close();
    assert.equal(await proxy.stop(), 0);
    await until('the three pages', () => rx.spans.filter((s) => s.name === 'tools/list').length === 3);
    const pages = rx.spans.filter((s) => s.name === 'tools/list');
    assert.deepEqual(pages.map((s) => s.attributes[ATTR_LEG_REASON]).sort(), ['initial', 'next_page', 'next_page']);
    assert.equal(new Set(pages.map((s) => s.attributes[ATTR_CALL_ID])).size, 1);
    await until('the legs point', () => histogramCount(rx, METRIC_CALL_LEGS.name, { [ATTR_MCP_METHOD_NAME]: 'tools/list' }) === 1);
    assert.equal(histogramCount(rx, METRIC_CLIENT_OPERATION_DURATION.name, { [ATTR_MCP_METHOD_NAME]: 'tools/list' }), 3);
  } finally {
    await rx.stop();
    await new Promise<void>((r) => http.close(() => r()));
  }
});

const STATUSES = [400, 401, 403, 404, 413, 415, 500, 502, 503];

test('HTTP-level failures: a status with no JSON-RPC answer ends the POST as transport_error with the status as error.type; a JSON-RPC answer in a non-2xx body is the answer', { timeout: 60_000 }, async () => {
  const scripted = new ScriptedUpstream();
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy((await scripted.start()).href, { env: rx.env(await rx.start()) });
  const v2 = await startV2Server();
  const rx2 = new OtlpReceiver();
  const proxy2 = await startHttpProxy(v2.url.href, { env: rx2.env(await rx2.start()) });
  try {
    let id = 0;
    for (const status of STATUSES) {
      const r = await callTool(proxy.url, ++id, `status-${status}`);
      assert.deepEqual([r.status, await r.text()], [status, `refused with ${status}\n`]);
    }
    // A JSON-RPC error with a null id names no request: the status decides.
    const nullId = await callTool(proxy.url, ++id, 'null-id-404');
    assert.equal(nullId.status, 404);
    await nullId.text();
    const ok = await callTool(proxy.url, ++id, 'plain');
    assert.equal(ok.status, 200);
    await ok.text();
    // The v2 server refuses a header that disagrees with its body with a 400 carrying the request's JSON-RPC error.
    const mismatch = await fetch(proxy2.url, {
      method: 'POST',
      headers: { ...MODERN_HEADERS, 'mcp-method': 'prompts/get', 'mcp-name': 'not-this-one' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'prompts/get', params: { name: 'release-notes', _meta: META } }),
    });
    const body = (await mismatch.json()) as { id: number; error: { code: number } };
    assert.deepEqual([mismatch.status, body.id, body.error.code], [400, 1, -32020]);
    assert.equal(await proxy.stop(), 0);
    assert.equal(await proxy2.stop(), 0);

    const expected = STATUSES.length + 2;
    await until('every call span', () => rx.spans.length === expected);
    await until('every call counted', () => rx.total(METRIC_TOOL_CALLS.name) === expected);
    for (const status of STATUSES) {
      const span = rx.spans.find((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME] === `status-${status}`);
      assert.equal(span?.attributes[ATTR_OUTCOME], 'transport_error', String(status));
      assert.equal(span?.attributes[ATTR_ERROR_TYPE], String(status));
      assert.equal(histogramCount(rx, METRIC_CLIENT_OPERATION_DURATION.name, { [ATTR_GEN_AI_TOOL_NAME]: `status-${status}`, [ATTR_ERROR_TYPE]: String(status) }), 1, String(status));
      assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: `status-${status}`, [ATTR_OUTCOME]: 'transport_error' }), 1);
    }
    const nullSpan = rx.spans.find((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME] === 'null-id-404');
    assert.deepEqual([nullSpan?.attributes[ATTR_OUTCOME], nullSpan?.attributes[ATTR_ERROR_TYPE]], ['transport_error', '404']);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'plain', [ATTR_OUTCOME]: 'success' }), 1);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name, { [ATTR_LOSS_CAUSE]: 'transport_closed' }), STATUSES.length + 1);

    await until('the prompt span', () => rx2.spans.some((s) => s.name.startsWith('prompts/get')));
    await until('its duration point', () => histogramCount(rx2, METRIC_CLIENT_OPERATION_DURATION.name, { [ATTR_MCP_METHOD_NAME]: 'prompts/get' }) === 1);
    const prompt = rx2.spans.find((s) => s.name.startsWith('prompts/get'))!;
    assert.deepEqual([prompt.attributes[ATTR_OUTCOME], prompt.attributes[ATTR_ERROR_TYPE]], ['protocol_error', '-32020']);
    assert.equal(histogramCount(rx2, METRIC_CLIENT_OPERATION_DURATION.name, { [ATTR_MCP_METHOD_NAME]: 'prompts/get', [ATTR_ERROR_TYPE]: '-32020' }), 1);
    assert.equal(rx2.total(METRIC_RESPONSES_LOST.name), 0, 'an answer, not a lost request');
  } finally {
    await scripted.stop();
    await v2.stop();
    await rx.stop();
    await rx2.stop();
  }
});

const STREAM_TIMEOUT_MS = 300;

test('streams: closed by the client before the answer is cancelled, or a timeout past --stream-timeout; broken by the upstream mid-answer is lost as transport_closed', { timeout: 60_000 }, async () => {
  const scripted = new ScriptedUpstream();
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy((await scripted.start()).href, { env: rx.env(await rx.start()), args: ['--stream-timeout', String(STREAM_TIMEOUT_MS)] });
  try {
    /** A hanging call the client gives up on once `giveUp` resolves, after its stream's first event arrived. */
    const abandon = async (id: number, giveUp: () => Promise<void>) => {
      const abort = new AbortController();
      const r = await callTool(proxy.url, id, 'hang', { signal: abort.signal });
      const reader = r.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      assert.match(first, /"working"/);
      await giveUp();
      abort.abort();
      await reader.read().catch(() => undefined);
    };
    const closedBefore = scripted.closedByClient.length;
    await abandon(1, async () => undefined);
    await until('the upstream to see the first stream closed', () => scripted.closedByClient.length === closedBefore + 1);
    // This client waits past the threshold: the wait is the workload (a client that gives up late), not synchronisation.
    const opened = performance.now();
    await abandon(2, () => until('the client to have waited past --stream-timeout', () => performance.now() - opened > STREAM_TIMEOUT_MS * 1.5, 10_000));
    await until('the upstream to see the second stream closed', () => scripted.closedByClient.length === closedBefore + 2);
    const broken = await callTool(proxy.url, 3, 'break');
    assert.equal(broken.status, 200);
    await assert.rejects(broken.text(), 'the host sees the stream break too');
    assert.equal(await proxy.stop(), 0);

    await until('three call spans', () => rx.spans.length === 3);
    await until('three calls counted', () => rx.total(METRIC_TOOL_CALLS.name) === 3);
    const byId = new Map(rx.spans.map((s) => [String(s.attributes[ATTR_JSONRPC_REQUEST_ID]), s]));
    assert.deepEqual([byId.get('1')?.attributes[ATTR_OUTCOME], byId.get('1')?.attributes[ATTR_ERROR_TYPE]], ['cancelled', 'cancelled']);
    assert.deepEqual([byId.get('2')?.attributes[ATTR_OUTCOME], byId.get('2')?.attributes[ATTR_ERROR_TYPE]], ['timeout', 'timeout']);
    assert.deepEqual([byId.get('3')?.attributes[ATTR_OUTCOME], byId.get('3')?.attributes[ATTR_ERROR_TYPE]], ['transport_error', 'transport_error']);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'hang', [ATTR_OUTCOME]: 'cancelled' }), 1);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'hang', [ATTR_OUTCOME]: 'timeout' }), 1);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'break', [ATTR_OUTCOME]: 'transport_error' }), 1);
    assert.equal(rx.total(METRIC_RESPONSES_CANCELLED.name), 1);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name, { [ATTR_LOSS_CAUSE]: 'transport_closed' }), 1);
    assert.equal(histogramCount(rx, METRIC_CLIENT_OPERATION_DURATION.name, { [ATTR_ERROR_TYPE]: 'timeout' }), 1);
    assert.equal(histogramCount(rx, METRIC_CLIENT_OPERATION_DURATION.name, { [ATTR_ERROR_TYPE]: 'cancelled' }), 1);
  } finally {
    await scripted.stop();
    await rx.stop();
  }
});
