/**
 * Hands relayed JSON-RPC messages to a core session, in both directions.
 * Shared by the stdio and HTTP relays. Every call is guarded: whatever
 * happens in here, the message still goes on.
 */
import { context, diag, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import type { McpSession } from '@mcp-conservation/instrumentation/core';
import { isObject } from '../json.js';


/** The shape the SDK's JSONRPCMessageSchema accepts, checked loosely: a request, notification or response. */
export function isJsonRpcMessage(v: unknown): boolean {
  if (!isObject(v) || v.jsonrpc !== '2.0') return false;
  if (typeof v.method === 'string') return true;
  return (typeof v.id === 'string' || typeof v.id === 'number') && ('result' in v || 'error' in v);
}

export type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: SyntaxError };

export function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof SyntaxError ? error : new SyntaxError(String(error)) };
  }
}

function guard<T>(what: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    diag.error(`mcp-conservation: proxy: ${what} failed; telemetry for this message is incomplete`, error);
    return fallback;
  }
}

/** Trace context headers a host may send on HTTP; `_meta` in the message wins over them. */
export type Carrier = Record<string, string>;

function observeOne(session: McpSession, message: unknown, carrier: Carrier): unknown {
  const params = isObject(message) && isObject(message.params) ? message.params : undefined;
  const meta = params && isObject(params._meta) ? (params._meta as Record<string, unknown>) : {};
  const fromMeta: Carrier = {};
  for (const key of ['traceparent', 'tracestate', 'baggage']) if (typeof meta[key] === 'string') fromMeta[key] = meta[key] as string;
  // The proxy's span is a child of the host's own span when the host propagated one.
  const parent = propagation.extract(ROOT_CONTEXT, { ...carrier, ...fromMeta });
  return context.with(parent, () => session.outgoing(message));
}

/**
 * Observes what the host sends (one message or a batch). Returns the value
 * to forward when it changed (a request gained trace context), else undefined:
 * the caller then forwards the original bytes.
 */
export function observeOutgoing(session: McpSession, value: unknown, carrier: Carrier = {}): unknown {
  return guard('observing a host message', undefined, () => {
    if (Array.isArray(value)) {
      const out = value.map((m) => observeOne(session, m, carrier));
      return out.some((m, i) => m !== value[i]) ? out : undefined;
    }
    const out = observeOne(session, value, carrier);
    return out !== value ? out : undefined;
  });
}

/** Observes what the server sends (one message or a batch); `wireBytes` is the size the message had on the wire. */
export function observeIncoming(session: McpSession, value: unknown, wireBytes: number): void {
  guard('observing a server message', undefined, () => {
    const list = Array.isArray(value) ? value : [value];
    for (const m of list) {
      if (!isJsonRpcMessage(m)) {
        // The SDK's reader rejects it; for a response, that is its loss.
        session.transportError(new SyntaxError('not a JSON-RPC message'));
        continue;
      }
      session.incoming(m, list.length === 1 ? wireBytes : Buffer.byteLength(JSON.stringify(m)));
    }
  });
}

export function observeUnparseable(session: McpSession, error: SyntaxError): void {
  guard('observing an unparseable message', undefined, () => session.transportError(error));
}
