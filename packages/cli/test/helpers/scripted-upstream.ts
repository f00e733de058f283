/**
 * A plain node:http upstream for what no SDK server does on purpose: each
 * `tools/call` is answered by the script its tool name picks. `status-<n>`
 * answers status n with no JSON-RPC body; `null-id-<n>` answers status n
 * with a JSON-RPC error whose id is null (the SDK 1.x servers' 404 for an
 * unknown session); `hang` opens an SSE stream, sends one notification and
 * never answers; `break` opens an SSE stream and destroys the connection
 * in the middle of its answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class ScriptedUpstream {
  /** Tool names of the calls received, in order. */
  readonly calls: string[] = [];
  /** Streams the client (through the proxy) closed before their end, by tool name. */
  readonly closedByClient: string[] = [];
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<URL> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mcp`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; params: { name: string } };
      const tool = message.params.name;
      this.calls.push(tool);
      const status = /^(status|null-id)-(\d+)$/.exec(tool);
      if (status?.[1] === 'status') {
        res.writeHead(Number(status[2]), { 'content-type': 'text/plain' }).end(`refused with ${status[2]}\n`);
      } else if (status) {
        res.writeHead(Number(status[2]), { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
      } else if (tool === 'hang') {
        res.on('close', () => {
          if (!res.writableFinished) this.closedByClient.push(tool);
        });
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working' } })}\n\n`);
      } else if (tool === 'break') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(`event: message\ndata: {"jsonrpc":"2.0","id":${message.id},"result":{"content":[{"type":"te`, () => res.destroy());
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: 'ok' }] } }));
      }
    });
  }
}
