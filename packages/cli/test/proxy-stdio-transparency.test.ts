/**
 * Transparency of the stdio proxy in the modern era (2026-07-28): the same
 * scripted session of a real SDK v2 client (`auto` negotiation, so a
 * sibling process answers the `server/discover` probe) against a real SDK
 * v2 server (serveStdio) runs once directly and once through
 * `mcp-conservation proxy`. The session: the probe, a listing the server
 * marks cacheable (ttlMs) served a second time from the client's cache, a
 * subscriptions/listen stream that carries the tools/list_changed a tool
 * call causes (which evicts the cache: the third listing goes on the wire),
 * an MRTR call of three legs (requestState), the listen stream closed by
 * the client. A recording stage sits on each end of the pipe (before the
 * host's command, before the server), per process. Compared: what the
 * server received (line for line, a request's only change being the
 * proxy's `traceparent` in `params._meta`), what it sent, what the host
 * sent and received (byte for byte), and the client's results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { AUDIT_FIELDS as F, EVENT_AUDIT_SESSION_END } from '@mcp-conservation/semconv';
import { BIN } from './helpers/cli.ts';
import { normSpans } from './helpers/compare.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';

const SERVER = fileURLToPath(new URL('./fixtures/v2-stdio-listing-server.mjs', import.meta.url));
const SHIM = fileURLToPath(new URL('./helpers/recording-shim.mjs', import.meta.url));

/** `command` behind a recording stage writing `<prefix>-<n>.in|out`. */
const recorded = (prefix: string, command: string[]): string[] => [process.execPath, SHIM, prefix, ...command];

interface Run {
  readonly era: string | undefined;
  readonly results: unknown[];
}

async function session(command: string[], env: Record<string, string>): Promise<Run> {
  const [cmd, ...args] = command as [string, ...string[]];
  const c = new Client({ name: 'stdio-transparency-host', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 10_000 } }, capabilities: { elicitation: { form: {} } } });
  c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { ok: true } }));
  let changed = 0;
  c.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
  await c.connect(new StdioClientTransport({ command: cmd, args, env, stderr: 'inherit' }));
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
  const era = c.getProtocolEra();
  await c.close();
  return { era, results };
}

/** The bytes of each process a recording stage saw, in the order the processes started: [sibling probe, session]. */
function pipes(dir: string, prefix: string, side: 'in' | 'out'): string[] {
  const names = readdirSync(dir).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith(`.${side}`));
  return names.sort((a, b) => parseInt(a.slice(prefix.length + 1)) - parseInt(b.slice(prefix.length + 1))).map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** The index of the session's process among a run's processes (0 is the sibling that answered the probe). */
const SESSION = 1;

const lines = (bytes: string) => bytes.split('\n');

/**
 * A request line as the proxy relays it, its trace context taken out again:
 * the proxy inserts `"traceparent":"…"` first in an existing `params._meta`
 * (or adds `_meta`, or `params`, holding only it). Exactly those insertions
 * are undone, nothing else.
 */
function withoutTraceparent(line: string): string {
  const tp = '"traceparent":"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]"';
  return line
    .replace(new RegExp(`"params":\\{"_meta":\\{${tp}\\}\\},?`), '')
    .replace(new RegExp(`"_meta":\\{${tp}\\},?`), '')
    .replace(new RegExp(`${tp},?`), '');
}

const isRequest = (line: string) => {
  const m = JSON.parse(line) as { id?: unknown; method?: unknown };
  return m.id !== undefined && typeof m.method === 'string';
};
const methods = (bytes: string) => lines(bytes).filter(Boolean).map((l) => (JSON.parse(l) as { method?: string }).method ?? 'response');

function environment(extra: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries({ ...process.env, ...extra }).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

test('stdio, modern: the v2 client and server exchange the same bytes with and without the proxy (discover, cached listing, listen stream, MRTR)', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-stdio-transparency-'));
  const at = (name: string) => join(dir, name);
  const rx = new OtlpReceiver();
  const env = environment(rx.env(await rx.start()));
  let direct: Run;
  let proxied: Run;
  try {
    direct = await session(recorded(at('host-direct'), recorded(at('server-direct'), [process.execPath, SERVER])), env);
    proxied = await session(recorded(at('host-proxied'), [process.execPath, BIN, 'proxy', '--quiet', '--', ...recorded(at('server-proxied'), [process.execPath, SERVER])]), env);
    await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.spans.length >= 7);
  } finally {
    await rx.stop();
  }

  // The session did what it is there for, either way.
  assert.equal(direct.era, 'modern');
  assert.equal(proxied.era, 'modern');
  assert.deepEqual(proxied.results, direct.results);
  const listed = (i: number) => (direct.results[i] as { tools: { name: string }[] }).tools.map((t) => t.name);
  assert.deepEqual([listed(0), listed(1), listed(4)], [['deploy', 'touch'], ['deploy', 'touch'], ['deploy', 'touch', 'touched']], 'the cache served the second listing; list_changed evicted it');

  // What the host sent, per process (the sibling probe, then the session): the second listing never reached the pipe.
  const hostSent = { direct: pipes(dir, 'host-direct', 'in'), proxied: pipes(dir, 'host-proxied', 'in') };
  assert.deepEqual(hostSent.direct.map(methods), [
    ['server/discover'],
    ['tools/list', 'subscriptions/listen', 'tools/call', 'tools/list', 'tools/call', 'tools/call', 'tools/call', 'notifications/cancelled'],
  ]);
  assert.deepEqual(hostSent.proxied, hostSent.direct, 'the host sent the same bytes in both runs');

  // What the server received: the same lines, each request of the session gaining only traceparent
  // (the sibling's probe is no session: relayed as it came, see stdio-session.ts).
  const serverGot = { direct: pipes(dir, 'server-direct', 'in'), proxied: pipes(dir, 'server-proxied', 'in') };
  assert.deepEqual(serverGot.direct, hostSent.direct, 'directly, the server gets what the host sent');
  assert.equal(serverGot.proxied.length, serverGot.direct.length);
  serverGot.proxied.forEach((bytes, p) => {
    const want = lines(serverGot.direct[p]!);
    const got = lines(bytes);
    assert.equal(got.length, want.length, `process ${p}: lines`);
    got.forEach((line, i) => {
      if (line === '') return assert.equal(want[i], '', `process ${p}, line ${i}`);
      const traced = p === SESSION && isRequest(want[i]!) ? 1 : 0;
      assert.equal((line.match(/"traceparent":/g) ?? []).length, traced, `process ${p}, line ${i}: trace context on the session's requests only`);
      assert.equal(withoutTraceparent(line), want[i], `process ${p}, line ${i}`);
    });
  });
  assert.doesNotMatch(serverGot.direct.join(''), /traceparent/);

  // What the server sent, and what reached the host: byte for byte.
  const serverSent = { direct: pipes(dir, 'server-direct', 'out'), proxied: pipes(dir, 'server-proxied', 'out') };
  const hostGot = { direct: pipes(dir, 'host-direct', 'out'), proxied: pipes(dir, 'host-proxied', 'out') };
  assert.deepEqual(serverSent.proxied, serverSent.direct);
  assert.deepEqual(hostGot.direct, serverSent.direct, 'directly, the host gets what the server sent');
  assert.deepEqual(hostGot.proxied, hostGot.direct);
  assert.match(hostGot.direct[1]!, /"method":"notifications\/tools\/list_changed"/, 'the listen stream carried the notification to the host');

  // The proxy's telemetry: one span per leg on the wire, none for the cached listing, nothing from the sibling probe.
  assert.deepEqual(
    normSpans(rx.spans).map((s) => `${s.name} ${s.attributes['mcp_conservation.outcome'] ?? '-'}`),
    ['subscriptions/listen -', 'tools/list success', 'tools/call touch success', 'tools/list success', 'tools/call deploy -', 'tools/call deploy -', 'tools/call deploy success'],
  );
  // One record per call, in the order they ended: the MRTR call is one of three legs; the listen stream is no operation.
  const operations = rx.logs.filter((l) => l.eventName !== EVENT_AUDIT_SESSION_END).sort((a, b) => Number(a.attributes[F.seq]) - Number(b.attributes[F.seq]));
  assert.deepEqual(
    operations.map((l) => [l.attributes[F.method], l.attributes[F.legs], l.attributes[F.outcome]]),
    [
      ['tools/list', 1, 'success'],
      ['tools/call', 1, 'success'],
      ['tools/list', 1, 'success'],
      ['tools/call', 3, 'success'],
    ],
  );
});

// -32020 (HeaderMismatch) cannot occur over stdio: the SDK's only emitter is the Streamable HTTP entry's
// validation ladder (MCP-Protocol-Version / Mcp-Method / Mcp-Name / Mcp-Param-* headers against the body),
// and a stdio message has no headers; the v2 McpServer turns an error thrown in a tool handler into an
// isError result, never a JSON-RPC error. The HTTP transparency test covers the case.
test('stdio, modern: a -32020 HeaderMismatch through the proxy', { skip: 'HeaderMismatch is HTTP-only: stdio carries no headers to disagree with the body (see proxy-http-transparency.test.ts)' }, () => undefined);
