/**
 * The stdio proxy in both protocol eras, against the in-process
 * instrumentation (`instrumentClient`) of the same scripted session:
 * - legacy: an SDK v1 client and server;
 * - modern: an SDK v2 client in `auto` mode and a v2 server (the client
 *   probes `server/discover` on a sibling process, which is a second proxy
 *   process here: it must record nothing), with a multi-round-trip call;
 * - the fallback: the same v2 client against a 2025-only server (the
 *   sibling probe fails, the session process is legacy).
 * Spans, metric series and audit records are compared field by field;
 * only timings, ids and the observer differ. The server's input is
 * recorded with `tee`, so what it received is compared byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1Stdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as V2Client } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2Stdio } from '@modelcontextprotocol/client/stdio';
import { ATTR_PROTOCOL_ERA, AUDIT_FIELDS as F, EVENT_AUDIT_SESSION_END, METRIC_SESSION_REQUESTS } from '@mcp-conservation/semconv';
import { BIN } from './helpers/cli.ts';
import { normAudit, normSpans, series } from './helpers/compare.ts';
import { OtlpReceiver, until, type LogRecord, type Point, type Span } from './helpers/otlp-receiver.ts';
import { sdkObserver } from './helpers/sdk-observer.ts';

const SERVER = fileURLToPath(new URL('./fixtures/stdio-era-server.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'proxy-eras-'));

type Sdk = 'v1' | 'v2';
interface Observed {
  readonly spans: Span[];
  readonly points: Point[];
  readonly logs: LogRecord[];
}
interface Run {
  readonly era: string | undefined;
  readonly results: unknown[];
}

/** The server's command line, its input appended to `file` by tee (the sibling probe's too). */
function serverCommand(server: Sdk, file: string): [string, ...string[]] {
  return ['/bin/sh', '-c', 'tee -a "$1" | "$0" "$2" "$3"', process.execPath, file, SERVER, server];
}

function env(extra: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries({ ...process.env, ...extra }).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** One scripted session: a listing and a tool call (and, modern, a call of three legs). */
/** A subclass of the v2 stdio transport: the v2 client probes in place on it, in the session's own process. */
class InPlaceStdio extends V2Stdio {}

async function session(client: Sdk, command: [string, ...string[]], extraEnv: NodeJS.ProcessEnv, instrument?: (c: object) => void, inPlace = false): Promise<Run> {
  const [cmd, ...args] = command;
  if (client === 'v1') {
    const c = new V1Client({ name: 'era-client', version: '0.1' });
    instrument?.(c);
    await c.connect(new V1Stdio({ command: cmd, args, env: env(extraEnv), stderr: 'ignore' }));
    const results = [await c.listTools(), await c.callTool({ name: 'echo', arguments: {} })];
    await c.close();
    return { era: undefined, results };
  }
  const c = new V2Client({ name: 'era-client', version: '0.1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 10_000 } }, capabilities: { elicitation: { form: {} } } });
  c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { ok: true } }));
  instrument?.(c);
  const Transport = inPlace ? InPlaceStdio : V2Stdio;
  await c.connect(new Transport({ command: cmd, args, env: env(extraEnv), stderr: 'ignore' }));
  const era = c.getProtocolEra();
  const results: unknown[] = [await c.listTools(), await c.callTool({ name: 'echo', arguments: {} })];
  if (era === 'modern') results.push(await c.callTool({ name: 'deploy', arguments: {} }));
  await c.close();
  return { era, results };
}

/** The proxy's one change to a request, undone: `traceparent` in `_meta`, and the `_meta` (and `params`) it had to add for it. */
function withoutTraceparent(lines: string): string {
  return lines.replace(/"traceparent":"[0-9a-f-]{55}",?/g, '').replace(/"params":\{"_meta":\{\}\},?|"_meta":\{\},?|,"_meta":\{\}/g, '');
}

interface Case {
  readonly client: Sdk;
  readonly server: Sdk;
  readonly era: 'legacy' | 'modern';
  /** The v2 client probes in place (a subclass of its stdio transport), not on a sibling process. */
  readonly inPlace?: boolean;
  /** The spans of the session, in request order: name and outcome (none on an interim leg). */
  readonly spans: string[];
}

const CASES: Case[] = [
  { client: 'v1', server: 'v1', era: 'legacy', spans: ['initialize success', 'tools/list success', 'tools/call echo success'] },
  // No handshake on the session process: the probe ran on its sibling.
  { client: 'v2', server: 'v2', era: 'modern', spans: ['tools/list success', 'tools/call echo success', 'tools/call deploy -', 'tools/call deploy -', 'tools/call deploy success'] },
  { client: 'v2', server: 'v1', era: 'legacy', spans: ['initialize success', 'tools/list success', 'tools/call echo success'] },
  // The probe in place is a leg of the session: held by the proxy until the next request, then replayed.
  { client: 'v2', server: 'v2', era: 'modern', inPlace: true, spans: ['server/discover success', 'tools/list success', 'tools/call echo success', 'tools/call deploy -', 'tools/call deploy -', 'tools/call deploy success'] },
  // The refused probe and the initialize fallback are two legs of one connect call, decided by the handshake.
  { client: 'v2', server: 'v1', era: 'legacy', inPlace: true, spans: ['server/discover -', 'initialize success', 'tools/list success', 'tools/call echo success'] },
];

for (const c of CASES) {
  const label = `${c.client} client, ${c.server} server (${c.era}${c.inPlace ? ', probe in place' : ''})`;
  const name = `${c.client}-${c.server}${c.inPlace ? '-in-place' : ''}`;
  test(`stdio, ${label}: the proxy's telemetry is the in-process instrumentation's, and the server gets the same bytes`, { timeout: 120_000 }, async () => {
    const directIn = join(dir, `${name}-direct.jsonl`);
    const observedIn = join(dir, `${name}-observed.jsonl`);
    const proxiedIn = join(dir, `${name}-proxied.jsonl`);
    const rx = new OtlpReceiver();
    const endpoint = await rx.start();
    let proxied: Run;
    let direct: Run;
    let sdk: Observed;
    try {
      proxied = await session(c.client, [process.execPath, BIN, 'proxy', '--quiet', '--', ...serverCommand(c.server, proxiedIn)], rx.env(endpoint), undefined, c.inPlace);
      await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.points.some((p) => p.metric === METRIC_SESSION_REQUESTS.name) && rx.spans.length >= c.spans.length);
      const observer = sdkObserver();
      await session(c.client, serverCommand(c.server, observedIn), {}, (client) => observer.instrument(client), c.inPlace);
      sdk = await observer.collect();
      // Without any observer: what the server receives when nothing is in between.
      direct = await session(c.client, serverCommand(c.server, directIn), {}, undefined, c.inPlace);
    } finally {
      await rx.stop();
    }

    if (c.client === 'v2') assert.equal(proxied.era, c.era);
    assert.deepEqual(proxied.results, direct.results);

    // Exactly one session: the sibling probe's proxy process recorded nothing.
    assert.equal(rx.logs.filter((l) => l.eventName === EVENT_AUDIT_SESSION_END).length, 1);
    assert.equal(new Set(rx.logs.map((l) => l.attributes[F.session])).size, 1);
    assert.deepEqual(
      normSpans(rx.spans).map((s) => `${s.name} ${s.attributes['mcp_conservation.outcome'] ?? '-'}`),
      c.spans,
    );
    // A probe declares the version it asks for: modern, whatever the verdict.
    for (const s of rx.spans) assert.equal(s.attributes[ATTR_PROTOCOL_ERA], s.name === 'server/discover' ? 'modern' : c.era, s.name);

    if (c.inPlace && c.era === 'legacy') {
      // connect is one call: the refused probe and the initialize fallback share its id, and one record of 2 legs says how it went.
      const [probe, handshake] = rx.spans;
      assert.equal(probe!.attributes['mcp_conservation.call.id'], handshake!.attributes['mcp_conservation.call.id']);
      assert.equal(handshake!.attributes['mcp_conservation.leg.reason'], 'version_retry');
      const ops = rx.logs.filter((l) => l.eventName !== EVENT_AUDIT_SESSION_END);
      assert.deepEqual(ops.map((l) => [l.attributes[F.method], l.attributes[F.legs], l.attributes[F.outcome]]), [['initialize', 2, 'success'], ['tools/list', 1, 'success'], ['tools/call', 1, 'success']]);
    }
    assert.deepEqual(normSpans(rx.spans), normSpans(sdk.spans));
    assert.deepEqual(series(rx.points), series(sdk.points));
    assert.deepEqual(normAudit(rx.logs), normAudit(sdk.logs));

    // The server received what it receives without the proxy, requests gaining only traceparent in _meta.
    const directBytes = readFileSync(directIn, 'utf8');
    assert.doesNotMatch(directBytes, /traceparent/);
    assert.equal(withoutTraceparent(readFileSync(proxiedIn, 'utf8')), directBytes);
  });
}
