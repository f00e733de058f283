/**
 * A `subscriptions/listen` stream held open against a server that never
 * answers it (issue 12, bad input: "an hour"), shown in seconds with
 * --stream-timeout 200 and the streams held 25 times as long: one the host
 * closes, one still open when the proxy stops. Neither is ever a timeout,
 * a cancellation or a loss; neither is a pending request; and the proxy's
 * memory after a full GC is flat while thousands of notifications cross.
 * The upstream is a scripted node:http server (an SDK server answers
 * listen; this one never does), the host raw fetch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ATTR_ERROR_TYPE,
  ATTR_MCP_METHOD_NAME,
  ATTR_OUTCOME,
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_TOOL_CALLS,
} from '@mcp-conservation/semconv';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { proxyState, type ProxyState } from './helpers/proxy-state.ts';

const STREAM_TIMEOUT_MS = 200;
const HELD_MS = 25 * STREAM_TIMEOUT_MS;
/** Notifications the server pushes on each stream per 10 ms tick. */
const BURST = 10;
const FLAT_BOUND_MIB = 8;

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28' };
const event = (m: unknown) => `event: message\ndata: ${JSON.stringify(m)}\n\n`;

/** Acknowledges every listen, then streams list_changed notifications on it and never answers; answers tools/call. */
function neverAnsweringUpstream() {
  const open = new Set<ServerResponse>();
  let pushed = 0;
  const ticker = setInterval(() => {
    for (const res of open) {
      const id = (res as ServerResponse & { listenId: unknown }).listenId;
      let chunk = '';
      for (let i = 0; i < BURST; i++) chunk += event({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': id } } });
      res.write(chunk);
      pushed += BURST;
    }
  }, 10);
  const closedByClient: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; method: string };
      if (m.method !== 'subscriptions/listen') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'ok' }] } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(event({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': m.id } } }));
      Object.assign(res, { listenId: m.id });
      open.add(res);
      res.on('close', () => {
        open.delete(res);
        closedByClient.push(m.id);
      });
    });
  });
  return {
    server,
    closedByClient,
    pushed: () => pushed,
    stop: () => (clearInterval(ticker), server.closeAllConnections(), new Promise<void>((r) => server.close(() => r()))),
  };
}

/** A listen stream from a raw host: resolves once its acknowledgment arrived; reads (and drops) all that follows until aborted. */
async function listen(url: string, id: number) {
  const abort = new AbortController();
  const r = await fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-method': 'subscriptions/listen' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { filter: { toolsListChanged: true }, _meta: META } }),
    signal: abort.signal,
  });
  assert.equal(r.status, 200);
  const reader = r.body!.getReader();
  let text = '';
  while (!text.includes('acknowledged')) text += new TextDecoder().decode((await reader.read()).value);
  let received = 0;
  const draining = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      received += value.length;
    }
  })().catch(() => undefined);
  return { bytes: () => received, close: async () => (abort.abort(), await draining) };
}

function say(t: { diagnostic(m: string): void }, what: string, s: ProxyState): void {
  t.diagnostic(`${what}: rss ${s.rssMiB} MiB, heap used ${s.heapUsedMiB} MiB, external ${s.externalMiB} MiB; requests in flight ${s.requests}, listen streams ${s.listens}, exchanges ${s.exchanges}`);
}

test(`listen streams held ${HELD_MS} ms against a server that never answers, past --stream-timeout ${STREAM_TIMEOUT_MS}: never a timeout, cancellation or loss, never pending, memory flat`, { timeout: 60_000 }, async (t) => {
  const upstream = neverAnsweringUpstream();
  await new Promise<void>((r) => upstream.server.listen(0, '127.0.0.1', r));
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(`http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}/mcp`, { env: rx.env(await rx.start()), args: ['--stream-timeout', String(STREAM_TIMEOUT_MS)], node: ['--expose-gc'] });
  const { child, url } = proxy;
  try {
    const closed = await listen(url, 1);
    const kept = await listen(url, 2);
    const opened = performance.now();
    const early = await proxyState(child, proxy.stderr);
    // A call on the side, while both streams are open: the session goes on around them.
    const call = await fetch(url, { method: 'POST', headers: { ...HEADERS, 'mcp-method': 'tools/call', 'mcp-name': 'work' }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'work', arguments: {}, _meta: META } }) });
    assert.equal(call.status, 200);
    await call.text();
    // Holding the streams is the workload: a host that listens for a long time.
    await until(`the streams to be held ${HELD_MS} ms`, () => performance.now() - opened > HELD_MS, HELD_MS * 4);
    const held = await proxyState(child, proxy.stderr);
    await closed.close();
    await until('the upstream to see the host close its stream', () => upstream.closedByClient.includes(1));
    const after = await proxyState(child, proxy.stderr);
    say(t, `proxy with two listen streams open, just acknowledged`, early);
    say(t, `proxy after ${HELD_MS} ms and ${upstream.pushed()} notifications`, held);
    say(t, 'proxy after the host closed one', after);
    assert.ok(kept.bytes() > 0 && upstream.pushed() > 1000, 'the notifications flowed');

    assert.deepEqual([early.requests, early.listens], [0, 2], 'a listen stream is no pending request');
    assert.deepEqual([held.requests, held.listens, held.exchanges], [0, 2, 2]);
    assert.deepEqual([after.requests, after.listens, after.exchanges], [0, 1, 1]);
    const grown = held.heapUsedMiB + held.externalMiB - (early.heapUsedMiB + early.externalMiB);
    assert.ok(grown < FLAT_BOUND_MIB, `memory grew ${grown.toFixed(1)} MiB while the streams were held`);
    assert.doesNotMatch(proxy.stderr(), /timed out|timeout/i);
    // The second stream is still open when the proxy stops: the session's end ends it, lost for no one.
    assert.equal(await proxy.stop(), 0);
    await kept.close();

    await until('the call counted', () => rx.total(METRIC_TOOL_CALLS.name) === 1);
    await until('the listen spans', () => rx.spans.filter((s) => s.name === 'subscriptions/listen').length === 2);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'success' }), 1);
    assert.equal(rx.total(METRIC_RESPONSES_EXPECTED.name), 1, 'only the call expected an answer');
    assert.equal(rx.total(METRIC_RESPONSES_EXPECTED.name, { [ATTR_MCP_METHOD_NAME]: 'subscriptions/listen' }), 0);
    assert.equal(rx.total(METRIC_RESPONSES_CANCELLED.name), 0);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
    for (const p of rx.latest(METRIC_CLIENT_OPERATION_DURATION.name).values()) {
      assert.notEqual(p.attributes[ATTR_MCP_METHOD_NAME], 'subscriptions/listen', 'a listen stream has no operation duration');
      assert.notEqual(p.attributes[ATTR_ERROR_TYPE], 'timeout');
    }
    for (const s of rx.spans.filter((x) => x.name === 'subscriptions/listen')) assert.equal(s.attributes[ATTR_OUTCOME], undefined, 'no outcome on a listen span');
  } finally {
    child.kill();
    await rx.stop();
    await upstream.stop();
  }
});
