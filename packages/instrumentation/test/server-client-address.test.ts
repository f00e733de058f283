/**
 * `client.address` and `client.port` on SERVER spans, from the forwarding
 * headers of the HTTP request, else from its socket's peer: a v2 server
 * behind createMcpHandler and the node adapter in the modern era, and a v1
 * Streamable HTTP server with sessions, each with a real client sending the
 * headers a load balancer adds and one sending none. The second client's
 * address and port are what the HTTP server saw on its socket: v1's Node
 * transport is handed the Node request; v2's node adapter turns it into a
 * plain web Request, which keeps no socket, so its handler is wrapped by
 * carryClientAddress (McpInstrumentation wraps it itself, see
 * server-auto.test.ts); unwrapped, there is no socket peer to give.
 * Values that name no IP are left out. The v1 case is also
 * the guard of a hang: v1's StreamableHTTPServerTransport forwards its
 * `onmessage` to the web-standard transport it wraps, and an observer that
 * kept the handler to itself left every request undispatched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as ClientTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { carryClientAddress, instrumentServer } from '@mcp-conservation/instrumentation';
import { forwardedClient } from '../src/server/request-headers.ts';
import { createTelemetry } from './helpers.ts';

async function listen(server: http.Server): Promise<URL> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`);
}

const addressOf = (tel: ReturnType<typeof createTelemetry>, name: string) =>
  tel.spans
    .getFinishedSpans()
    .filter((s) => s.name === name)
    .map((s) => [s.attributes['client.address'] ?? null, s.attributes['client.port'] ?? null]);

for (const carried of [true, false]) {
  test(`v2 server, modern era, node adapter ${carried ? 'wrapped by carryClientAddress' : 'unwrapped'}: the first X-Forwarded-For hop is client.address; without forwarding headers, ${carried ? "the socket's peer" : 'none'}`, async () => {
    const tel = createTelemetry();
    const options = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider };
    const nodeHandler = toNodeHandler(
      createMcpHandler(() => {
        const server = new McpServer({ name: 'addressed', version: '2.0.0' });
        server.registerTool('hello', { description: 'Greets' }, async () => ({ content: [{ type: 'text' as const, text: 'hi' }] }));
        return instrumentServer(server, options);
      }),
    );
    const handler = carried ? carryClientAddress(nodeHandler) : nodeHandler;
    const peers: [string, number][] = [];
    const httpServer = http.createServer((req, res) => {
      if (req.headers['mcp-method'] === 'tools/call') peers.push([req.socket.remoteAddress!, req.socket.remotePort!]);
      void handler(req, res);
    });
    try {
      const url = await listen(httpServer);
      for (const headers of [{ 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' }, {}]) {
        const client = new Client({ name: 'c', version: '1' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 2000 } } });
        await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
        await client.callTool({ name: 'hello', arguments: {} });
        await client.close();
      }
    } finally {
      httpServer.close();
    }
    assert.equal(peers.length, 2);
    assert.deepEqual(addressOf(tel, 'tools/call hello'), [['203.0.113.7', null], carried ? peers[1] : [null, null]]);
    await tel.shutdown();
  });
}

test('v1 Streamable HTTP server: Forwarded for= gives address and port; a client without the headers gets its socket\'s', async () => {
  const tel = createTelemetry();
  const options = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider };
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const peers: [string, number][] = [];
  const httpServer = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    if (body?.method === 'tools/call') peers.push([req.socket.remoteAddress!, req.socket.remotePort!]);
    const sid = req.headers['mcp-session-id'] as string | undefined;
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      const server = new McpServerV1({ name: 'addressed-v1', version: '1.0.0' });
      server.registerTool('hello', { description: 'Greets' }, async () => ({ content: [{ type: 'text' as const, text: 'hi' }] }));
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, transport!) });
      await instrumentServer(server, options).connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  try {
    const url = await listen(httpServer);
    for (const headers of [{ Forwarded: 'for="[2001:db8::17]:4711";proto=https, for=198.51.100.2' }, {}]) {
      const client = new ClientV1({ name: 'c', version: '1' });
      await client.connect(new ClientTransportV1(url, { requestInit: { headers } }));
      await client.callTool({ name: 'hello', arguments: {} });
      await client.close();
    }
  } finally {
    httpServer.close();
  }
  assert.equal(peers.length, 2);
  assert.deepEqual(addressOf(tel, 'tools/call hello'), [['2001:db8::17', 4711], peers[1]]);
  await tel.shutdown();
});

test('forwarding headers that name no IP, or are too long to parse, give no address', () => {
  const v1 = (headers: Record<string, string>) => forwardedClient({ requestInfo: { headers } });
  assert.deepEqual(v1({ forwarded: 'for=192.0.2.60:8080;proto=http' }), { address: '192.0.2.60', port: 8080 });
  assert.deepEqual(v1({ forwarded: 'for=unknown' }), undefined);
  assert.deepEqual(v1({ forwarded: 'for="_hidden"' }), undefined);
  assert.deepEqual(v1({ 'x-forwarded-for': 'not-an-ip, 10.0.0.1' }), undefined);
  assert.deepEqual(v1({ 'x-forwarded-for': '2001:db8::1' }), { address: '2001:db8::1' });
  assert.deepEqual(v1({ 'x-forwarded-for': `${'1'.repeat(5000)}` }), undefined);
  assert.deepEqual(v1({ forwarded: 'for=192.0.2.60:99999' }), { address: '192.0.2.60' });
  assert.equal(forwardedClient(undefined), undefined);
  assert.equal(forwardedClient({ request: { headers: { get: () => { throw new Error('hostile'); } } } }), undefined);
});
