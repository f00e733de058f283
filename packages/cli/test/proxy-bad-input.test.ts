/**
 * Bad input never hurts the host or the server: malformed JSON both ways,
 * messages over the proxy's limit both ways, a server that exits
 * mid-request, a collector that is down. The misbehaving server is a
 * scripted fixture (a real SDK server cannot write malformed JSON or die
 * on cue); the host is the real SDK client, or raw bytes where the test is
 * about bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ATTR_GEN_AI_TOOL_NAME, ATTR_LOSS_CAUSE, ATTR_OUTCOME, EVENT_AUDIT_SESSION_END, METRIC_RESPONSES_LOST, METRIC_SESSION_REQUESTS, METRIC_TOOL_CALLS } from '@mcp-conservation/semconv';
import { BIN } from './helpers/cli.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';

const SERVER = fileURLToPath(new URL('./fixtures/misbehaving-server.mjs', import.meta.url));
const EVERYTHING = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const dir = mkdtempSync(join(tmpdir(), 'proxy-bad-'));
const LIMIT = 65536;

function env(extra: NodeJS.ProcessEnv = {}): Record<string, string> {
  return Object.fromEntries(Object.entries({ ...process.env, ...extra }).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

interface Steps {
  received: unknown[];
  steps: Record<string, unknown>;
}

/** The same session against the misbehaving server: garbage, an oversized answer, an oversized request, then the server dies. */
async function misbehavingSession(transport: StdioClientTransport): Promise<Steps> {
  const out: Steps = { received: [], steps: {} };
  transport.onmessage = (m) => out.received.push(m);
  const client = new Client({ name: 'bad-input-host', version: '1.0.0' });
  await client.connect(transport);
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      out.steps[name] = await fn();
    } catch (error) {
      const e = error as { name?: string; code?: unknown; message?: string };
      out.steps[name] = { error: e.name, code: e.code, message: e.message };
    }
  };
  await step('garbage', () => client.callTool({ name: 'garbage' }, undefined, { timeout: 400 }));
  await step('hugeAnswer', () => client.callTool({ name: 'huge', arguments: { bytes: 3 * LIMIT } }));
  await step('hugeRequest', () => client.callTool({ name: 'size', arguments: { padding: 'p'.repeat(2 * LIMIT) } }));
  const closed = new Promise<void>((r) => (client.onclose = r));
  await step('die', () => client.callTool({ name: 'die' }));
  await closed;
  return out;
}

test('stdio bad input: malformed and oversized messages and a dying server reach the host as they would directly; telemetry counts them', { timeout: 60_000 }, async () => {
  const rx = new OtlpReceiver();
  const endpoint = await rx.start();
  try {
    const direct = await misbehavingSession(new StdioClientTransport({ command: process.execPath, args: [SERVER], stderr: 'ignore' }));
    const proxied = await misbehavingSession(
      new StdioClientTransport({ command: process.execPath, args: [BIN, 'proxy', '--quiet', '--max-message-bytes', String(LIMIT), '--', process.execPath, SERVER], env: env(rx.env(endpoint)), stderr: 'ignore' }),
    );
    assert.deepEqual(proxied, direct);
    // What the host saw: a timeout for the garbage, the whole huge answer, the unchanged huge request, a closed connection.
    assert.equal((direct.steps.garbage as { code?: number }).code, -32001);
    assert.equal(JSON.stringify(direct.steps.hugeAnswer).length > 3 * LIMIT, true);
    assert.match(JSON.stringify(direct.steps.hugeRequest), /received \d{6} bytes/);
    assert.deepEqual(direct.steps.die, { error: 'McpError', code: -32000, message: 'MCP error -32000: Connection closed' });

    await until('the proxy to export its telemetry', () => rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END) && rx.points.some((p) => p.metric === METRIC_SESSION_REQUESTS.name));
    const lost = (cause: string) => rx.total(METRIC_RESPONSES_LOST.name, { [ATTR_LOSS_CAUSE]: cause });
    // garbage: unparseable; the answer over the limit is unread by the proxy, so unparseable to it too.
    assert.equal(lost('unparseable'), 2);
    assert.equal(lost('transport_closed'), 1);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 3);
    const calls = (tool: string, outcome: string) => rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: tool, [ATTR_OUTCOME]: outcome });
    assert.equal(calls('garbage', 'protocol_error'), 1);
    assert.equal(calls('huge', 'protocol_error'), 1);
    assert.equal(calls('die', 'transport_error'), 1);
    // The oversized request was relayed unread: no telemetry for it, and nothing else.
    assert.equal(rx.total(METRIC_TOOL_CALLS.name), 3);
    assert.deepEqual(rx.spans.map((s) => s.name).sort(), ['initialize', 'tools/call die', 'tools/call garbage', 'tools/call huge']);
  } finally {
    await rx.stop();
  }
});

test('stdio bad input: bytes pass unchanged both ways, malformed host lines included, and the proxy exits with the code of the server that died', { timeout: 60_000 }, async () => {
  const serverIn = join(dir, 'in.bin');
  const serverOut = join(dir, 'out.bin');
  const child = spawn(
    process.execPath,
    [BIN, 'proxy', '--quiet', '--max-message-bytes', String(LIMIT), '--', '/bin/bash', '-c', 'set -o pipefail; tee "$1" | "$0" "$2" | tee "$3"', process.execPath, serverIn, SERVER, serverOut],
    { stdio: ['pipe', 'pipe', 'pipe'], env: env({ OTEL_SDK_DISABLED: 'true' }) },
  );
  const stdout: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
  const hostLines = [
    '{"jsonrpc":"2.0","id":',
    '\u00ff\u0000 not json at all',
    JSON.stringify(init),
    '[1, 2',
    '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'garbage' } }),
    JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'huge', arguments: { bytes: 2 * LIMIT } } }),
    JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'die' } }),
  ];
  // Invalid UTF-8 too: the proxy must not decode and re-encode what it relays.
  const raw = Buffer.concat([...hostLines.map((l) => Buffer.from(`${l}\n`, 'latin1')), Buffer.from([0xc3, 0x28, 0x0a])]);
  // The host closes its side after writing (tee, recording the server's input, would otherwise outlive the server).
  child.stdin.end(raw);
  const code = await exited;
  assert.equal(code, 3, stderr);
  const received = readFileSync(serverIn);
  const sentOut = readFileSync(serverOut);
  // The host got the server's output byte for byte, the garbage line and the huge answer included.
  assert.ok(Buffer.concat(stdout).equals(sentOut), 'stdout differs from what the server wrote');
  assert.match(sentOut.toString('utf8'), /"text":"cut\n/);
  // The server got every malformed line byte for byte; requests are the same JSON but for traceparent (none here: telemetry off).
  const lines = received.toString('latin1').split('\n');
  for (const l of hostLines.slice(0, 2)) assert.ok(lines.includes(l), `malformed line relayed: ${l}`);
  assert.ok(lines.includes('[1, 2'));
  assert.ok(received.includes(Buffer.from([0x0a, 0xc3, 0x28, 0x0a])), 'invalid UTF-8 relayed as it was');
  assert.match(stderr, new RegExp(`a \\d+-byte message from the server exceeds --max-message-bytes ${LIMIT}: relayed unread`));
});

test('stdio: with the collector down, traffic flows and the host sees what it sees directly', { timeout: 60_000 }, async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const run = async (transport: StdioClientTransport) => {
    const client = new Client({ name: 'collector-down-host', version: '1.0.0' });
    await client.connect(transport);
    const tools = await client.listTools();
    const echo = await client.callTool({ name: 'echo', arguments: { message: 'still flowing' } });
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
    await client.close();
    return { tools, echo, sum };
  };
  const direct = await run(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  const proxied = await run(
    new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'proxy', '--quiet', '--', process.execPath, EVERYTHING, 'stdio'],
      env: env({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '10', OTEL_BLRP_SCHEDULE_DELAY: '10' }),
      stderr: 'ignore',
    }),
  );
  assert.deepEqual(proxied, direct);
  assert.equal((proxied.echo.content as { text?: string }[])[0]?.text, 'Echo: still flowing');
});

test('stdio: with the collector down, the proxy exits with the server within the 2 s a host waits before SIGTERM, saying what it did not export', { timeout: 60_000 }, async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn(process.execPath, [BIN, 'proxy', '--quiet', '--', process.execPath, EVERYTHING, 'stdio'], {
    env: env({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const send = (m: unknown) => child.stdin!.write(`${JSON.stringify(m)}\n`);
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'h', version: '1' } } });
  await until('initialized', () => stdout.includes('"id":1'));
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } });
  await until('the answer', () => stdout.includes('"id":2'));
  // What the MCP SDK's StdioClientTransport.close() does: end stdin, wait 2 s for the exit, then SIGTERM.
  child.stdin!.end();
  let termed = false;
  const grace = setTimeout(() => {
    termed = true;
    child.kill('SIGTERM');
  }, 2000);
  const { code, signal } = await exited;
  clearTimeout(grace);
  assert.equal(termed, false, 'the proxy needed the SIGTERM');
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
  // initialize, the tools/call and the session's end: all three written, none exported.
  assert.match(stderr, /telemetry not flushed within 1000 ms of export; exiting without it \(3 audit record\(s\) queued and not exported\)/);
});
