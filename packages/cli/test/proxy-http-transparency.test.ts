/**
 * Transparency of the HTTP proxy in the modern era (2026-07-28): the same
 * scripted session of a real SDK v2 client against a real SDK v2 server
 * (stateless Streamable HTTP) runs once directly and once through
 * `mcp-conservation proxy --http`, with a recording hop in front of the
 * server and a recording fetch in the client. The session: the in-place
 * server/discover probe, a listing the server marks cacheable (ttlMs,
 * cacheScope) served a second time from the client's cache, a
 * subscriptions/listen stream that carries a tools/list_changed (which
 * evicts the cache: the third listing goes on the wire), an MRTR call of
 * three legs (requestState), the listen stream closed by the client, and a
 * raw POST whose Mcp-Name disagrees with its body (the server answers
 * -32020 itself). Compared: what the server received (bodies equal once
 * the proxy's traceparent is taken out of params._meta; headers equal but
 * Content-Length, which counts those bytes), what it sent, and what the
 * host received (status, headers but Date, bytes, SSE framing included),
 * and the results the client returned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startListingServer } from './fixtures/v2-listing-server.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { recordingFetch, type HostExchange } from './helpers/recording-fetch.ts';
import { RecordingHop, type RecordedExchange } from './helpers/recording-hop.ts';

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

interface Run {
  readonly era: string | undefined;
  readonly results: unknown[];
  /** POSTs the host made for each of the three listings (0: served from the cache). */
  readonly listingPosts: number[];
  readonly host: HostExchange[];
}

async function session(url: URL): Promise<Run> {
  const host: HostExchange[] = [];
  const fetch = recordingFetch(host);
  const c = new Client({ name: 'transparency-host', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 10_000 } }, capabilities: { elicitation: { form: {} } } });
  c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { ok: true } }));
  let changed = 0;
  c.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
  await c.connect(new StreamableHTTPClientTransport(url, { fetch }));
  const results: unknown[] = [];
  const listingPosts: number[] = [];
  const listing = async () => {
    const before = host.length;
    results.push(await c.listTools());
    listingPosts.push(host.length - before);
  };
  await listing();
  await listing();
  const sub = await c.listen({ toolsListChanged: true });
  results.push(sub.honoredFilter);
  results.push(await c.callTool({ name: 'touch', arguments: {} }));
  await until('the tools/list_changed notification on the listen stream', () => changed === 1);
  await listing();
  results.push(await c.callTool({ name: 'deploy', arguments: {} }));
  await sub.close();
  results.push(await sub.closed);
  const era = c.getProtocolEra();
  await c.close();
  // A host whose Mcp-Name header names another tool than its body.
  const mismatch = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'touch' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'deploy', arguments: {}, _meta: META } }),
  });
  results.push({ status: mismatch.status, body: await mismatch.json() });
  return { era, results, listingPosts, host };
}

/** The proxy's one change to a request body, undone: `traceparent` in `_meta`. */
function withoutTraceparent(body: string): string {
  return body.replace(/"traceparent":"[0-9a-f-]{55}",?/g, '');
}

const without = (headers: [string, string][] | undefined, ...names: string[]) => (headers ?? []).filter(([n]) => !names.includes(n.toLowerCase()));

/**
 * Request headers as the server got them, in order (Host first, as the
 * client sends it), but for: Connection (hop-by-hop, RFC 9110 §7.6.1: each
 * hop writes its own) and Content-Length (it counts the traceparent bytes;
 * checked against the body instead).
 */
const requestHeaders = (e: RecordedExchange) => ({
  endToEnd: without(e.requestHeaders, 'connection', 'keep-alive', 'content-length'),
});

const serverView = (ex: RecordedExchange[]) => ex.map((e) => ({ method: e.method, path: e.path, ...requestHeaders(e), body: e.requestBody.toString('utf8') }));
/** Response headers but Date (the time of each answer) and the hop-by-hop ones the last hop wrote. */
const responseHeaders = (h: [string, string][] | undefined) => without(h, 'date', 'connection', 'keep-alive', 'transfer-encoding');
const serverAnswers = (ex: RecordedExchange[]) => ex.map((e) => ({ status: e.status, headers: responseHeaders(e.responseHeaders), body: e.responseBody.toString('utf8'), complete: e.complete }));
const hostAnswers = (ex: HostExchange[]) => ex.map((e) => ({ method: e.method, path: e.path, status: e.status, headers: responseHeaders(e.responseHeaders), body: e.responseBody.toString('utf8') }));

test('HTTP, modern: the v2 client and server exchange the same bytes with and without the proxy (discover, cached listing, listen stream, MRTR, -32020)', { timeout: 120_000 }, async () => {
  const server = await startListingServer();
  const hop = new RecordingHop(server.url);
  const hopUrl = await hop.start();
  const rx = new OtlpReceiver();
  const proxy = await startHttpProxy(hopUrl.href, { env: rx.env(await rx.start()) });
  try {
    const direct = await session(hopUrl);
    await until('the direct streams to end at the server', () => hop.exchanges.every((e) => e.status !== undefined));
    const directServer = [...hop.exchanges];
    hop.reset();
    const proxied = await session(new URL(proxy.url));
    await until('the proxied streams to end at the server', () => hop.exchanges.every((e) => e.status !== undefined));
    const proxiedServer = [...hop.exchanges];

    // The session did what it is there for, either way.
    assert.equal(direct.era, 'modern');
    assert.deepEqual(direct.listingPosts, [1, 0, 1], 'the second listing is served from the cache, the list_changed evicts it');
    assert.deepEqual(proxied.listingPosts, direct.listingPosts);
    const last = direct.results.at(-1) as { status: number; body: { error: { code: number } } };
    assert.deepEqual([last.status, last.body.error.code], [400, -32020]);
    assert.deepEqual(proxied.results, direct.results);

    // What the server received: the same requests, in the same order, the proxied ones gaining only traceparent.
    const methods = directServer.map((e) => JSON.parse(e.requestBody.toString('utf8') || '{}').method ?? e.method);
    assert.deepEqual(methods, ['server/discover', 'tools/list', 'subscriptions/listen', 'tools/call', 'tools/list', 'tools/call', 'tools/call', 'tools/call', 'notifications/cancelled', 'tools/call']);
    for (const e of directServer) assert.doesNotMatch(e.requestBody.toString('utf8'), /traceparent/);
    const traced = proxiedServer.filter((e) => /"traceparent":"/.test(e.requestBody.toString('utf8'))).length;
    assert.equal(traced, proxiedServer.filter((e) => /"id":/.test(e.requestBody.toString('utf8'))).length, 'each request carries the trace context');
    const undone = serverView(proxiedServer).map((e) => ({ ...e, body: withoutTraceparent(e.body) }));
    assert.deepEqual(undone, serverView(directServer));
    for (const e of proxiedServer) assert.equal(e.requestHeaders.find(([n]) => n === 'content-length')?.[1], String(e.requestBody.length), 'Content-Length counts the bytes sent');

    // What the server sent, and what reached the host: the same statuses, headers and bytes.
    assert.deepEqual(serverAnswers(proxiedServer), serverAnswers(directServer));
    assert.deepEqual(hostAnswers(proxied.host), hostAnswers(direct.host));
    assert.ok(direct.host.some((e) => e.responseBody.toString('utf8').includes('notifications/tools/list_changed')), 'the listen stream carried the notification to the host');
  } finally {
    await proxy.stop();
    await rx.stop();
    await hop.stop();
    await server.stop();
  }
});
