/**
 * Multi-round-trip legs over the stdio proxy, with the real v2 client and
 * server: two parallel calls of a tool that asks for input without a
 * `requestState` leave retries that cannot be linked to their first legs.
 * Each retry is a call of its own, marked unlinked and counted; the two
 * first legs end `input_unresolved` (at the session's end here). The
 * in-process instrumentation counts the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { ATTR_CALL_UNLINKED, ATTR_OUTCOME, EVENT_AUDIT_SESSION_END, METRIC_CALL_UNLINKED_RETRIES, METRIC_RESPONSES_EXPECTED, METRIC_RESPONSES_LOST, METRIC_SESSION_REQUESTS, METRIC_TOOL_CALLS } from '@mcp-conservation/semconv';
import { BIN } from './helpers/cli.ts';
import { normAudit, normSpans, series } from './helpers/compare.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { sdkObserver } from './helpers/sdk-observer.ts';

const SERVER = fileURLToPath(new URL('./fixtures/stdio-era-server.mjs', import.meta.url));

async function parallelConfirms(command: string, args: string[], env: NodeJS.ProcessEnv, instrument?: (c: object) => void): Promise<unknown[]> {
  const c = new Client({ name: 'legs-client', version: '0.1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 10_000 } }, capabilities: { elicitation: { form: {} } } });
  // Both calls are answered input_required before either is retried: each retry then has two calls it could continue.
  let asked = 0;
  let bothAsked!: () => void;
  const barrier = new Promise<void>((resolve) => (bothAsked = resolve));
  c.setRequestHandler('elicitation/create', async () => {
    if (++asked === 2) bothAsked();
    await barrier;
    return { action: 'accept', content: { ok: true } };
  });
  instrument?.(c);
  const clean = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  await c.connect(new StdioClientTransport({ command, args, env: clean, stderr: 'ignore' }));
  const results = await Promise.all([c.callTool({ name: 'confirm', arguments: {} }), c.callTool({ name: 'confirm', arguments: {} })]);
  await c.close();
  return results;
}

test('stdio, modern: retries of parallel calls with no requestState are unlinked calls of their own, counted; their first legs end input_unresolved', { timeout: 120_000 }, async () => {
  const rx = new OtlpReceiver();
  const endpoint = await rx.start();
  let sdk;
  try {
    const results = await parallelConfirms(process.execPath, [BIN, 'proxy', '--quiet', '--', process.execPath, SERVER, 'v2'], rx.env(endpoint));
    assert.deepEqual(results.map((r) => (r as { content: { text: string }[] }).content[0]!.text), ['confirmed', 'confirmed']);
    await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.points.some((p) => p.metric === METRIC_SESSION_REQUESTS.name));
    const observer = sdkObserver();
    await parallelConfirms(process.execPath, [SERVER, 'v2'], {}, (c) => observer.instrument(c));
    sdk = await observer.collect();
  } finally {
    await rx.stop();
  }
  assert.equal(rx.total(METRIC_CALL_UNLINKED_RETRIES.name), 2);
  assert.equal(rx.total(METRIC_TOOL_CALLS.name), 4);
  assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'success' }), 2);
  assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_OUTCOME]: 'input_unresolved' }), 2);
  const spans = normSpans(rx.spans);
  assert.deepEqual(
    spans.map((s) => [s.name, s.attributes[ATTR_CALL_UNLINKED] ?? false, s.attributes[ATTR_OUTCOME] ?? '-']),
    [
      ['tools/call confirm', false, '-'],
      ['tools/call confirm', false, '-'],
      ['tools/call confirm', true, 'success'],
      ['tools/call confirm', true, 'success'],
    ],
  );
  assert.deepEqual(spans, normSpans(sdk.spans));
  assert.deepEqual(series(rx.points), series(sdk.points));
  assert.deepEqual(normAudit(rx.logs), normAudit(sdk.logs));
});

async function listenSession(command: string, args: string[], env: NodeJS.ProcessEnv, instrument?: (c: object) => void): Promise<unknown> {
  const c = new Client({ name: 'listen-client', version: '0.1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 10_000 } } });
  instrument?.(c);
  const clean = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  await c.connect(new StdioClientTransport({ command, args, env: clean, stderr: 'ignore' }));
  const sub = await c.listen({ toolsListChanged: true });
  await c.callTool({ name: 'echo', arguments: {} });
  // The stream stays open across the call, and is still open when the client closes.
  const held = await c.listen({ toolsListChanged: true });
  await sub.close();
  await c.close();
  return { honored: sub.honoredFilter, held: held.honoredFilter };
}

test('stdio, modern: a listen stream is no call and no pending request: a span to its acknowledgment, no record, no loss when the client closes on it', { timeout: 120_000 }, async () => {
  const rx = new OtlpReceiver();
  const endpoint = await rx.start();
  let sdk;
  let proxied;
  let direct;
  try {
    proxied = await listenSession(process.execPath, [BIN, 'proxy', '--quiet', '--', process.execPath, SERVER, 'v2'], rx.env(endpoint));
    await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.points.some((p) => p.metric === METRIC_SESSION_REQUESTS.name) && rx.spans.length >= 3);
    const observer = sdkObserver();
    direct = await listenSession(process.execPath, [SERVER, 'v2'], {}, (c) => observer.instrument(c));
    sdk = await observer.collect();
  } finally {
    await rx.stop();
  }
  assert.deepEqual(proxied, direct);
  const spans = normSpans(rx.spans);
  assert.deepEqual(spans.map((s) => [s.name, s.kind, s.attributes[ATTR_OUTCOME] ?? '-']).sort(), [
    ['subscriptions/listen', 3, '-'],
    ['subscriptions/listen', 3, '-'],
    ['tools/call echo', 3, 'success'],
  ]);
  for (const s of spans.filter((x) => x.name === 'subscriptions/listen')) assert.equal(s.attributes['mcp_conservation.call.id'], undefined, 'a listen stream is no logical call');
  assert.deepEqual(rx.logs.map((l) => l.attributes['mcp.method.name'] ?? l.eventName), ['tools/call', EVENT_AUDIT_SESSION_END]);
  assert.equal(rx.total(METRIC_RESPONSES_EXPECTED.name), 1);
  assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
  assert.equal([...rx.latest(METRIC_SESSION_REQUESTS.name).values()][0]?.value, 1);
  assert.deepEqual(spans, normSpans(sdk.spans));
  assert.deepEqual(series(rx.points), series(sdk.points));
  assert.deepEqual(normAudit(rx.logs), normAudit(sdk.logs));
});
