/**
 * A recording hop in front of an HTTP server: it forwards every request to
 * `target` and its response back, and records both as they pass (the
 * request as the server receives it, the response as the server sends it),
 * so that two runs of a session, with and without something in front of the
 * hop, can be compared byte for byte. Hop-by-hop headers are this hop's own
 * (Node writes them), as for any HTTP intermediary.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedExchange {
  readonly method: string;
  readonly path: string;
  /** Raw request headers, in order, names lower-cased. */
  readonly requestHeaders: [string, string][];
  requestBody: Buffer;
  status?: number;
  responseHeaders?: [string, string][];
  /** The response bytes the server sent (an SSE stream's whole framing), up to the stream's end or the client's leaving. */
  responseBody: Buffer;
  /** The response ended (not cut by the client). */
  complete: boolean;
}

/** RFC 9110 §7.6.1: connection-specific, each hop's own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

export const pairs = (raw: readonly string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
};

export class RecordingHop {
  readonly exchanges: RecordedExchange[] = [];
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true });

  private readonly target: URL;

  constructor(target: URL) {
    this.target = target;
    this.server = http.createServer((req, res) => this.relay(req, res));
  }

  async start(): Promise<URL> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return new URL(this.target.pathname, `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
  }

  /** Forget what was recorded, for the next run. */
  reset(): void {
    this.exchanges.length = 0;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private relay(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    const ex: RecordedExchange = { method: req.method ?? '', path: req.url ?? '', requestHeaders: pairs(req.rawHeaders), requestBody: Buffer.alloc(0), responseBody: Buffer.alloc(0), complete: false };
    this.exchanges.push(ex);
    let up: http.ClientRequest | undefined;
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      ex.requestBody = Buffer.concat(chunks);
      const headers = ex.requestHeaders.filter(([n]) => !HOP_BY_HOP.has(n) && n !== 'host').flat();
      headers.push('host', this.target.host);
      up = http.request(new URL(ex.path, this.target), { method: ex.method, headers: headers as unknown as http.OutgoingHttpHeaders, agent: this.agent });
      up.on('response', (r) => {
        ex.status = r.statusCode;
        ex.responseHeaders = pairs(r.rawHeaders);
        res.writeHead(r.statusCode ?? 502, r.statusMessage, ex.responseHeaders.filter(([n]) => !HOP_BY_HOP.has(n)).flat());
        res.flushHeaders();
        const body: Buffer[] = [];
        r.on('data', (c: Buffer) => {
          body.push(c);
          ex.responseBody = Buffer.concat(body);
          res.write(c);
        });
        r.on('end', () => {
          ex.complete = true;
          res.end();
        });
      });
      up.on('error', () => res.destroy());
      up.end(ex.requestBody);
    });
    // The client left (a listen stream closed): so does the request to the server.
    res.on('close', () => {
      if (!res.writableFinished) up?.destroy();
    });
  }
}
