/**
 * Attaches the server-side observer to a server's transport: incoming
 * requests (and cancellations) through an accessor on `onmessage`, so the
 * handler the SDK's Protocol sets is wrapped whenever it is set, and runs
 * inside the request's SERVER span context; outgoing answers through
 * `send`; the close through `onclose`, which the Protocol chains to.
 */
import { context as api, diag } from '@opentelemetry/api';
import { NETWORK_TRANSPORT_VALUES } from '@mcp-conservation/semconv';
import { isObject } from '../core/json.js';
import type { Connection, ServerFacts, ServerObserver } from './observer.js';
import { carryRequestPeer } from './request-headers.js';
import { watchToolCall } from './tool-gate.js';

interface ServerTransport {
  send(message: unknown, options?: unknown): Promise<void>;
  onmessage?(message: unknown, extra?: unknown): void;
  onclose?(): void;
  sessionId?: string;
}

const ATTACHED = Symbol.for('@mcp-conservation/server-connection');

function guard<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    diag.error(`mcp-conservation: ${what} failed; server telemetry for this message is incomplete`, error);
    return undefined;
  }
}

function networkTransportOf(transport: object): string {
  const name = (transport as { constructor?: { name?: string } }).constructor?.name ?? '';
  if (/stdio/i.test(name)) return NETWORK_TRANSPORT_VALUES.pipe;
  if (/http|sse/i.test(name)) return NETWORK_TRANSPORT_VALUES.tcp;
  return NETWORK_TRANSPORT_VALUES.inproc;
}

type OnMessage = (message: unknown, extra?: unknown) => void;

export function attachServerTransport(observer: ServerObserver, transport: ServerTransport, server: ServerFacts): void {
  const t = transport as ServerTransport & { [ATTACHED]?: Connection };
  if (!t || typeof t.send !== 'function' || t[ATTACHED]) return;
  const c: Connection = {
    networkTransport: networkTransportOf(t),
    sessionId: () => (typeof t.sessionId === 'string' ? t.sessionId : undefined),
    pending: new Map(),
    server,
    openedPerf: performance.now(),
    requests: 0,
  };
  Object.defineProperty(t, ATTACHED, { value: c, enumerable: false, configurable: true });
  carryRequestPeer(t);

  const send = t.send;
  t.send = function sendObserved(this: unknown, message: unknown, options?: unknown): Promise<void> {
    if (isObject(message) && message.method === undefined && 'id' in message) guard('observing an answer', () => observer.responseOut(c, message));
    return send.call(this ?? t, message, options);
  };

  const seen = new WeakSet<object>();
  const wrap = (handler: OnMessage | undefined): OnMessage =>
    function onmessageObserved(message: unknown, extra?: unknown) {
      let ctx;
      if (isObject(message) && !seen.has(message)) {
        seen.add(message);
        if (typeof message.method === 'string') {
          if ('id' in message && (typeof message.id === 'string' || typeof message.id === 'number')) ctx = guard('observing a request', () => observer.requestIn(c, message, extra));
          else if (message.method === 'notifications/cancelled' && isObject(message.params)) {
            const id = message.params.requestId;
            guard('observing a cancellation', () => observer.cancelled(c, id));
          }
        }
      }
      if (!handler) return;
      // The handler (the SDK's dispatch, and the tool it calls) runs in the request's span context.
      if (ctx) api.with(ctx, handler, t, message, extra);
      else handler.call(t, message, extra);
    };
  const inherited = accessorOf(t, 'onmessage');
  if (inherited?.set) {
    // The transport forwards its handler (v1's StreamableHTTPServerTransport hands it to the
    // web-standard transport it wraps): keep forwarding, wrapped, or no message would be dispatched.
    const forward = inherited.set;
    const initial = t.onmessage;
    Object.defineProperty(t, 'onmessage', {
      configurable: true,
      enumerable: true,
      get: () => inherited.get?.call(t),
      set: (handler: OnMessage | undefined) => forward.call(t, wrap(handler)),
    });
    if (initial) t.onmessage = initial;
  } else {
    let current = wrap(t.onmessage?.bind(t));
    Object.defineProperty(t, 'onmessage', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (handler: OnMessage | undefined) => {
        current = wrap(handler);
      },
    });
  }

  // Wrapped once, not through an accessor: the SDK's Protocol chains to the handler it finds, so ours runs first.
  const onclose = t.onclose;
  t.onclose = function closeObserved() {
    guard('observing a close', () => observer.closed(c));
    onclose?.call(t);
  };
}

/** The accessor that defines `name` on `target` or a prototype of it, if `name` is an accessor there. */
function accessorOf(target: object, name: string): PropertyDescriptor | undefined {
  for (let o: object | null = target; o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return d.get || d.set ? d : undefined;
  }
  return undefined;
}

/** What can be read of an SDK Server (v1 or v2), or of the McpServer that owns it. */
export function serverFacts(server: object, owner?: object): ServerFacts {
  const s = server as { _serverInfo?: { name?: unknown } };
  const o = owner as { _registeredTools?: Record<string, { enabled?: boolean }> } | undefined;
  return {
    name: () => (typeof s._serverInfo?.name === 'string' ? s._serverInfo.name : undefined),
    registeredTools: () => (o?._registeredTools && typeof o._registeredTools === 'object' ? new Set(Object.keys(o._registeredTools)) : undefined),
    watchToolCall: (name, params, requestId) => watchToolCall(owner, name, params, requestId),
  };
}
