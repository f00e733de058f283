/**
 * A stand-in OTLP backend served by the test: receives OTLP/HTTP JSON
 * (the gateway sends JSON when MCPC_OTLP_BACKEND_ENCODING=json), gzip or
 * not, and keeps what it got. It can go down and come back on the same port,
 * which is how tests take "the backend" away from the gateway.
 */
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { OtlpJsonKeyValue } from '@mcp-conservation/semconv/audit';
import { freePort } from './ports.js';

export interface OtlpJsonLogs {
  resourceLogs?: { resource?: { attributes?: unknown[] }; scopeLogs?: { logRecords?: { attributes?: unknown[]; body?: OtlpJsonAnyValue; eventName?: string }[] }[] }[];
}

/** An OTLP/JSON AnyValue (only the string form is read here). */
export interface OtlpJsonAnyValue {
  stringValue?: string;
}

interface OtlpJsonTraces {
  resourceSpans?: { resource?: { attributes?: OtlpJsonKeyValue[] }; scopeSpans?: { spans?: Omit<ReceivedSpan, 'resource'>[] }[] }[];
}

/** One span as the backend received it (OTLP/JSON: hex ids, `kind` as the proto enum: 2 server, 3 client), with its resource's attributes. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpJsonKeyValue[];
  resource: OtlpJsonKeyValue[];
}

export class OtlpBackend {
  readonly port: number;
  readonly url: string;
  /** Every /v1/logs request body, parsed. */
  readonly logs: OtlpJsonLogs[] = [];
  /** Every /v1/traces request body, parsed. */
  readonly traces: unknown[] = [];
  private server: Server | undefined;

  constructor(port: number) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        if (!String(req.headers['content-type']).includes('json')) {
          res.writeHead(415).end();
          return;
        }
        const body = JSON.parse(raw.toString('utf8'));
        if (req.url === '/v1/logs') this.logs.push(body);
        else if (req.url === '/v1/traces') this.traces.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.server = server;
  }

  /** Goes down: the port refuses connections until start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  /** Every span received, in arrival order (a span delivered twice appears twice). */
  spans(): ReceivedSpan[] {
    return (this.traces as OtlpJsonTraces[]).flatMap((b) =>
      (b.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((span) => ({ ...span, resource: rs.resource?.attributes ?? [] })))),
    );
  }

  /** Log records received, with their attributes (OTLP/JSON key-values) and body. */
  logRecords(): { attributes: unknown[]; body?: OtlpJsonAnyValue }[] {
    return this.logs.flatMap((b) =>
      (b.resourceLogs ?? []).flatMap((rl) => (rl.scopeLogs ?? []).flatMap((sl) => (sl.logRecords ?? []).map((r) => ({ attributes: r.attributes ?? [], ...(r.body ? { body: r.body } : {}) })))),
    );
  }
}

export async function createOtlpBackend(): Promise<OtlpBackend> {
  return new OtlpBackend(await freePort());
}
