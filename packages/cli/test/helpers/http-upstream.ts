/**
 * A real MCP SDK server over Streamable HTTP (`StreamableHTTPServerTransport`,
 * stateful, one McpServer per session), for the HTTP proxy tests. It
 * requires a bearer token, records every JSON-RPC message and every
 * request's headers it receives, and has tools for each kind of exchange:
 * plain results, a tool error, progress, sampling and elicitation requests
 * to the client, a notification on the standalone GET stream, and a tool
 * that runs until cancelled.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export const TOKEN = 'Bearer s3cret-proxy-test-token';

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'http-upstream', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('echo', { description: 'Echoes its message', inputSchema: { message: z.string() } }, ({ message }) => ({ content: [{ type: 'text', text: `echo: ${message}` }] }));
  server.registerTool('fail', { description: 'Always fails as a tool' }, () => ({ content: [{ type: 'text', text: 'it failed' }], isError: true }));
  server.registerTool('count', { description: 'Counts to n with progress', inputSchema: { n: z.number() } }, async ({ n }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n } });
    }
    return { content: [{ type: 'text', text: `counted to ${n}` }] };
  });
  server.registerTool('ask-llm', { description: 'Asks the client to sample' }, async (extra) => {
    const r = await extra.sendRequest(
      { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'what is 6 times 7?' } }], maxTokens: 5 } },
      z.object({ content: z.object({ type: z.string(), text: z.string().optional() }) }).passthrough(),
    );
    return { content: [{ type: 'text', text: `the model said: ${r.content.text}` }] };
  });
  server.registerTool('ask-user', { description: 'Asks the user through elicitation' }, async () => {
    const r = await server.server.elicitInput({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
    return { content: [{ type: 'text', text: `hello ${String(r.content?.name)} (${r.action})` }] };
  });
  server.registerTool('announce', { description: 'Logs on the standalone stream' }, async () => {
    await server.server.sendLoggingMessage({ level: 'info', data: 'announced on the GET stream' });
    return { content: [{ type: 'text', text: 'announced' }] };
  });
  server.registerTool('wait', { description: 'Runs until cancelled, after one progress notification' }, async (extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 0 } });
    await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve(), { once: true }));
    return { content: [{ type: 'text', text: 'cancelled, not sent' }] };
  });
  return server;
}

export class HttpUpstream {
  /** JSON-RPC messages received, across sessions, in order. */
  readonly received: unknown[] = [];
  readonly headers: IncomingHttpHeaders[] = [];
  private transports = new Map<string, StreamableHTTPServerTransport>();
  private sessions = 0;
  private readonly server: http.Server;
  port = 0;
  private readonly json: boolean;

  constructor(json: boolean) {
    this.json = json;
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/mcp`;
  }

  /** Forget what was recorded and number sessions from 1 again, for the next run. */
  reset(): void {
    this.received.length = 0;
    this.headers.length = 0;
    this.sessions = 0;
  }

  async stop(): Promise<void> {
    for (const t of this.transports.values()) await t.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.headers.push(req.headers);
    if (req.headers.authorization !== TOKEN) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? this.transports.get(sid) : undefined;
    if (!transport) {
      if (sid !== undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => `session-${++this.sessions}`,
        enableJsonResponse: this.json,
        onsessioninitialized: (id) => {
          this.transports.set(id, t);
        },
        onsessionclosed: (id) => {
          this.transports.delete(id);
        },
      });
      t.onmessage = (m) => this.received.push(m);
      await mcpServer().connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res);
  }
}
