/**
 * The Streamable HTTP reverse proxy. Every request goes to the upstream
 * origin at the same path, with its headers (hop-by-hop ones aside, Host
 * naming the upstream unless it named another host: see upstream-host.ts);
 * responses come back with their status, headers and bytes as they arrive
 * (SSE streams unbuffered). Requests at the upstream's MCP path
 * are observed: POST bodies (one message or a batch) on the way up, JSON and
 * SSE bodies on the way down, one core session per MCP session id.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { NETWORK_TRANSPORT_VALUES } from '@mcp-conservation/semconv';
import type { McpSession } from '@mcp-conservation/instrumentation/core';
import { EXIT } from '../command-line/exit-codes.js';
import { isJsonRpcMessage, observeIncoming, observeOutgoing, observeUnparseable, parseJson, type Carrier, type Parsed } from './observe.js';
import { spliceTraceContext } from './meta-splice.js';
import { SseReader } from './sse.js';
import { ExchangeBook, type Exchange } from './exchange.js';
import { headerDisagreement, readMcpHeaders } from './mcp-headers.js';
import { isObject } from '../json.js';
import { PROTOCOL_ERA_VALUES, protocolEra } from '@mcp-conservation/semconv';
import { undeclaredNote, undeclaredRequests } from './meta-check.js';
import type { ProxyTelemetry } from './telemetry.js';
import { limitedNotes, type KindNote } from './limited-notes.js';
import { reportStateOnSignal, type InFlightState } from './state-report.js';
import { upstreamHost } from './upstream-host.js';

export interface HttpProxyOptions {
  readonly upstream: URL;
  readonly listen: { readonly host: string; readonly port: number };
  readonly maxMessageBytes: number;
  /** A session with no traffic and no open exchange this long has ended. */
  readonly sessionIdleMs: number;
  /** A client that closes a response stream after waiting this long timed out; before, it cancelled. */
  readonly streamTimeoutMs: number;
  /**
   * The audit chain of stateless (2026-07-28) HTTP traffic, which has no
   * session, is closed and a new one begun once it is this old.
   */
  readonly auditChainMaxAgeMs: number;
  readonly telemetry: ProxyTelemetry;
  readonly note: (message: string) => void;
  readonly step: (message: string) => void;
  /** Called once listening, with the bound address (tests listen on port 0). */
  readonly onListening?: (url: string) => void;
}

/** RFC 9110 §7.6.1 connection-specific headers; never forwarded by a proxy. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/** Raw headers (name, value, name, value...) without hop-by-hop ones and those named in Connection. */
function forwardable(raw: readonly string[], drop: ReadonlySet<string> = new Set()): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection') for (const n of (raw[i + 1] ?? '').split(',')) named.add(n.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name) || drop.has(name)) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A decoder of a Content-Encoding, for observing; undefined for identity, null when unknown. */
function decoder(encoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined | null {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === '' || e === 'identity') return undefined;
  if (e === 'gzip' || e === 'x-gzip') return zlib.createGunzip();
  if (e === 'deflate') return zlib.createInflate();
  if (e === 'br') return zlib.createBrotliDecompress();
  const z = zlib as unknown as { createZstdDecompress?: () => zlib.Gunzip };
  if (e === 'zstd' && z.createZstdDecompress) return z.createZstdDecompress();
  return null;
}

/**
 * A request body decoded, at most `max` bytes of it: a small compressed body
 * can inflate to gigabytes, so decoding stops at the limit (the body is then
 * relayed unread). Undefined when it cannot be decoded within the limit.
 */
function decodeSync(encoding: string | undefined, body: Buffer, max: number): Buffer | undefined {
  const e = (encoding ?? '').trim().toLowerCase();
  const bounded = { maxOutputLength: max };
  try {
    if (e === '' || e === 'identity') return body;
    if (e === 'gzip' || e === 'x-gzip') return zlib.gunzipSync(body, bounded);
    if (e === 'deflate') return zlib.inflateSync(body, bounded);
    if (e === 'br') return zlib.brotliDecompressSync(body, bounded);
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The upstream URL of a request: the upstream's origin with the request's
 * path and query only. A request target in absolute form (`http://other/x`)
 * or starting with `//` names another host; it must never be reached.
 */
export function upstreamTarget(requestUrl: string | undefined, upstream: URL): URL {
  const asked = new URL(requestUrl ?? '/', 'http://request.invalid');
  const target = new URL(upstream.origin);
  // Setting pathname and search cannot change the host, whatever they hold.
  target.pathname = asked.pathname;
  target.search = asked.search;
  return target;
}

/** A request as the proxy sends it on: its body, its session, and the exchange its requests belong to. */
interface Observed {
  readonly out: Buffer;
  readonly slot: SessionSlot | undefined;
  readonly exchange: Exchange | undefined;
}

interface SessionSlot {
  id: string | undefined;
  readonly session: McpSession;
  /** The session's requests in flight, by the exchange that carries each. */
  readonly book: ExchangeBook;
  /** Exchanges (a request and its answer, an SSE stream) open now. */
  exchanges: number;
  /** performance.now() of the last byte either way. */
  lastActive: number;
  /** performance.now() of the slot's opening: a stateless chain's age. */
  readonly openedAt: number;
}

function hasInitialize(value: unknown): boolean {
  const list = Array.isArray(value) ? value : [value];
  return list.some((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize');
}

/** How an exchange ended without an answer for some of its requests. */
type ExchangeEnd = { readonly kind: 'failed'; readonly error: Error } | { readonly kind: 'broken' } | { readonly kind: 'status'; readonly status: number } | { readonly kind: 'abandoned' };

export class HttpRelay {
  private readonly byId = new Map<string, SessionSlot>();
  /** A diagnostic of a kind, said the first times and then every thousandth time with its count. */
  private readonly noteOf: KindNote;
  /** The session of a server that gives no session ids (stateless). */
  private sessionless: SessionSlot | undefined;
  /** Stateless chains past their age, closed once their open exchanges end. */
  private readonly retiring = new Set<SessionSlot>();
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;
  private readonly port: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly o: HttpProxyOptions) {
    const secure = o.upstream.protocol === 'https:';
    this.noteOf = limitedNotes(o.note);
    this.client = secure ? https : http;
    this.agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true });
    this.port = o.upstream.port ? Number(o.upstream.port) : secure ? 443 : 80;
    this.sweeper = setInterval(() => this.endIdle(), Math.min(o.sessionIdleMs / 4, 30_000));
    this.sweeper.unref();
  }

  /**
   * Ends the sessions that went quiet: no exchange open (the SDK client
   * keeps its GET stream open while connected) and no traffic for the idle
   * time. A host closing without DELETE is seen only so. The session ends
   * at its last activity.
   */
  private endIdle(): void {
    const now = performance.now();
    const slots = new Set([...this.byId.values(), ...(this.sessionless ? [this.sessionless] : [])]);
    for (const slot of slots) {
      if (slot.exchanges === 0 && now - slot.lastActive >= this.o.sessionIdleMs) this.closeSlot(slot, slot.lastActive);
    }
    for (const slot of this.retiring) if (slot.exchanges === 0) this.closeSlot(slot, slot.lastActive);
  }

  /**
   * Stateless HTTP traffic (2026-07-28, no Mcp-Session-Id) is no session:
   * many clients share it. Its chain covers a stretch of time, one per
   * proxy and upstream, begun anew once it is `auditChainMaxAgeMs` old; the
   * old one ends when its open exchanges have.
   */
  private static stateless(slot: SessionSlot): boolean {
    return !slot.id && slot.session.era === PROTOCOL_ERA_VALUES.modern;
  }

  private rotateIfOld(slot: SessionSlot): SessionSlot {
    if (!HttpRelay.stateless(slot) || performance.now() - slot.openedAt < this.o.auditChainMaxAgeMs) return slot;
    this.sessionless = undefined;
    if (slot.exchanges === 0) this.closeSlot(slot, slot.lastActive);
    else this.retiring.add(slot);
    return (this.sessionless = this.open(undefined));
  }

  private open(id: string | undefined): SessionSlot {
    const slot: SessionSlot = {
      id,
      book: new ExchangeBook(),
      exchanges: 0,
      lastActive: performance.now(),
      openedAt: performance.now(),
      session: this.o.telemetry.core.openSession({
        networkTransport: NETWORK_TRANSPORT_VALUES.tcp,
        serverAddress: this.o.upstream.hostname,
        serverPort: this.port,
        mcpSessionId: () => slot.id,
        sessionless: () => HttpRelay.stateless(slot),
      }),
    };
    if (id) this.byId.set(id, slot);
    return slot;
  }

  private slotFor(id: string | undefined, initializing: boolean): SessionSlot {
    if (id) return this.byId.get(id) ?? this.open(id);
    if (initializing) return this.open(undefined);
    return this.sessionless ? this.rotateIfOld(this.sessionless) : (this.sessionless = this.open(undefined));
  }

  /** The upstream named the session: later requests carry this id. */
  private named(slot: SessionSlot, id: string | undefined): void {
    if (slot.id || !id) {
      if (!slot.id && slot !== this.sessionless) {
        // A server without session ids: this session is the one sessionless requests belong to.
        if (this.sessionless && this.sessionless !== slot) this.closeSlot(this.sessionless);
        this.sessionless = slot;
      }
      return;
    }
    slot.id = id;
    this.byId.set(id, slot);
  }

  private closeSlot(slot: SessionSlot, endedAt?: number): void {
    if (slot.id) this.byId.delete(slot.id);
    if (this.sessionless === slot) this.sessionless = undefined;
    this.retiring.delete(slot);
    slot.book.clear();
    try {
      slot.session.close(endedAt);
    } catch (error) {
      this.o.note(`closing a session's telemetry failed: ${String(error)}`);
    }
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    for (const slot of [...this.byId.values()]) this.closeSlot(slot);
    if (this.sessionless) this.closeSlot(this.sessionless);
    for (const slot of [...this.retiring]) this.closeSlot(slot);
    this.agent.destroy();
  }

  /** What is in flight now, across sessions (the state report). */
  inFlight(): InFlightState {
    const slots = new Set([...this.byId.values(), ...(this.sessionless ? [this.sessionless] : []), ...this.retiring]);
    let requests = 0;
    let listens = 0;
    let exchanges = 0;
    for (const slot of slots) {
      const size = slot.book.size;
      requests += size.requests;
      listens += size.listens;
      exchanges += slot.exchanges;
    }
    return { sessions: slots.size, requests, listens, exchanges };
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const target = upstreamTarget(req.url, this.o.upstream);
    const isMcp = target.pathname === this.o.upstream.pathname;
    const sessionId = header(req, 'mcp-session-id');
    let chunks: Buffer[] = [];
    let size = 0;
    // A body over the limit is not held: it streams upstream as it comes, unread.
    let streaming: http.ClientRequest | undefined;
    req.on('data', (c: Buffer) => {
      if (streaming) {
        if (!streaming.write(c)) {
          req.pause();
          streaming.once('drain', () => req.resume());
        }
        return;
      }
      size += c.length;
      chunks.push(c);
      if (size > this.o.maxMessageBytes) {
        this.o.note(`a request body over --max-message-bytes ${this.o.maxMessageBytes} is relayed unread`);
        const slot = isMcp && sessionId ? this.slotFor(sessionId, false) : undefined;
        streaming = this.forward(req, res, target, undefined, slot, slot?.book.open());
        for (const part of chunks) streaming.write(part);
        chunks = [];
      }
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (streaming) {
        streaming.end();
        return;
      }
      const body = Buffer.concat(chunks);
      let observed: Observed = { out: body, slot: undefined, exchange: undefined };
      try {
        observed = this.observeRequest(req, body, isMcp, sessionId);
      } catch (error) {
        // Whatever went wrong in here, the request still goes on as it came.
        this.o.note(`a request could not be observed (${String(error)}): relayed unread`);
      }
      const { out, slot, exchange } = observed;
      this.forward(req, res, target, out !== body ? out.length : undefined, slot, exchange).end(out);
    });
  }

  /**
   * Reads the modern standard headers against the body: a disagreement is
   * relayed unchanged (the server answers -32020) and said on stderr. A
   * request that is modern by its headers (Mcp-Method, or a 2026-07-28
   * Mcp-Protocol-Version) but declares no version in its _meta is said too,
   * and is to go on as it came (true): a _meta the proxy added for trace
   * context would change the server's answer.
   */
  private checkHeaders(req: IncomingMessage, value: unknown): boolean {
    const headers = readMcpHeaders((name) => header(req, name));
    const version = header(req, 'mcp-protocol-version');
    const modernVersion = protocolEra(version) === PROTOCOL_ERA_VALUES.modern;
    if (headers.method === undefined && headers.name === undefined && !modernVersion) return false;
    if (!Array.isArray(value) && (headers.method !== undefined || headers.name !== undefined)) {
      const disagreement = headerDisagreement(headers, value);
      if (disagreement) this.noteOf('header', `a POST's headers disagree with its body (${disagreement}): relayed unchanged, the server answers it`);
    }
    const why = headers.method !== undefined ? 'Mcp-Method header' : `Mcp-Protocol-Version ${version ?? ''}`;
    const undeclared = undeclaredRequests(value);
    for (const method of undeclared) this.noteOf('meta', undeclaredNote(method, why));
    return undeclared.length > 0;
  }

  /** Observes a request body held whole; returns the body to send (with trace context when it gained it). */
  private observeRequest(req: IncomingMessage, body: Buffer, isMcp: boolean, sessionId: string | undefined): Observed {
    let out = body;
    let slot: SessionSlot | undefined;
    let exchange: Exchange | undefined;
    if (isMcp && req.method === 'POST' && body.length > 0) {
      const encoding = header(req, 'content-encoding');
      const decoded = decodeSync(encoding, body, this.o.maxMessageBytes);
      if (!decoded) this.o.note(`a request body with content-encoding ${encoding} could not be decoded within --max-message-bytes ${this.o.maxMessageBytes}: relayed unread`);
      const parsed = decoded ? parseJson(decoded.toString('utf8')) : undefined;
      if (parsed?.ok) {
        const asItCame = this.checkHeaders(req, parsed.value);
        slot = this.slotFor(sessionId, hasInitialize(parsed.value));
        const carrier: Carrier = {};
        for (const k of ['traceparent', 'tracestate', 'baggage']) {
          const v = header(req, k);
          if (v) carrier[k] = v;
        }
        exchange = slot.book.open();
        const changed = observeOutgoing(slot.session, exchange.requests(parsed.value), carrier);
        // A compressed body is relayed as it came (observed, without trace context).
        if (changed !== undefined && decoded === body && !asItCame) {
          out = spliceTraceContext(body, parsed.value, changed) ?? body;
          if (out === body) this.o.note('trace context could not be added to a request: relayed as it came');
        }
      }
    } else if (isMcp && sessionId) {
      slot = this.slotFor(sessionId, false);
    }
    // A GET stream, or a body not read, is an exchange too: answers on it are paired through the session's book.
    if (slot && !exchange) exchange = slot.book.open();
    return { out, slot, exchange };
  }

  /**
   * Starts the upstream request and relays its answer; the caller writes the
   * body and ends it. `newLength`: the length of a body the proxy changed.
   * How the exchange's requests end when no answer ends them: see ended().
   */
  private forward(req: IncomingMessage, res: ServerResponse, target: URL, newLength: number | undefined, slot: SessionSlot | undefined, exchange: Exchange | undefined): http.ClientRequest {
    // Host first, where clients send it (RFC 9112 §3.2), and the rest in the host's order.
    const host = upstreamHost({ received: header(req, 'host'), localAddress: req.socket.localAddress, listenHost: this.o.listen.host, upstream: target });
    const headers = ['Host', host, ...forwardable(req.rawHeaders, new Set(['host', ...(newLength !== undefined ? ['content-length'] : [])]))];
    if (newLength !== undefined) headers.push('Content-Length', String(newLength));
    const upstream = this.client.request(target, { method: req.method ?? 'GET', headers: headers as unknown as http.OutgoingHttpHeaders, agent: this.agent });
    const end = (how: ExchangeEnd) => {
      if (slot && exchange) this.ended(slot.session, exchange, how);
    };
    let answered = false;
    let relayed = false;
    upstream.on('error', (error: Error) => {
      if (answered) return;
      answered = true;
      end({ kind: 'failed', error });
      this.o.note(`upstream ${req.method} ${target.pathname}: ${error.message}`);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`mcp-conservation proxy: upstream unreachable: ${error.message}\n`);
      } else res.destroy();
    });
    if (slot) {
      slot.exchanges++;
      slot.lastActive = performance.now();
    }
    // The host went away: so does our request upstream (an SSE stream ends there too).
    res.on('close', () => {
      if (!res.writableFinished) {
        if (!relayed) end({ kind: 'abandoned' });
        upstream.destroy();
      }
      if (slot) {
        slot.exchanges--;
        slot.lastActive = performance.now();
      }
    });
    upstream.on('response', (up) => {
      answered = true;
      const status = up.statusCode ?? 502;
      const ok = status >= 200 && status < 300;
      const newId = up.headers['mcp-session-id'];
      if (slot) this.named(slot, Array.isArray(newId) ? newId[0] : newId);
      res.writeHead(status, up.statusMessage, forwardable(up.rawHeaders));
      res.flushHeaders();
      if (slot && req.method === 'DELETE' && ok) this.closeSlot(slot);
      else if (slot && status === 404 && header(req, 'mcp-session-id')) this.closeSlot(slot);
      const type = String(up.headers['content-type'] ?? '').toLowerCase();
      // A non-2xx body is read too: a JSON-RPC error in it that names a request is that request's answer.
      const sink = slot && exchange ? this.observer(slot.session, exchange, type, up.headers['content-encoding'] as string | undefined, ok) : undefined;
      up.on('data', (c: Buffer) => {
        if (slot) slot.lastActive = performance.now();
        if (!res.write(c)) {
          up.pause();
          res.once('drain', () => up.resume());
        }
        sink?.push(c);
      });
      up.on('end', () => {
        relayed = true;
        const observed = () => {
          if (!ok) end({ kind: 'status', status });
        };
        if (sink) sink.end(observed);
        else observed();
        res.end();
      });
      const broken = () => {
        if (relayed) return;
        relayed = true;
        // A stream that gave an event id is resumed by the client (GET with Last-Event-ID): its answer may come there.
        if (!sink?.resumable()) end({ kind: 'broken' });
        res.destroy();
      };
      up.on('error', broken);
      up.on('aborted', broken);
      up.on('close', () => {
        if (!up.complete) broken();
      });
    });
    return upstream;
  }

  /**
   * An exchange's requests that no answer ended, by how the exchange ended:
   * the upstream unreachable (lost, transport_closed), breaking the stream
   * mid-answer (waiting for a re-issue, else lost so), a status with no JSON-RPC answer for them (lost, the
   * status as error.type), or the client closing the stream first
   * (cancelled, or a timeout past --stream-timeout). A stream that ends
   * cleanly leaves them pending: their answer may still come on another
   * stream of the session (a legacy GET stream, a resumed stream). So does
   * a broken stream that gave an event id: the SDK clients resume it by
   * GET with Last-Event-ID, and the answer replayed there is paired by id.
   */
  private ended(session: McpSession, exchange: Exchange, how: ExchangeEnd): void {
    try {
      if (how.kind === 'failed') exchange.failed(session, how.error);
      else if (how.kind === 'broken') exchange.broke(session, 'the upstream broke the response stream before the answer');
      else if (how.kind === 'status') exchange.failed(session, new Error(`HTTP ${how.status} with no JSON-RPC answer`), String(how.status));
      else exchange.abandoned(session, this.o.streamTimeoutMs);
    } catch (error) {
      this.o.note(`ending an exchange's requests failed: ${String(error)}`);
    }
  }

  /**
   * What observes a response body: SSE events or one JSON body, decoded
   * when compressed, its answers paired within `exchange`. `strict` (a 2xx
   * answer): what does not parse is the client's problem too, so it is
   * reported; a non-2xx body is read only for the JSON-RPC answers it
   * may carry. `end(done)` calls `done` once the body is observed.
   */
  private observer(session: McpSession, exchange: Exchange, type: string, encoding: string | undefined, strict: boolean): BodySink | undefined {
    const max = this.o.maxMessageBytes;
    const seen = (parsed: Parsed, bytes: number) => {
      if (parsed.ok && (strict || isAnswer(parsed.value))) observeIncoming(session, exchange.answers(parsed.value), bytes);
      else if (!parsed.ok && strict) observeUnparseable(session, parsed.error);
    };
    const tooBig = (what: string, bytes: number) => {
      this.o.note(`a ${bytes}-byte ${what} exceeds --max-message-bytes ${max}: relayed unread`);
      if (strict) observeUnparseable(session, new SyntaxError(`a ${bytes}-byte ${what} exceeded the proxy's limit and was not parsed`));
    };
    let consume: { push(c: Buffer): void; end(): void };
    let resumable = () => false;
    if (type.startsWith('text/event-stream')) {
      const reader = new SseReader(
        max,
        (data, event) => {
          if (event === 'message') seen(parseJson(data), Buffer.byteLength(data));
        },
        (bytes) => tooBig('SSE event', bytes),
      );
      consume = { push: (c) => reader.push(c), end: () => reader.end() };
      resumable = () => reader.resumable;
    } else if (type.startsWith('application/json')) {
      const parts: Buffer[] = [];
      let size = 0;
      consume = {
        push(c) {
          size += c.length;
          if (size <= max) parts.push(c);
        },
        end: () => {
          if (size > max) return tooBig('response', size);
          const text = Buffer.concat(parts);
          if (text.length > 0) seen(parseJson(text.toString('utf8')), text.length);
        },
      };
    } else return undefined;
    const z = decoder(encoding);
    if (z === null) {
      this.o.note(`content-encoding ${encoding} is not known: the response is relayed unread`);
      return undefined;
    }
    if (z === undefined) return { push: (c) => consume.push(c), end: (done) => (consume.end(), done()), resumable };
    let finish = () => {};
    const once = () => {
      const f = finish;
      finish = () => {};
      f();
    };
    z.on('data', (c: Buffer) => consume.push(c));
    z.on('end', () => {
      consume.end();
      once();
    });
    z.on('error', (error) => {
      this.o.note(`cannot decode a ${encoding} response for observing: ${error.message}`);
      once();
    });
    return {
      push: (c) => z.write(c),
      end: (done) => {
        finish = done;
        z.end();
      },
      // What the decoder has given so far: bytes still in it are not seen yet.
      resumable,
    };
  }
}

/** Observes a response body as it passes. */
interface BodySink {
  push(c: Buffer): void;
  end(done: () => void): void;
  /** An SSE body that gave an event id so far: the client can resume it. */
  resumable(): boolean;
}

/** A JSON-RPC response (or a batch holding one): what a non-2xx body is read for. */
function isAnswer(value: unknown): boolean {
  const list = Array.isArray(value) ? value : [value];
  return list.some((m) => isObject(m) && m.method === undefined && isJsonRpcMessage(m));
}

/** Request headers the proxy accepts in all (Node's default is 16 KiB). */
const MAX_HEADER_BYTES = 2 * 1024 * 1024;

export function runHttpProxy(o: HttpProxyOptions): Promise<number> {
  return new Promise((resolve) => {
    const relay = new HttpRelay(o);
    // A hostile header (a 1 MB Mcp-Name) reaches the upstream, which decides on it as it would without us; past this the host gets 431.
    const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
      try {
        relay.handle(req, res);
      } catch (error) {
        o.note(`internal error relaying ${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}: ${String(error)}`);
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      }
    });
    // SSE streams are long: no request or header timeouts of our own beyond the host's and upstream's.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    let stopping = false;
    const stopReporting = reportStateOnSignal(o.note, () => relay.inFlight());
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      stopReporting();
      o.step(`${signal}: stopping`);
      server.close();
      server.closeAllConnections();
      relay.closeAll();
      void o.telemetry.shutdown().then(() => resolve(EXIT.ok));
    };
    server.on('error', (error: NodeJS.ErrnoException) => {
      o.note(`cannot listen on ${o.listen.host}:${o.listen.port}: ${error.message}`);
      void o.telemetry.shutdown(2000).then(() => resolve(EXIT.unreachable));
    });
    server.listen(o.listen.port, o.listen.host, () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : o.listen.port;
      const host = o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host;
      const url = `http://${host}:${port}${o.upstream.pathname}`;
      o.step(`listening on ${url}, relaying to ${o.upstream.origin}${o.upstream.pathname}`);
      o.onListening?.(url);
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  });
}
