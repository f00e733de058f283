/**
 * Hostile requests to the HTTP proxy: a request target naming another host
 * never leaves the upstream's origin, and a small compressed body that
 * inflates past --max-message-bytes is relayed unread, with the proxy still
 * serving. The upstream and the other host are raw HTTP servers that record
 * what reaches them: the test is about what the proxy sends where.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { startHttpProxy } from './helpers/proxy-process.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly bytes: number;
}

/** A server that answers 200 to anything and records what it got. */
async function recorder(): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', bytes });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, seen };
}


/** Sends one raw HTTP/1.1 request line (the target as given, unnormalized) and returns the status line. */
function rawRequest(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer host-token\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.setEncoding('utf8').on('data', (d: string) => (data += d));
    socket.on('end', () => resolve(data.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

test('http: a request target naming another host is sent to the upstream origin, never to that host', async () => {
  const upstream = await recorder();
  const other = await recorder();
  const proxy = await startHttpProxy(`http://127.0.0.1:${upstream.port}/mcp`);
  try {
    for (const target of [`http://127.0.0.1:${other.port}/internal/admin?x=1`, `//127.0.0.1:${other.port}/internal/admin?x=1`]) {
      assert.equal(await rawRequest(proxy.port, target), 'HTTP/1.1 200 OK', target);
    }
    assert.deepEqual(other.seen, [], 'the other host got nothing');
    assert.deepEqual(
      upstream.seen.map((s) => s.url),
      ['/internal/admin?x=1', '/internal/admin?x=1'],
    );
  } finally {
    assert.equal(await proxy.stop(), 0);
    upstream.server.close();
    other.server.close();
  }
});

test('http: a compressed body inflating past --max-message-bytes is relayed unread; the proxy keeps serving', async () => {
  const upstream = await recorder();
  const proxy = await startHttpProxy(`http://127.0.0.1:${upstream.port}/mcp`, { args: ['--max-message-bytes', '65536'] });
  try {
    // 64 MiB of spaces: well-formed JSON once inflated (a string field), 65 KB compressed.
    const inflated = Buffer.alloc(64 * 1024 * 1024, 0x20);
    Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"p":"').copy(inflated, 0);
    Buffer.from('"}}').copy(inflated, inflated.length - 3);
    const bomb = gzipSync(inflated);
    assert.ok(bomb.length < 65536 * 2, `compressed ${bomb.length} bytes`);
    const r = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb });
    assert.equal(r.status, 200);
    await r.text();
    const after = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":2,"method":"ping"}' });
    assert.equal(after.status, 200, 'the proxy still serves');
    await after.text();
    assert.deepEqual(
      upstream.seen.map((s) => s.bytes),
      [bomb.length, 40],
      'the compressed body went upstream as it came',
    );
    assert.match(proxy.stderr(), /could not be decoded within --max-message-bytes 65536: relayed unread/);
  } finally {
    assert.equal(await proxy.stop(), 0);
    upstream.server.close();
  }
});
