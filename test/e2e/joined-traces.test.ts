/**
 * Joined traces across two processes, as the Collector delivers them: an
 * instrumented MCP client process (`instrumentClient`) calls a tool of an
 * instrumented MCP server process (`instrumentServer`), whose tool does its
 * own work as an outgoing `fetch` traced by the real undici instrumentation.
 * Both processes export OTLP/HTTP to the agent; the spans are read at the
 * gateway's OTLP backend. Four cases: stdio and Streamable HTTP, each in the
 * 2025 protocol (SDK 1.x client and server) and in 2026-07-28 (the v2 client
 * in `auto` negotiation against a v2 server: `serveStdio`, or
 * `createMcpHandler` + `toNodeHandler`). In each, exactly one CLIENT and one
 * SERVER `tools/call <tool>` span (the tool is named by the case) share a
 * trace, the server span's parent is the client span, and the tool's HTTP
 * call is the server span's only child, the span the downstream service was
 * handed in its `traceparent` header.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ATTR_MCP_PROTOCOL_VERSION, ATTR_NETWORK_TRANSPORT, ATTR_PROTOCOL_ERA, MODERN_PROTOCOL_SINCE, NETWORK_TRANSPORT_VALUES, PROTOCOL_ERA_VALUES, spanName } from '@mcp-conservation/semconv';
import type { OtlpJsonKeyValue } from '@mcp-conservation/semconv/audit';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_SERVICE_NAME, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions';
import { phase, startStack, waitFor, type ReceivedSpan, type Stack } from '@mcp-conservation/e2e/harness';
import type { Era, Transport } from './joined/telemetry.ts';

const CLIENT_SCRIPT = fileURLToPath(new URL('./joined/client.ts', import.meta.url));
const SERVER_SCRIPT = fileURLToPath(new URL('./joined/server.ts', import.meta.url));
/** `Span.SpanKind` of opentelemetry-proto's trace.proto, as OTLP/JSON carries it. */
const OTLP_KIND = { server: 2, client: 3 } as const;
const STOCK = 'stock: 7 lamps';
/** A hang guard only: a case that takes this long has failed. */
const CASE_TIMEOUT_MS = 120_000;

interface Case {
  readonly transport: Transport;
  readonly era: Era;
}
const CASES: readonly Case[] = [
  { transport: 'stdio', era: 'legacy' },
  { transport: 'stdio', era: 'modern' },
  { transport: 'http', era: 'legacy' },
  { transport: 'http', era: 'modern' },
];
const toolOf = (c: Case): string => `stock_${c.transport}_${c.era}`;

/** The downstream service the server's tools call: answers STOCK and keeps each request's path and traceparent. */
class Downstream {
  readonly requests: { path: string; traceparent: string | undefined }[] = [];
  private readonly server = http.createServer((req, res) => {
    const traceparent = req.headers.traceparent;
    this.requests.push({ path: req.url ?? '', traceparent: typeof traceparent === 'string' ? traceparent : undefined });
    res.writeHead(200, { 'content-type': 'text/plain' }).end(STOCK);
  });
  port = 0;
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A fixture process run with this Node, its output kept. */
class Fixture {
  stdout = '';
  stderr = '';
  exit: number | string | undefined;
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;

  constructor(script: string, args: readonly string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString('utf8')));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve((this.exit = code ?? signal ?? 'unknown'))));
  }

  /** The first JSON line on stdout, once there is one. */
  line<T>(): T | undefined {
    const first = this.stdout.split('\n').find((l) => l.startsWith('{'));
    return first ? (JSON.parse(first) as T) : undefined;
  }

  failIf = (): string | undefined => (this.exit !== undefined && !this.line() ? `exited ${this.exit}: ${this.stderr.slice(-2000)}` : undefined);

  kill(): void {
    if (this.exit === undefined) this.child.kill('SIGTERM');
  }

  async stop(): Promise<number | string> {
    this.kill();
    return this.exited;
  }
}

const attr = (list: readonly OtlpJsonKeyValue[] | undefined, key: string): string | undefined => list?.find((a) => a.key === key)?.value?.stringValue;
const service = (s: ReceivedSpan): string | undefined => attr(s.resource, ATTR_SERVICE_NAME);
/** Spans counted once each: a redelivered span has the same id. */
const unique = (spans: readonly ReceivedSpan[]): ReceivedSpan[] => [...new Map(spans.map((s) => [s.spanId, s])).values()];

let stack: Stack;
const downstream = new Downstream();
const figures: Record<string, unknown> = {};

before(async () => {
  stack = await startStack({ alertmanager: false, auditArchive: false });
  await downstream.start();
});

after(async () => {
  console.log(`[e2e] joined traces: ${JSON.stringify(figures)}`);
  await downstream.stop();
  await stack?.stop();
});

describe('joined traces: client and server in two processes, through the Collector', () => {
  for (const c of CASES) {
    const tool = toolOf(c);
    test(`${c.transport} × ${c.era}: client and server tools/call spans share a trace, the server's HTTP call is its child`, { timeout: CASE_TIMEOUT_MS }, async () => {
      const env = { JOINED_OTLP_URL: stack.otlpUrl, JOINED_DOWNSTREAM_URL: downstream.url };
      const processes: Fixture[] = [];
      try {
        await phase(`joined ${c.transport} × ${c.era}`, async () => {
          // Over HTTP the server process listens first; over stdio the client process starts it.
          let target = SERVER_SCRIPT;
          let server: Fixture | undefined;
          if (c.transport === 'http') {
            server = new Fixture(SERVER_SCRIPT, [c.transport, c.era, tool], env);
            processes.push(server);
            const { port } = await waitFor(() => server!.line<{ port: number }>(), { what: 'the server process to listen', timeoutMs: 60_000, intervalMs: 50, failIf: server.failIf });
            target = `http://127.0.0.1:${port}/mcp`;
          }
          const client = new Fixture(CLIENT_SCRIPT, [c.transport, c.era, tool, target], env);
          processes.push(client);
          assert.equal(await client.exited, 0, `client process: ${client.stderr.slice(-2000)}`);
          assert.deepEqual(client.line(), { era: c.era, text: STOCK }, 'the negotiated era and the tool result');
          // The HTTP server exports what is left on SIGTERM and exits 0; the stdio one at the end of its stdin.
          if (server) assert.equal(await server.stop(), 0, `server process: ${server.stderr.slice(-2000)}`);
        });

        const calls = downstream.requests.filter((r) => r.path === `/${tool}`);
        assert.equal(calls.length, 1, 'one downstream call');
        const name = spanName('tools/call', tool);
        const isClient = (s: ReceivedSpan) => s.name === name && s.kind === OTLP_KIND.client;
        const isServer = (s: ReceivedSpan) => s.name === name && s.kind === OTLP_KIND.server;
        const at = await waitFor(
          () => {
            const all = stack.backend.spans();
            const serverSpan = all.find(isServer);
            return all.some(isClient) && serverSpan && all.some((s) => s.parentSpanId === serverSpan.spanId) ? all : undefined;
          },
          { what: `the client and server "${name}" spans and the server span's child at the backend`, timeoutMs: 60_000, intervalMs: 200 },
        );
        const clientSpans = unique(at.filter(isClient));
        const serverSpans = unique(at.filter(isServer));
        assert.equal(clientSpans.length, 1, 'exactly one client span');
        assert.equal(serverSpans.length, 1, 'exactly one server span');
        const [clientSpan, serverSpan] = [clientSpans[0]!, serverSpans[0]!];
        assert.equal(service(clientSpan), 'joined-client');
        assert.equal(service(serverSpan), 'joined-server');

        // Joined: one trace, the server span the client span's child.
        assert.equal(serverSpan.traceId, clientSpan.traceId);
        assert.equal(serverSpan.parentSpanId, clientSpan.spanId);
        assert.ok(!clientSpan.parentSpanId, 'the client span is the root');

        // Both sides saw the same era; the transport as each side names it.
        for (const s of [clientSpan, serverSpan]) assert.equal(attr(s.attributes, ATTR_PROTOCOL_ERA), PROTOCOL_ERA_VALUES[c.era]);
        if (c.era === 'modern') assert.equal(attr(serverSpan.attributes, ATTR_MCP_PROTOCOL_VERSION), MODERN_PROTOCOL_SINCE);
        assert.equal(attr(serverSpan.attributes, ATTR_NETWORK_TRANSPORT), c.transport === 'stdio' ? NETWORK_TRANSPORT_VALUES.pipe : NETWORK_TRANSPORT_VALUES.tcp);

        // The tool's own work: the server span's only child, the outgoing HTTP call the downstream saw.
        const children = unique(at.filter((s) => s.parentSpanId === serverSpan.spanId));
        assert.equal(children.length, 1, 'exactly one child of the server span');
        const httpSpan = children[0]!;
        assert.equal(httpSpan.kind, OTLP_KIND.client);
        assert.equal(httpSpan.traceId, serverSpan.traceId);
        assert.equal(service(httpSpan), 'joined-server');
        // The agent's allow-list keeps where the call went, not its URL (a query string may hold a secret).
        assert.equal(attr(httpSpan.attributes, ATTR_SERVER_ADDRESS), '127.0.0.1');
        assert.equal(Number(httpSpan.attributes?.find((a) => a.key === ATTR_SERVER_PORT)?.value?.intValue), downstream.port);
        assert.equal(httpSpan.attributes?.find((a) => a.key === ATTR_URL_FULL), undefined, 'url.full removed by the agent');
        assert.equal(calls[0]!.traceparent, `00-${httpSpan.traceId}-${httpSpan.spanId}-01`, 'the downstream was handed the HTTP span');
        figures[`${c.transport}_${c.era}`] = { trace: serverSpan.traceId, spansAtBackend: at.length };
      } finally {
        for (const p of processes) p.kill();
      }
    });
  }

  test('across the four cases: each tool span exactly once per side at the backend', () => {
    const spans = unique(stack.backend.spans());
    for (const c of CASES) {
      const name = spanName('tools/call', toolOf(c));
      assert.deepEqual(
        [OTLP_KIND.client, OTLP_KIND.server].map((kind) => spans.filter((s) => s.name === name && s.kind === kind).length),
        [1, 1],
        name,
      );
    }
    const stockCalls = spans.filter((s) => s.name.startsWith(spanName('tools/call', 'stock_')));
    assert.equal(stockCalls.length, CASES.length * 2);
  });
});
