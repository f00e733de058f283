/**
 * Transparency of the stdio proxy in the modern era (2026-07-28): the same
 * scripted session of a real SDK v2 client (`auto` negotiation, so a
 * sibling process answers the `server/discover` probe) against a real SDK
 * v2 server (serveStdio) runs once directly and once through
 * `mcp-conservation proxy`, with a recording stage on each end of the pipe
 * (helpers/stdio-transparency.ts). The sessions:
 * - a listing the server marks cacheable (ttlMs) served a second time from
 *   the client's cache, a subscriptions/listen stream that carries the
 *   tools/list_changed a tool call causes (which evicts the cache: the
 *   third listing goes on the wire), an MRTR call of three legs
 *   (requestState), the listen stream closed by the client;
 * - a tools/call answered -32020, which the client recovers from by
 *   evicting its cache, listing again and retrying.
 * Compared: what the server received (line for line, a request's only
 * change being the proxy's `traceparent` in `params._meta`), what it sent,
 * what the host sent and received (byte for byte), the client's results;
 * and the wire requests the proxy saw (its spans and records).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/client';
import { AUDIT_FIELDS as F, EVENT_AUDIT_SESSION_END } from '@mcp-conservation/semconv';
import { normSpans } from './helpers/compare.ts';
import { until, type LogRecord, type Span } from './helpers/otlp-receiver.ts';
import { assertTransparent, methods, recordBothWays, SESSION } from './helpers/stdio-transparency.ts';

const LISTING_SERVER = fileURLToPath(new URL('./fixtures/v2-stdio-listing-server.mjs', import.meta.url));
const RELAY_SERVER = fileURLToPath(new URL('./fixtures/v2-stdio-relay-server.mjs', import.meta.url));

/** The proxy's spans in request order (listen ids first): name and outcome (none on an interim leg). */
const spanList = (spans: Span[]) => normSpans(spans).map((s) => `${s.name} ${s.attributes['mcp_conservation.outcome'] ?? '-'}`);
/** The proxy's records of calls, in the order they ended: method, legs, outcome. */
const operations = (logs: LogRecord[]) =>
  logs
    .filter((l) => l.eventName !== EVENT_AUDIT_SESSION_END)
    .sort((a, b) => Number(a.attributes[F.seq]) - Number(b.attributes[F.seq]))
    .map((l) => [l.attributes[F.method], l.attributes[F.legs], l.attributes[F.outcome]]);

const toolNames = (result: unknown) => (result as { tools: { name: string }[] }).tools.map((t) => t.name);

async function listingSession(c: Client): Promise<unknown[]> {
  let changed = 0;
  c.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
  const results: unknown[] = [];
  results.push(await c.listTools());
  // Served from the client's cache (the listing's ttlMs): the recorded pipes show no second tools/list.
  results.push(await c.listTools());
  const sub = await c.listen({ toolsListChanged: true });
  results.push(sub.honoredFilter);
  results.push(await c.callTool({ name: 'touch', arguments: {} }));
  await until('the tools/list_changed notification on the listen stream', () => changed === 1);
  results.push(await c.listTools());
  results.push(await c.callTool({ name: 'deploy', arguments: {} }));
  await sub.close();
  results.push(await sub.closed);
  return results;
}

test('stdio, modern: the v2 client and server exchange the same bytes with and without the proxy (discover, cached listing, listen stream, MRTR)', { timeout: 120_000 }, async () => {
  const r = await recordBothWays(LISTING_SERVER, listingSession, 7);
  assertTransparent(r);

  // The session did what it is there for.
  const listed = [0, 1, 4].map((i) => toolNames(r.direct.results[i]));
  assert.deepEqual(listed, [['deploy', 'touch'], ['deploy', 'touch'], ['deploy', 'touch', 'touched']], 'the cache served the second listing; list_changed evicted it');
  // What the host sent, per process (the sibling probe, then the session): the second listing never reached the pipe.
  assert.deepEqual(r.hostSent.direct.map(methods), [
    ['server/discover'],
    ['tools/list', 'subscriptions/listen', 'tools/call', 'tools/list', 'tools/call', 'tools/call', 'tools/call', 'notifications/cancelled'],
  ]);
  assert.match(r.hostGot.direct[SESSION]!, /"method":"notifications\/tools\/list_changed"/, 'the listen stream carried the notification to the host');

  // The proxy saw one span per leg on the wire, none for the cached listing, nothing of the sibling probe.
  assert.deepEqual(spanList(r.spans), ['subscriptions/listen -', 'tools/list success', 'tools/call touch success', 'tools/list success', 'tools/call deploy -', 'tools/call deploy -', 'tools/call deploy success']);
  // One record per call: the MRTR call is one of three legs; the listen stream is no call.
  assert.deepEqual(operations(r.logs), [
    ['tools/list', 1, 'success'],
    ['tools/call', 1, 'success'],
    ['tools/list', 1, 'success'],
    ['tools/call', 3, 'success'],
  ]);
});

// The SDK's -32020 (HeaderMismatch) comes only from its Streamable HTTP entry, which checks the
// MCP-Protocol-Version / Mcp-Method / Mcp-Name / Mcp-Param-* headers against the body: a stdio message has no
// headers (the HTTP transparency test covers that case). Over stdio a -32020 is what a server relaying some
// upstream's answer sends in-band; the v2 client recovers from it all the same, on any transport.
test('stdio, modern: a -32020 the server relays, and the client re-listing and retrying, are the same bytes with and without the proxy', { timeout: 120_000 }, async () => {
  const r = await recordBothWays(RELAY_SERVER, async (c) => [await c.listTools(), await c.callTool({ name: 'relay', arguments: {} })], 4);
  assertTransparent(r);

  assert.deepEqual(r.hostSent.direct.map(methods), [['server/discover'], ['tools/list', 'tools/call', 'tools/list', 'tools/call']], 'the client evicted its cached listing, listed again and retried');
  assert.match(r.hostGot.direct[SESSION]!, /"id":1,"error":\{"code":-32020,/);
  assert.deepEqual(r.direct.results.at(-1), { _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'stdio-relay-v2', version: '2.0.0' } }, content: [{ type: 'text', text: 'relayed' }] });

  assert.deepEqual(spanList(r.spans), ['tools/list success', 'tools/call relay -', 'tools/list -', 'tools/call relay success']);
  // One call of three legs: the answered -32020, the re-listing, the retry.
  assert.deepEqual(normSpans(r.spans).map((s) => s.attributes['mcp_conservation.leg.reason']), ['initial', 'initial', 'relist', 'header_retry']);
  assert.deepEqual(operations(r.logs), [
    ['tools/list', 1, 'success'],
    ['tools/call', 3, 'success'],
  ]);
});
