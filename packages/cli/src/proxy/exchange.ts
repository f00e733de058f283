/**
 * The requests of one HTTP exchange (a POST and the response stream it
 * opens), as the proxy hands them to the core session they belong to.
 *
 * The core pairs an answer with its request by JSON-RPC id and keeps one
 * request per id pending. Over stateless (2026-07-28) HTTP every client
 * shares the proxy's one sessionless core session, and each numbers its
 * ids from 1: two clients both sending id 1 at once would collide. An
 * answer belongs to the exchange whose stream carries it, so the book
 * gives the core, for a request whose id another request of the session
 * still has in flight, a pairing key of its own (`1#7`: id 1 of the
 * session's 7th exchange), and gives that exchange's answer back under the
 * same key. The key is for pairing only: the request is handed over noted
 * with its wire id (`underPairingKey`), which its span and audit record
 * carry. Without a collision the core sees the id as it came. The host and
 * the server only ever see their own bytes.
 */
import { underPairingKey, type McpSession } from '@mcp-conservation/instrumentation/core';
import { isObject } from '../json.js';

type Msg = Record<string, unknown>;

const LISTEN_METHOD = 'subscriptions/listen';
type Id = string | number;

/** One request in flight: its id on the wire, and the id the core knows it by. */
interface InFlight {
  readonly wireId: string;
  readonly key: Id;
  /** The request as the core saw it (with `key` as its id): what sendFailed and cancellations name. */
  readonly request: Msg;
  /** A `subscriptions/listen` stream: long-lived, never pending (the core follows it apart). */
  readonly listen: boolean;
}

const isRequest = (m: unknown): m is Msg & { id: Id } => isObject(m) && typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number');
const isResponse = (m: unknown): m is Msg & { id: Id } => isObject(m) && m.method === undefined && (typeof m.id === 'string' || typeof m.id === 'number') && ('result' in m || 'error' in m);

/** Maps each message of a value (one message or a batch); the same value back when none changed. */
function mapValue(value: unknown, one: (m: unknown) => unknown): unknown {
  if (!Array.isArray(value)) return one(value);
  const out = value.map(one);
  return out.some((m, i) => m !== value[i]) ? out : value;
}

/** The requests in flight of one core session, across its exchanges. */
export class ExchangeBook {
  /** By the core's key, as a string (the core's own pending key). */
  private readonly inFlight = new Map<string, InFlight>();
  /** By wire id: usually one request, several when clients reuse an id at once. */
  private readonly byWire = new Map<string, Set<InFlight>>();
  private opened = 0;

  open(): Exchange {
    return new Exchange(this, ++this.opened);
  }

  /** A request enters the session: its key is its own id unless that is in flight already. */
  admit(message: Msg & { id: Id }, exchange: number): InFlight {
    const wireId = String(message.id);
    let key: Id = message.id;
    if (this.inFlight.has(wireId)) {
      key = `${wireId}#${exchange}`;
      while (this.inFlight.has(key)) key += '#';
    }
    const f: InFlight = { wireId, key, request: key === message.id ? message : underPairingKey({ ...message, id: key }, message.id), listen: message.method === LISTEN_METHOD };
    this.inFlight.set(String(key), f);
    let same = this.byWire.get(wireId);
    if (!same) this.byWire.set(wireId, (same = new Set()));
    same.add(f);
    return f;
  }

  /** Requests in flight, and of them the listen streams: what the proxy holds for this session now. */
  get size(): { readonly requests: number; readonly listens: number } {
    let listens = 0;
    for (const f of this.inFlight.values()) if (f.listen) listens++;
    return { requests: this.inFlight.size - listens, listens };
  }

  has(f: InFlight): boolean {
    return this.inFlight.get(String(f.key)) === f;
  }

  release(f: InFlight): void {
    if (!this.has(f)) return;
    this.inFlight.delete(String(f.key));
    const same = this.byWire.get(f.wireId);
    same?.delete(f);
    if (same?.size === 0) this.byWire.delete(f.wireId);
  }

  /** The one request in flight with this wire id, when there is exactly one (an answer or a cancellation outside its exchange). */
  only(wireId: string): InFlight | undefined {
    const same = this.byWire.get(wireId);
    return same?.size === 1 ? same.values().next().value : undefined;
  }

  clear(): void {
    this.inFlight.clear();
    this.byWire.clear();
  }
}

/** One POST (or GET stream) and its response: the requests it carried, until each is answered or ended. */
export class Exchange {
  /** performance.now() when the request arrived: how long the client waited when it gives up. */
  readonly startedAt = performance.now();
  private readonly mine: InFlight[] = [];

  private readonly book: ExchangeBook;
  private readonly seq: number;

  constructor(book: ExchangeBook, seq: number) {
    this.book = book;
    this.seq = seq;
  }

  /**
   * The host's value (a message or a batch) as the core observes it: its
   * requests under their keys, a cancellation naming the key of the one
   * request in flight with that id.
   */
  requests(value: unknown): unknown {
    return mapValue(value, (m) => {
      if (isRequest(m)) {
        const f = this.book.admit(m, this.seq);
        this.mine.push(f);
        return f.request;
      }
      if (isObject(m) && m.method === 'notifications/cancelled' && isObject(m.params)) {
        const f = this.book.only(String(m.params.requestId));
        if (f && f.key !== m.params.requestId) return { ...m, params: { ...m.params, requestId: f.key } };
      }
      return m;
    });
  }

  /**
   * The upstream's value on this exchange's stream as the core observes it:
   * an answer to one of this exchange's requests under that request's key;
   * another answer (a GET stream's, a resumed stream's) under the key of the
   * one request in flight with its id, else as it came.
   */
  answers(value: unknown): unknown {
    return mapValue(value, (m) => {
      if (!isResponse(m)) return m;
      const wireId = String(m.id);
      const f = this.mine.find((r) => r.wireId === wireId && this.book.has(r)) ?? this.book.only(wireId);
      if (!f) return m;
      this.book.release(f);
      return f.key === m.id ? m : { ...m, id: f.key };
    });
  }

  /**
   * The exchange failed before answering: the upstream was unreachable, or
   * answered a status with no JSON-RPC answer for them (`errorType`: the
   * status code, "401"). Its requests still unanswered are lost.
   */
  failed(session: McpSession, error: Error, errorType?: string): void {
    for (const m of this.takeUnanswered()) session.sendFailed(m, error, errorType);
  }

  /**
   * The upstream broke the stream mid-answer, and the client cannot resume
   * it (it gave no event id). Its requests still unanswered wait for a
   * re-issue, their call's next leg; without one they are lost.
   */
  broke(session: McpSession, statusMessage: string): void {
    for (const m of this.takeUnanswered()) session.responseStreamBroke(m, statusMessage);
  }

  /**
   * The client closed the response stream with requests unanswered: it gave
   * up on them, as a cancellation would say, and past `timeoutMs` of waiting
   * as a timeout would.
   */
  abandoned(session: McpSession, timeoutMs: number): void {
    const waited = Math.round(performance.now() - this.startedAt);
    const reason = waited >= timeoutMs
      ? `timed out: the client closed the response stream after ${waited} ms, past --stream-timeout ${timeoutMs} ms`
      : `the client closed the response stream after ${waited} ms, before the answer`;
    for (const m of this.takeUnanswered()) session.outgoing({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: m.id, reason } });
  }

  /** The requests no answer ended yet, as the core knows them; ends them here (each is handed back once). */
  takeUnanswered(): Msg[] {
    const open = this.mine.filter((f) => this.book.has(f));
    for (const f of open) this.book.release(f);
    return open.map((f) => f.request);
  }
}
