/**
 * The modern standard headers (Mcp-Method, Mcp-Name) through the HTTP
 * proxy: decoded (base64 sentinels), compared with the body, and never
 * changed. Hostile values (1 MB, invalid base64, control characters), a
 * header that disagrees with its body and a modern request without _meta
 * reach the real v2 server as they came, its answer reaches the host as
 * the server sent it (-32020 for a disagreement), and the proxy says so on
 * stderr without crashing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeaderValue, headerDisagreement, MAX_HEADER_CHARS } from '../src/proxy/mcp-headers.ts';
import { startHttpProxy } from './helpers/proxy-process.ts';
import { startV2Server } from './fixtures/v2-server.ts';

const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

test('header values: plain, base64 sentinels decoded, hostile ones refused with a reason and never decoded past the bound', () => {
  assert.deepEqual(decodeHeaderValue('deploy'), { value: 'deploy' });
  assert.deepEqual(decodeHeaderValue(b64('déployer')), { value: 'déployer' });
  assert.deepEqual(decodeHeaderValue('=?base64?not base64!?='), { problem: 'an invalid =?base64?…?= value' });
  assert.deepEqual(decodeHeaderValue(`=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`), { problem: 'a =?base64?…?= value that is not UTF-8' });
  assert.deepEqual(decodeHeaderValue(b64('a\u0007b')), { problem: 'control characters in its value' });
  const huge = 'x'.repeat(1024 * 1024);
  assert.deepEqual(decodeHeaderValue(huge), { problem: `a value of ${huge.length} characters, over ${MAX_HEADER_CHARS}: not read` });
  const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'deploy' } };
  assert.equal(headerDisagreement({ method: { value: 'tools/call' }, name: { value: 'deploy' } }, call), undefined);
  assert.equal(headerDisagreement({ method: { value: 'tools/call' }, name: { value: 'status' } }, call), 'Mcp-Name names another target than the body');
  assert.equal(headerDisagreement({ method: { value: 'tools/list' } }, call), 'Mcp-Method names another method than the body\'s tools/call');
});


const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

/** One modern POST, its answer as bytes. */
async function post(url: string, headers: Record<string, string>, body: unknown) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', ...headers },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.text() };
}

test('HTTP, modern: hostile and disagreeing headers reach the v2 server unchanged; the host gets its answer, the proxy a diagnostic', { timeout: 60_000 }, async () => {
  const server = await startV2Server();
  const proxy = await startHttpProxy(server.url.href);
  try {
    const call = (id: number, extra: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'status', arguments: { id: 1 }, _meta: META, ...extra } });
    const cases: [string, Record<string, string>, unknown][] = [
      ['agreeing', { 'mcp-method': 'tools/call', 'mcp-name': 'status' }, call(1)],
      ['disagreeing name', { 'mcp-method': 'tools/call', 'mcp-name': 'deploy' }, call(2)],
      ['invalid base64', { 'mcp-method': 'tools/call', 'mcp-name': '=?base64?@@@?=' }, call(3)],
      ['control characters (base64)', { 'mcp-method': 'tools/call', 'mcp-name': b64('sta\u0000tus') }, call(4)],
      ['1 MB name', { 'mcp-method': 'tools/call', 'mcp-name': 'x'.repeat(1024 * 1024) }, call(5)],
      ['no _meta', { 'mcp-method': 'tools/call', 'mcp-name': 'status' }, { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'status', arguments: { id: 1 } } }],
    ];
    for (const [what, headers, body] of cases) {
      const direct = await post(server.url.href, headers, body);
      const proxied = await post(proxy.url, headers, body);
      assert.deepEqual(proxied, direct, what);
    }
    // The server itself refuses the disagreement with -32020 HeaderMismatch.
    const mismatch = await post(proxy.url, { 'mcp-method': 'tools/call', 'mcp-name': 'deploy' }, call(7));
    assert.match(mismatch.body, /-32020/);
    assert.ok(proxy.alive(), 'the proxy never crashes');
    const err = proxy.stderr();
    assert.match(err, /headers disagree with its body \(Mcp-Name names another target than the body\)/);
    assert.match(err, /Mcp-Name has an invalid =\?base64\?…\?= value/);
    assert.match(err, /Mcp-Name has control characters in its value/);
    assert.match(err, /Mcp-Name has a value of 1048576 characters, over 8192: not read/);
    assert.match(err, /a modern tools\/call request \(Mcp-Method header\) without io\.modelcontextprotocol\/protocolVersion in its _meta: relayed as it came, counted in the era its session last declared/);
    assert.doesNotMatch(err, /xxxxxxxx/, 'hostile values are never echoed');
  } finally {
    await proxy.stop();
    await server.stop();
  }
});
