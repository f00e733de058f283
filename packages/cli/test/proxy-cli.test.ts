/**
 * The proxy as a command: usage errors, a server that cannot be started,
 * a host's trace context becoming the parent of the proxy's spans, and
 * signals passed to the server with the proxy ending as the server did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EVENT_AUDIT_SESSION_END } from '@mcp-conservation/semconv';
import { BIN, runCli } from './helpers/cli.ts';
import { OtlpReceiver, until } from './helpers/otlp-receiver.ts';

const SERVER = fileURLToPath(new URL('./fixtures/misbehaving-server.mjs', import.meta.url));

test('proxy usage errors exit 2 with a message naming the problem', async () => {
  const cases: [string[], RegExp][] = [
    [['proxy'], /give the server command after --/],
    [['proxy', 'npx', 'server'], /put the server command after '--'/],
    [['proxy', '--http', 'not a url'], /--http is not a URL/],
    [['proxy', '--http', 'ftp://example.com/mcp'], /--http must be an http\(s\) URL/],
    [['proxy', '--listen', '127.0.0.1:9'], /--listen needs --http/],
    [['proxy', '--http', 'http://127.0.0.1:1/mcp', '--listen', 'nowhere'], /--listen must be <host:port>/],
    [['proxy', '--max-message-bytes', '0', '--', 'true'], /--max-message-bytes must be a positive integer/],
    [['proxy', '--frob', '--', 'true'], /Unknown option '--frob'/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', 'nothing on stdout');
  }
});

test('a server command that does not exist: a message on stderr, EOF on stdout, exit 127', async () => {
  const r = await runCli(['proxy', '--', '/nonexistent/mcp-server', '--flag'], { ...process.env, OTEL_SDK_DISABLED: 'true' });
  assert.equal(r.code, 127);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /cannot start the server '\/nonexistent\/mcp-server': spawn \/nonexistent\/mcp-server ENOENT/);
});

test("the host's traceparent in _meta parents the proxy's span; SIGTERM reaches the server and the proxy ends by it, telemetry flushed", { timeout: 60_000 }, async () => {
  const rx = new OtlpReceiver();
  const endpoint = await rx.start();
  try {
    const child = spawn(process.execPath, [BIN, 'proxy', '--', process.execPath, SERVER], { env: { ...process.env, ...rx.env(endpoint) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const hostSpan = '00f067aa0ba902b7';
    const init = { jsonrpc: '2.0', id: 'init-1', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'traced-host', version: '1' }, _meta: { traceparent: `00-${traceId}-${hostSpan}-01` } } };
    child.stdin.write(`${JSON.stringify(init)}\n`);
    await until('the initialize result', () => stdout.includes('"serverInfo"'));
    child.kill('SIGTERM');
    const end = await closed;
    assert.deepEqual(end, { code: null, signal: 'SIGTERM' });
    await until('the telemetry', () => rx.spans.length === 1 && rx.logs.some((l) => l.eventName === EVENT_AUDIT_SESSION_END));
    const span = rx.spans[0];
    assert.equal(span?.name, 'initialize');
    assert.equal(span?.traceId, traceId);
    assert.equal(span?.parentSpanId, hostSpan);
  } finally {
    await rx.stop();
  }
});
