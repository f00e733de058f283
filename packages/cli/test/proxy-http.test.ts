/**
 * The Streamable HTTP proxy between a real SDK client
 * (StreamableHTTPClientTransport) and a real SDK server
 * (StreamableHTTPServerTransport), against a direct run: both sides receive
 * the same messages (SSE and JSON responses, progress, sampling,
 * elicitation, the GET stream, cancellation, errors, batches, DELETE), the
 * Authorization header reaches the server and nothing else, and the
 * proxy's telemetry equals the in-process instrumentation's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  AUDIT_FIELDS as F,
  EVENT_AUDIT_SESSION_END,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_LOST,
  METRIC_SESSION_REQUESTS,
  METRIC_TOOL_CALLS,
} from '@mcp-conservation/semconv';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { normAudit, normSpans, series } from './helpers/compare.ts';
import { HttpUpstream, TOKEN } from './helpers/http-upstream.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { sdkObserver, type SdkObserved } from './helpers/sdk-observer.ts';



interface HttpRecord {
  received: unknown[];
  steps: Record<string, unknown>;
  serverRequests: unknown[];
}

const isAnnouncement = (m: unknown) => (m as { method?: string }).method === 'notifications/message';

/** The scripted session over Streamable HTTP, SSE responses. */
async function sseWorkload(url: string, onClient?: (c: Client) => void): Promise<HttpRecord> {
  const record: HttpRecord = { received: [], steps: {}, serverRequests: [] };
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: TOKEN } } });
  transport.onmessage = (m) => record.received.push(m);
  const client = new Client({ name: 'http-host', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
  onClient?.(client);
  client.setRequestHandler(CreateMessageRequestSchema, (req) => {
    record.serverRequests.push(req);
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: '42' } };
  });
  client.setRequestHandler(ElicitRequestSchema, (req) => {
    record.serverRequests.push(req);
    return { action: 'accept', content: { name: 'Ada' } };
  });
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      record.steps[name] = await fn();
    } catch (error) {
      const e = error as { name?: string; code?: unknown; message?: string };
      record.steps[name] = { error: e.name, code: e.code, message: e.message };
    }
  };
  await client.connect(transport);
  await step('listTools', () => client.listTools());
  await step('echo', () => client.callTool({ name: 'echo', arguments: { message: 'over http' } }));
  await step('fail', () => client.callTool({ name: 'fail' }));
  await step('unknownPrompt', () => client.getPrompt({ name: 'nope' }));
  await step('count', () => client.callTool({ name: 'count', arguments: { n: 3 } }, undefined, { onprogress: () => undefined }));
  await step('askLlm', () => client.callTool({ name: 'ask-llm' }));
  await step('askUser', () => client.callTool({ name: 'ask-user' }));
  // The SDK client opens the GET stream after initialization; wait until the server has it before announcing.
  await step('announce', () => client.callTool({ name: 'announce' }));
  await until('the announcement on the GET stream', () => record.received.some(isAnnouncement));
  const abort = new AbortController();
  await step('cancelled', () => client.callTool({ name: 'wait' }, undefined, { signal: abort.signal, onprogress: () => abort.abort('the user cancelled') }));
  await step('terminate', () => transport.terminateSession());
  await client.close();
  return record;
}

/**
 * The headers each request reached the server with, less those a proxy
 * must set (Host, hop-by-hop) and Content-Length (a request gaining
 * traceparent is longer). Sorted: the GET stream's request and the POSTs
 * interleave as the network has it.
 */
function headerSets(all: readonly IncomingHttpHeaders[]): string[] {
  const skip = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  return all.map((h) => JSON.stringify(Object.entries(h).filter(([k]) => !skip.has(k)).sort())).sort();
}

let upstream: HttpUpstream;
let rx: OtlpReceiver;
let direct: HttpRecord;
let directServer: unknown[];
let directHeaders: string[];
let proxiedHeaders: string[];
let proxied: HttpRecord;
let proxiedServer: unknown[];
let proxyStderr = '';
let proxyExit: number | null;
let proxyPort = 0;
let sdk: SdkObserved;

before(async () => {
  upstream = new HttpUpstream(false);
  const url = await upstream.start();
  rx = new OtlpReceiver();
  const endpoint = await rx.start();
  direct = await sseWorkload(url);
  directServer = [...upstream.received];
  directHeaders = headerSets(upstream.headers);
  upstream.reset();
  const proxy = await startHttpProxy(url, { env: rx.env(endpoint) });
  proxyPort = Number(new URL(proxy.url).port);
  proxied = await sseWorkload(proxy.url);
  proxiedServer = [...upstream.received];
  proxiedHeaders = headerSets(upstream.headers);
  upstream.reset();
  proxyExit = await proxy.stop();
  proxyStderr = proxy.stderr();
  await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.points.some((p) => p.metric === METRIC_SESSION_REQUESTS.name));
  const observer = sdkObserver();
  await sseWorkload(url, (client) => observer.instrument(client));
  sdk = await observer.collect();
});

after(async () => {
  await upstream?.stop();
  await rx?.stop();
});

function withoutTraceparent(messages: readonly unknown[], reference: readonly unknown[]): unknown[] {
  return messages.map((m, i) => {
    const msg = structuredClone(m) as { method?: string; id?: unknown; params?: { _meta?: Record<string, unknown> } };
    const ref = reference[i] as typeof msg | undefined;
    if (msg.method === undefined || msg.id === undefined || !msg.params?._meta) return msg;
    assert.match(String(msg.params._meta.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    delete msg.params._meta.traceparent;
    if (Object.keys(msg.params._meta).length === 0 && !ref?.params?._meta) delete msg.params._meta;
    if (Object.keys(msg.params).length === 0 && !ref?.params) delete msg.params;
    return msg;
  });
}

test('http (SSE): the host receives through the proxy what it receives directly: results, errors, progress, sampling, elicitation, the GET stream, cancellation', () => {
  // The announcement travels on the GET stream, the result on the POST's: their relative order is the network's.
  assert.deepEqual(proxied.received.filter((m) => !isAnnouncement(m)), direct.received.filter((m) => !isAnnouncement(m)));
  assert.equal(proxied.received.filter(isAnnouncement).length, 1);
  assert.deepEqual(proxied.steps, direct.steps);
  assert.deepEqual(proxied.serverRequests, direct.serverRequests);
  assert.deepEqual(
    direct.serverRequests.map((r) => (r as { method: string }).method),
    ['sampling/createMessage', 'elicitation/create'],
  );
  assert.match(JSON.stringify(direct.steps.askLlm), /the model said: 42/);
  assert.match(JSON.stringify(direct.steps.askUser), /hello Ada \(accept\)/);
  assert.equal((direct.steps.unknownPrompt as { code?: number }).code, -32601); // no prompts capability: method not found
  assert.equal((direct.steps.cancelled as { code?: number }).code, -32001);
  assert.equal(direct.received.filter((m) => (m as { method?: string }).method === 'notifications/progress').length, 4);
});

test('http (SSE): the server receives the same messages, requests only gaining traceparent, and the same headers, Authorization and session ids included', () => {
  assert.deepEqual(withoutTraceparent(proxiedServer, directServer), directServer);
  assert.deepEqual(proxiedHeaders, directHeaders);
  assert.ok(proxiedHeaders.every((h) => h.includes(TOKEN)));
  assert.ok(proxiedHeaders.filter((h) => h.includes('"mcp-session-id","session-1"')).length >= 10);
  assert.equal(directServer.length, proxiedServer.length);
  assert.ok(directServer.some((m) => (m as { method?: string }).method === 'notifications/cancelled'));
});

test('http: the Authorization header is never logged or exported', () => {
  const secret = TOKEN.split(' ')[1] as string;
  assert.ok(rx.bodies.length >= 3);
  for (const body of rx.bodies) assert.ok(!body.includes(secret), 'the token is in exported telemetry');
  assert.ok(!proxyStderr.includes(secret), 'the token is in the proxy\'s output');
  assert.equal(proxyExit, 0, proxyStderr);
});

test("http (SSE): the proxy's spans, metrics and audit records equal the SDK instrumentation's, with observer proxy and one session", () => {
  assert.equal(rx.spans.length, 10);
  assert.deepEqual(normSpans(rx.spans), normSpans(sdk.spans));
  for (const s of rx.spans) {
    assert.equal(s.attributes[ATTR_OBSERVER], 'proxy');
    assert.equal(s.attributes[ATTR_NETWORK_TRANSPORT], 'tcp');
    assert.equal(s.attributes[ATTR_SERVER_ADDRESS], '127.0.0.1');
    assert.equal(s.attributes[ATTR_SERVER_PORT], upstream.port);
    assert.notEqual(s.attributes[ATTR_SERVER_PORT], proxyPort);
  }
  // Every request after initialize carries the session the server named.
  assert.deepEqual(new Set(rx.spans.filter((s) => s.name !== 'initialize').map((s) => s.attributes[ATTR_MCP_SESSION_ID])), new Set(['session-1']));
  assert.deepEqual(series(rx.points), series(sdk.points));
  assert.deepEqual(normAudit(rx.logs), normAudit(sdk.logs));
  assert.equal(rx.logs.length, 11);
  assert.deepEqual(new Set(rx.logs.map((l) => l.attributes[F.mcpSessionId])), new Set(['session-1']));
  assert.equal(new Set(rx.logs.map((l) => l.attributes[F.session])).size, 1);
  const calls = (tool: string, outcome: string) => rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: tool, [ATTR_OUTCOME]: outcome });
  for (const tool of ['echo', 'count', 'ask-llm', 'ask-user', 'announce']) assert.equal(calls(tool, 'success'), 1, tool);
  assert.equal(calls('fail', 'tool_error'), 1);
  assert.equal(calls('wait', 'cancelled'), 1);
  assert.equal(rx.total(METRIC_RESPONSES_CANCELLED.name), 1);
  assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
});

/** Raw Streamable HTTP exchanges (fetch), for batches, JSON responses and DELETE: status, headers that matter, body. */
async function rawExchanges(url: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const headers = { Authorization: TOKEN, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = async (body: unknown, sid?: string) => {
    const r = await fetch(url, { method: 'POST', headers: { ...headers, ...(sid ? { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-03-26' } : {}) }, body: JSON.stringify(body) });
    const text = await r.text();
    out.push({ status: r.status, type: r.headers.get('content-type'), session: r.headers.get('mcp-session-id'), body: text });
    return r.headers.get('mcp-session-id') ?? undefined;
  };
  const sid = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
  await post(
    [
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'first of a batch' } } },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'fail' } },
    ],
    sid,
  );
  await post({ jsonrpc: '2.0', id: 4, method: 'no/such-method' }, sid);
  const noAuth = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid ?? '' }, body: '{}' });
  out.push({ status: noAuth.status, body: await noAuth.text() });
  const del = await fetch(url, { method: 'DELETE', headers: { Authorization: TOKEN, 'mcp-session-id': sid ?? '' } });
  out.push({ status: del.status, body: await del.text() });
  await post({ jsonrpc: '2.0', id: 5, method: 'tools/list' }, sid);
  return out;
}

test('http (JSON responses): batches, method errors, a 401, DELETE and a request after it answer the same through the proxy; one session, closed by DELETE', async () => {
  const json = new HttpUpstream(true);
  const url = await json.start();
  const jrx = new OtlpReceiver();
  const endpoint = await jrx.start();
  try {
    const directRaw = await rawExchanges(url);
    const directIn = [...json.received];
    json.reset();
    const proxy = await startHttpProxy(url, { env: jrx.env(endpoint) });
    const proxiedRaw = await rawExchanges(proxy.url);
    const proxiedIn = [...json.received];
    assert.equal(await proxy.stop(), 0);
    assert.deepEqual(proxiedRaw, directRaw);
    assert.deepEqual(withoutTraceparent(proxiedIn, directIn), directIn);
    // The exchanges are what they claim: a JSON batch answer with a tool error, a 401, a DELETE, a 404 after it.
    assert.deepEqual(
      directRaw.map((r) => (r as { status: number }).status),
      [200, 202, 200, 200, 401, 200, 404],
    );
    assert.match(String((directRaw[2] as { body: string }).body), /"isError":true/);
    assert.equal((directRaw[2] as { type: string }).type, 'application/json');
    await until('the session end record', () => jrx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END));
    await until('the metrics', () => jrx.points.some((p) => p.metric === METRIC_SESSION_REQUESTS.name));
    // initialize, the batch's two calls and the unknown method; tools/list after DELETE went to a closed session: a new one,
    // whose request the upstream refused (404), so it is lost.
    assert.deepEqual(jrx.spans.map((s) => s.name).sort(), ['initialize', 'no/such-method', 'tools/call echo', 'tools/call fail', 'tools/list']);
    const sessions = new Set(jrx.logs.map((l) => l.attributes[F.session]));
    assert.equal(sessions.size, 2);
    assert.equal(jrx.logs.filter((l) => l.eventName === EVENT_AUDIT_SESSION_END).length, 2);
    assert.equal(jrx.total(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'success' }), 1);
    assert.equal(jrx.total(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'tool_error' }), 1);
    assert.equal(jrx.total(METRIC_RESPONSES_LOST.name, { [ATTR_LOSS_CAUSE]: 'transport_closed' }), 1);
  } finally {
    await json.stop();
    await jrx.stop();
  }
});

test('http: an unreachable upstream answers 502, the proxy keeps serving, and the request is counted lost', async () => {
  // Port 1 on loopback: nothing listens there, so the refusal is certain. A port freed a moment ago may be
  // taken again by another suite's server before the proxy connects to it.
  const url = 'http://127.0.0.1:1/mcp';
  const jrx = new OtlpReceiver();
  const endpoint = await jrx.start();
  const proxy = await startHttpProxy(url, { env: jrx.env(endpoint) });
  try {
    for (let i = 0; i < 2; i++) {
      const r = await fetch(proxy.url, {
        method: 'POST',
        headers: { Authorization: TOKEN, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      });
      assert.equal(r.status, 502);
      assert.match(await r.text(), /upstream unreachable/);
    }
    assert.equal(await proxy.stop(), 0);
    await until('the metrics', () => jrx.points.some((p) => p.metric === METRIC_RESPONSES_LOST.name));
    assert.equal(jrx.total(METRIC_RESPONSES_LOST.name, { [ATTR_LOSS_CAUSE]: 'transport_closed' }), 2);
    assert.match(proxy.stderr(), /upstream POST \/mcp: .*ECONNREFUSED/);
  } finally {
    // A failed assertion must not leave the proxy running: its open pipes would keep the test file from ending.
    await proxy.stop();
    await jrx.stop();
  }
});

test('http: a request body over --max-message-bytes streams to the upstream unchanged, and its answer comes back the same', async () => {
  const json = new HttpUpstream(true);
  const url = await json.start();
  try {
    const exchange = async (base: string) => {
      const headers = { Authorization: TOKEN, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const init = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) });
      const sid = init.headers.get('mcp-session-id') ?? '';
      await init.text();
      const big = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'b'.repeat(8192) } } });
      const r = await fetch(base, { method: 'POST', headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }, body: big });
      return { status: r.status, body: await r.text(), sent: big };
    };
    const direct = await exchange(url);
    const directIn = json.received.at(-1);
    json.reset();
    const proxy = await startHttpProxy(url, { env: { OTEL_SDK_DISABLED: 'true' }, args: ['--max-message-bytes', '1024'] });
    const proxied = await exchange(proxy.url);
    assert.equal(await proxy.stop(), 0);
    assert.deepEqual(proxied, direct);
    assert.deepEqual(json.received.at(-1), directIn);
    assert.deepEqual(json.received.at(-1), JSON.parse(direct.sent));
    assert.match(direct.body, /echo: b{8192}/);
    assert.match(proxy.stderr(), /a request body over --max-message-bytes 1024 is relayed unread/);
  } finally {
    await json.stop();
  }
});

test('http: a host that closes without DELETE ends its session after --session-idle, at its last activity; a host with its GET stream open does not', async () => {
  const sse = new HttpUpstream(false);
  const url = await sse.start();
  const jrx = new OtlpReceiver();
  const endpoint = await jrx.start();
  try {
    const proxy = await startHttpProxy(url, { env: jrx.env(endpoint), args: ['--session-idle', '1'] });
    const connect = async () => {
      const client = new Client({ name: 'idle-host', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { Authorization: TOKEN } } }));
      return client;
    };
    const staying = await connect();
    // The staying host's GET stream must be open before the idle time can pass for it.
    await until('the GET stream to open', () => sse.headers.some((h) => h.accept === 'text/event-stream' && !h['content-type']));
    const leaving = await connect();
    await leaving.callTool({ name: 'echo', arguments: { message: 'one' } });
    await leaving.callTool({ name: 'echo', arguments: { message: 'two' } });
    const closedAt = Date.now();
    await leaving.close();
    await until('the idle session to end', () => jrx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END), 15_000);
    const ends = jrx.logs.filter((l) => l.eventName === EVENT_AUDIT_SESSION_END);
    assert.equal(ends.length, 1, 'only the host that left');
    assert.equal(ends[0]!.attributes[F.sessionRequests], 2);
    // Ended at its last activity, not when the idle time (1 s) was noticed.
    assert.ok(Number(ends[0]!.attributes[F.durationUs]) < 1_000_000, `duration ${ends[0]!.attributes[F.durationUs]} us`);
    assert.ok(Date.now() - closedAt >= 1000, 'noticed after the idle time');
    await staying.callTool({ name: 'echo', arguments: { message: 'still here' } });
    await staying.close();
    assert.equal(await proxy.stop(), 0);
    await until('the staying session to end at stop', () => jrx.logs.filter((l) => l.eventName === EVENT_AUDIT_SESSION_END).length === 2);
  } finally {
    await sse.stop();
    await jrx.stop();
  }
});
