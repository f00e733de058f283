/**
 * One scripted session of a real SDK v2 client (`auto` negotiation: a
 * sibling process answers the `server/discover` probe) against a stdio
 * server, run twice: directly, and through `mcp-conservation proxy`. A
 * recording stage sits on each end of the pipe (before the host's command,
 * before the server), per process, so the bytes each side received can be
 * compared, and `assertTransparent` compares them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { EVENT_AUDIT_SESSION_END } from '@mcp-conservation/semconv';
import { BIN } from './cli.ts';
import { OtlpReceiver, until, type LogRecord, type Span } from './otlp-receiver.ts';

const SHIM = fileURLToPath(new URL('./recording-shim.mjs', import.meta.url));

/** The index of the session's process among a run's processes (0 is the sibling that answered the probe). */
export const SESSION = 1;

export interface StdioRun {
  readonly era: string | undefined;
  readonly results: unknown[];
}

/** Per side, the bytes of each process, in the order the processes started: [sibling probe, session]. */
export interface Both {
  readonly direct: string[];
  readonly proxied: string[];
}

export interface Recorded {
  readonly direct: StdioRun;
  readonly proxied: StdioRun;
  /** What the host wrote, what the server read, what the server wrote, what the host read. */
  readonly hostSent: Both;
  readonly serverGot: Both;
  readonly serverSent: Both;
  readonly hostGot: Both;
  /** The proxy's telemetry. */
  readonly spans: Span[];
  readonly logs: LogRecord[];
}

/** `command` behind a recording stage writing `<prefix>-<n>.in|out`. */
const recorded = (prefix: string, command: string[]): string[] => [process.execPath, SHIM, prefix, ...command];

function environment(extra: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries({ ...process.env, ...extra }).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

async function session(command: string[], env: Record<string, string>, script: (c: Client) => Promise<unknown[]>): Promise<StdioRun> {
  const [cmd, ...args] = command as [string, ...string[]];
  const c = new Client({ name: 'stdio-transparency-host', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 10_000 } }, capabilities: { elicitation: { form: {} } } });
  c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { ok: true } }));
  await c.connect(new StdioClientTransport({ command: cmd, args, env, stderr: 'inherit' }));
  const results = await script(c);
  const era = c.getProtocolEra();
  await c.close();
  return { era, results };
}

function pipes(dir: string, prefix: string, side: 'in' | 'out'): string[] {
  const names = readdirSync(dir).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith(`.${side}`));
  return names.sort((a, b) => parseInt(a.slice(prefix.length + 1)) - parseInt(b.slice(prefix.length + 1))).map((f) => readFileSync(join(dir, f), 'utf8'));
}

/**
 * Runs `script` on a fresh client directly against `server` (a Node
 * script), then through the proxy, and waits for the proxy's telemetry
 * (its session's end and at least `spans` spans).
 */
export async function recordBothWays(server: string, script: (c: Client) => Promise<unknown[]>, spans: number): Promise<Recorded> {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-stdio-transparency-'));
  const at = (name: string) => join(dir, name);
  const rx = new OtlpReceiver();
  const env = environment(rx.env(await rx.start()));
  try {
    const direct = await session(recorded(at('host-direct'), recorded(at('server-direct'), [process.execPath, server])), env, script);
    const proxied = await session(recorded(at('host-proxied'), [process.execPath, BIN, 'proxy', '--quiet', '--', ...recorded(at('server-proxied'), [process.execPath, server])]), env, script);
    await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.spans.length >= spans);
    const both = (prefix: string, side: 'in' | 'out'): Both => ({ direct: pipes(dir, `${prefix}-direct`, side), proxied: pipes(dir, `${prefix}-proxied`, side) });
    return { direct, proxied, hostSent: both('host', 'in'), serverGot: both('server', 'in'), serverSent: both('server', 'out'), hostGot: both('host', 'out'), spans: rx.spans, logs: rx.logs };
  } finally {
    await rx.stop();
  }
}

const lines = (bytes: string) => bytes.split('\n');

/** The JSON-RPC method of each line (`response` for an answer). */
export const methods = (bytes: string) => lines(bytes).filter(Boolean).map((l) => (JSON.parse(l) as { method?: string }).method ?? 'response');

const isRequest = (line: string) => {
  const m = JSON.parse(line) as { id?: unknown; method?: unknown };
  return m.id !== undefined && typeof m.method === 'string';
};

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

/**
 * The proxy's transparency, per process: the host sent the same bytes in
 * both runs; the server received them line for line, each request of the
 * session gaining only `traceparent` (the sibling's probe is no session:
 * relayed as it came, see stdio-session.ts); what the server sent and what
 * the host received are the same bytes; and the client's results are equal.
 */
export function assertTransparent(r: Recorded): void {
  assert.equal(r.direct.era, 'modern');
  assert.equal(r.proxied.era, 'modern');
  assert.deepEqual(r.proxied.results, r.direct.results);
  assert.equal(r.hostSent.direct.length, 2, 'a sibling probe and a session');
  assert.deepEqual(r.hostSent.proxied, r.hostSent.direct, 'the host sent the same bytes in both runs');

  assert.deepEqual(r.serverGot.direct, r.hostSent.direct, 'directly, the server gets what the host sent');
  assert.doesNotMatch(r.serverGot.direct.join(''), /traceparent/);
  assert.equal(r.serverGot.proxied.length, r.serverGot.direct.length);
  r.serverGot.proxied.forEach((bytes, p) => {
    const want = lines(r.serverGot.direct[p]!);
    const got = lines(bytes);
    assert.equal(got.length, want.length, `process ${p}: lines`);
    got.forEach((line, i) => {
      if (line === '') return assert.equal(want[i], '', `process ${p}, line ${i}`);
      const traced = p === SESSION && isRequest(want[i]!) ? 1 : 0;
      assert.equal((line.match(/"traceparent":/g) ?? []).length, traced, `process ${p}, line ${i}: trace context on the session's requests only`);
      assert.equal(withoutTraceparent(line), want[i], `process ${p}, line ${i}`);
    });
  });

  assert.deepEqual(r.serverSent.proxied, r.serverSent.direct);
  assert.deepEqual(r.hostGot.direct, r.serverSent.direct, 'directly, the host gets what the server sent');
  assert.deepEqual(r.hostGot.proxied, r.hostGot.direct);
}
