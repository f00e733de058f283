/**
 * The Host the HTTP proxy sends upstream: the upstream's own name when the
 * host addressed the proxy, the host's when it named another host in front
 * of a loopback upstream (DNS rebinding: the upstream's own Host check must
 * see it), the upstream's always for a remote upstream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { upstreamHost } from '../src/proxy/upstream-host.ts';

const local = new URL('http://127.0.0.1:3001/mcp');
const remote = new URL('https://mcp.example.com/mcp');
const at = (received: string | undefined, o: { listenHost?: string; localAddress?: string; upstream?: URL } = {}) =>
  upstreamHost({ received, localAddress: o.localAddress ?? '127.0.0.1', listenHost: o.listenHost ?? '127.0.0.1', upstream: o.upstream ?? local });

test('a host that addressed the proxy by a loopback name, its listen host or the address it reached: the upstream name', () => {
  for (const h of ['127.0.0.1:8808', 'localhost:8808', 'LOCALHOST', '[::1]:8808', '127.0.0.2:8808', '127.0.0.1']) assert.equal(at(h), '127.0.0.1:3001', h);
  assert.equal(at('mcp-proxy.lan:8808', { listenHost: 'mcp-proxy.lan', localAddress: '192.168.1.5' }), '127.0.0.1:3001');
  assert.equal(at('192.168.1.5:8808', { listenHost: '0.0.0.0', localAddress: '::ffff:192.168.1.5' }), '127.0.0.1:3001');
  assert.equal(at('[fe80::1]:8808', { listenHost: '::', localAddress: 'fe80::1' }), '127.0.0.1:3001');
  assert.equal(at(undefined), '127.0.0.1:3001', 'no Host (HTTP/1.0)');
});

test('another name in front of a loopback upstream goes on as it came, so that the upstream refuses it as it would without the proxy', () => {
  for (const h of ['evil.example.com', 'evil.example.com:8808', '127.0.0.1.evil.example.com:8808', 'localhost.evil.example:8808', 'user@127.0.0.1', '127.0.0.1/x', '']) assert.equal(at(h), h, JSON.stringify(h));
  assert.equal(at('other.lan:8808', { listenHost: '0.0.0.0', localAddress: '192.168.1.5' }), 'other.lan:8808');
  assert.equal(at('evil.example', { upstream: new URL('http://localhost:3001/mcp') }), 'evil.example');
  assert.equal(at('evil.example', { upstream: new URL('http://[::1]:3001/mcp') }), 'evil.example');
});

test('a remote upstream always gets its own name (virtual hosting)', () => {
  for (const h of ['127.0.0.1:8808', 'evil.example.com', undefined]) assert.equal(at(h, { upstream: remote }), 'mcp.example.com');
});
