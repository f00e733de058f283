/**
 * The server side on SDK 1.x over Streamable HTTP: `StreamableHTTPServerTransport`
 * is a wrapper whose `onmessage` is a prototype accessor forwarding to the
 * web-standard transport inside. Observing it must keep that forwarding (else no
 * request is ever answered) and still put each request in its SERVER span.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { instrumentClient, instrumentServer, observerOf, type InstrumentServerOptions } from '@mcp-conservation/instrumentation';
import { createTelemetry } from './helpers.ts';

test('v1 StreamableHTTPServerTransport (stateless), instrumented: answered, joined trace', { timeout: 30_000 }, async () => {
  const tel = createTelemetry();
  const providers = { tracerProvider: tel.tracerProvider, meterProvider: tel.meterProvider, loggerProvider: tel.loggerProvider };
  const serverOptions: InstrumentServerOptions = { ...providers };
  const httpServer = http.createServer((req, res) => {
    const server = instrumentServer(new McpServer({ name: 'v1-http', version: '1.0.0' }), serverOptions);
    server.registerTool('echo', { description: 'Echoes' }, async () => ({ content: [{ type: 'text' as const, text: 'echo' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void server.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(httpServer.address() as { port: number }).port}/mcp`);
  const client = instrumentClient(new Client({ name: 'c', version: '1' }), providers);
  await client.connect(new StreamableHTTPClientTransport(url));
  const result = await client.callTool({ name: 'echo', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'text', text: 'echo' }]);
  await client.close();
  await observerOf(client)!.forceFlush();
  httpServer.close();

  const spans = tel.spans.getFinishedSpans();
  const serverSpans = spans.filter((s) => s.kind === SpanKind.SERVER && s.name === 'tools/call echo');
  const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === 'tools/call echo')!;
  assert.equal(serverSpans.length, 1);
  assert.equal(serverSpans[0]!.spanContext().traceId, clientSpan.spanContext().traceId);
  assert.equal(serverSpans[0]!.parentSpanContext?.spanId, clientSpan.spanContext().spanId);
  assert.equal(serverSpans[0]!.attributes['network.transport'], 'tcp');
  await tel.shutdown();
});
