/**
 * A modern request without `_meta` (issue 12, bad input): every
 * 2026-07-28 request declares its protocol version there, and a host that
 * leaves it out is relayed as it came (trace context aside), said on
 * stderr, and counted like any call, in the era its session last declared.
 * The host gets what the server answers it directly. The hosts are raw
 * JSON-RPC (no SDK client sends such a request); the servers are the real
 * v2 server over stdio and over HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ATTR_GEN_AI_TOOL_NAME, ATTR_OUTCOME, ATTR_PROTOCOL_ERA, METRIC_RESPONSES_LOST, METRIC_TOOL_CALLS } from '@mcp-conservation/semconv';
import { BIN } from './helpers/cli.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';
import { RawStdioHost } from './helpers/raw-stdio-host.ts';
import { startV2Server } from './fixtures/v2-server.ts';

const SERVER = fileURLToPath(new URL('./fixtures/stdio-era-server.mjs', import.meta.url));
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'raw-host', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
const UNDECLARED = /a modern tools\/call request \((.+?)\) without io\.modelcontextprotocol\/protocolVersion in its _meta: relayed as it came, counted in the era its session last declared/g;

/** The session: a probe, a declared call, then the same call with no _meta at all. Returns the host's lines. */
async function stdioSession(host: RawStdioHost): Promise<string[]> {
  host.send(JSON.stringify({ jsonrpc: '2.0', id: 'discover', method: 'server/discover', params: { _meta: META } }));
  await host.answer('discover');
  host.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {}, _meta: META } }));
  await host.answer(1);
  host.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: {} } }));
  await host.answer(2);
  assert.equal(await host.close(), 0);
  return host.lines.map((l) => l.toString('utf8'));
}

test('stdio: a modern request without _meta gets the answer it gets directly, a diagnostic, and is counted in the modern era', { timeout: 60_000 }, async () => {
  const rx = new OtlpReceiver();
  const endpoint = await rx.start();
  try {
    const direct = await stdioSession(new RawStdioHost(process.execPath, [SERVER, 'v2'], process.env));
    const proxy = new RawStdioHost(process.execPath, [BIN, 'proxy', '--', process.execPath, SERVER, 'v2'], { ...process.env, ...rx.env(endpoint) });
    const proxied = await stdioSession(proxy);
    assert.deepEqual(proxied, direct);
    assert.deepEqual([...proxy.stderr().matchAll(UNDECLARED)].map((m) => m[1]), ['in a process pinned to the modern era']);

    await until('both calls counted', () => rx.total(METRIC_TOOL_CALLS.name) === 2);
    // The v2 server refuses it (-32602, the _meta envelope is missing): a protocol error, in the era the session declared.
    assert.match(direct[2]!, /"id":2,"error":\{"code":-32602/);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'echo', [ATTR_OUTCOME]: 'success', [ATTR_PROTOCOL_ERA]: 'modern' }), 1);
    assert.equal(rx.total(METRIC_TOOL_CALLS.name, { [ATTR_GEN_AI_TOOL_NAME]: 'echo', [ATTR_OUTCOME]: 'protocol_error', [ATTR_PROTOCOL_ERA]: 'modern' }), 1);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
  } finally {
    await rx.stop();
  }
});

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28' };

async function post(url: string, headers: Record<string, string>, body: unknown) {
  const r = await fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.text() };
}

test('HTTP: a modern request without _meta, known by its Mcp-Method or its Mcp-Protocol-Version header, gets the direct answer, a diagnostic, and is counted', { timeout: 60_000 }, async () => {
  const server = await startV2Server();
  const rx = new OtlpReceiver();
  const child = spawn(process.execPath, [BIN, 'proxy', '--http', server.url.href, '--listen', '127.0.0.1:0'], { env: { ...process.env, ...rx.env(await rx.start()) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    await until('the proxy to listen', () => /listening on \S+, relaying/.test(stderr));
    const url = /listening on (\S+), relaying/.exec(stderr)![1]!;
    const call = (id: number, meta: boolean) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'status', arguments: { id: 1 }, ...(meta ? { _meta: META } : {}) } });
    const cases: [Record<string, string>, unknown][] = [
      [{ 'mcp-method': 'tools/call', 'mcp-name': 'status' }, call(1, true)],
      [{ 'mcp-method': 'tools/call', 'mcp-name': 'status' }, call(2, false)],
      [{}, call(3, false)],
    ];
    const answers = [];
    for (const [headers, body] of cases) {
      const direct = await post(server.url.href, headers, body);
      const proxied = await post(url, headers, body);
      assert.deepEqual(proxied, direct);
      answers.push(proxied.status);
    }
    assert.deepEqual([...stderr.matchAll(UNDECLARED)].map((m) => m[1]), ['Mcp-Method header', 'Mcp-Protocol-Version 2026-07-28']);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);

    await until('the three calls counted', () => rx.total(METRIC_TOOL_CALLS.name) === 3);
    // The v2 server refuses both with 400 -32602 (the envelope is missing): each a protocol error, in the era the session declared.
    assert.deepEqual(answers, [200, 400, 400]);
    const outcomes = [...rx.latest(METRIC_TOOL_CALLS.name).values()].filter((p) => p.value > 0).map((p) => [p.attributes[ATTR_OUTCOME], p.attributes[ATTR_PROTOCOL_ERA], p.value]);
    assert.deepEqual(outcomes.sort(), [
      ['protocol_error', 'modern', 2],
      ['success', 'modern', 1],
    ]);
    assert.equal(rx.total(METRIC_RESPONSES_LOST.name), 0);
  } finally {
    child.kill();
    await rx.stop();
    await server.stop();
  }
});
