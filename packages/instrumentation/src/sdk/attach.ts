/**
 * Attaches a session of the measuring core to an SDK transport. The SDK's
 * Protocol chains to handlers already set on the transport when it
 * connects, so observing works whether we attach before or after connect.
 * Every hook is guarded: the host's messages flow unchanged in meaning
 * whatever happens in here.
 */
import { diag } from '@opentelemetry/api';
import { NETWORK_TRANSPORT_VALUES } from '@mcp-conservation/semconv';
import type { MeasuringCore } from '../core/core.js';
import type { Settled } from '../core/model.js';
import type { TransportInfo } from '../core/recorder.js';
import type { McpSession } from '../core/session.js';

/** The minimal shape of an MCP SDK Transport that we rely on. */
export interface TransportLike {
  send(message: unknown, options?: unknown): Promise<void>;
  // Method syntax: parameters are checked bivariantly, so SDK transports with narrower message types fit.
  onmessage?(message: unknown, extra?: unknown): void;
  onclose?(): void;
  onerror?(error: Error): void;
  sessionId?: string;
}

const SESSION = Symbol.for('@mcp-conservation/session');

type Observed = TransportLike & { [SESSION]?: McpSession };

function guard(what: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    diag.error(`mcp-conservation: ${what} failed; telemetry for this message is incomplete`, error);
  }
}

/** What can be said of a transport from its public shape. */
export function describeTransport(transport: object): TransportInfo {
  const t = transport as { constructor?: { name?: string }; _url?: unknown; sessionId?: string };
  const name = t.constructor?.name ?? '';
  const url = t._url instanceof URL ? t._url : undefined;
  const sessionId = () => (transport as TransportLike).sessionId;
  if (url) {
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return { networkTransport: NETWORK_TRANSPORT_VALUES.tcp, serverAddress: url.hostname, serverPort: port, mcpSessionId: sessionId };
  }
  if (/stdio/i.test(name)) return { networkTransport: NETWORK_TRANSPORT_VALUES.pipe, mcpSessionId: sessionId };
  return { networkTransport: NETWORK_TRANSPORT_VALUES.inproc, mcpSessionId: sessionId };
}

/** The session observing a transport, if any. */
export function sessionOf(transport: unknown): McpSession | undefined {
  return (transport as Observed | undefined)?.[SESSION];
}

/**
 * Observes a transport: a session from its connect to its close. A transport
 * connected again after it closed (the SDK allows it: a stdio transport
 * spawns its server anew) gets a new session; the hooks, set once, always
 * feed the transport's current session.
 */
export function attachToTransport(core: MeasuringCore, transport: TransportLike, info: TransportInfo = describeTransport(transport)): McpSession {
  const observed = transport as Observed;
  const existing = observed[SESSION];
  if (existing && !existing.isClosed) return existing;
  const session = core.openSession(info);
  Object.defineProperty(observed, SESSION, { value: session, enumerable: false, configurable: true, writable: true });
  if (existing) return session;
  const current = (): McpSession => observed[SESSION] as McpSession;

  const send = transport.send;
  transport.send = function sendObserved(this: unknown, message: unknown, options?: unknown): Promise<void> {
    let out = message;
    const session = current();
    guard('observing an outgoing message', () => {
      out = session.outgoing(message);
    });
    const result = send.call(this ?? transport, out, withStreamEnd(out, options, current));
    // Observe a failed send without changing the promise the caller holds.
    if (result && typeof result.then === 'function') {
      result.then(undefined, (error: unknown) => guard('observing a failed send', () => session.sendFailed(out, error)));
    }
    return result;
  };

  observeIncoming(transport, current);
  const onclose = transport.onclose;
  transport.onclose = () => {
    guard('observing a close', () => current().close());
    onclose?.call(transport);
  };
  const onerror = transport.onerror;
  transport.onerror = (error: Error) => {
    guard('observing a transport error', () => current().transportError(error));
    onerror?.call(transport, error);
  };
  return session;
}

/**
 * A request's send options with an `onRequestStreamEnd` that tells the
 * session when the request's own response stream ended for good (the SDK
 * v2 HTTP transport calls it when the stream breaks or ends before the
 * answer and will not be resumed; v1 and single-channel transports ignore
 * it). The host's own callback, if any, is called as before.
 */
function withStreamEnd(message: unknown, options: unknown, current: () => McpSession): unknown {
  const m = message as { method?: unknown; id?: unknown } | null;
  if (typeof m !== 'object' || m === null || typeof m.method !== 'string' || m.id === undefined || m.id === null) return options;
  if (options !== undefined && (typeof options !== 'object' || options === null)) return options;
  const own = (options as { onRequestStreamEnd?: unknown } | undefined)?.onRequestStreamEnd;
  if (own !== undefined && typeof own !== 'function') return options;
  const session = current();
  return {
    ...(options as object | undefined),
    onRequestStreamEnd(this: unknown) {
      guard('observing a response stream that ended', () => session.responseStreamEnded(message));
      (own as (() => void) | undefined)?.call(this);
    },
  };
}

type OnMessage = (message: unknown, extra?: unknown) => void;

/**
 * Observes every message the transport delivers, whoever handles it. An
 * accessor, not a one-time wrap: the v2 client's in-place `server/discover`
 * probe sets a handler of its own during connect, and the SDK's Protocol
 * sets another after it. A handler that chains to the one it replaced
 * would pass a message through twice: each message is observed once.
 */
function observeIncoming(transport: TransportLike, current: () => McpSession): void {
  const seen = new WeakSet<object>();
  const wrap = (handler: OnMessage | undefined): OnMessage =>
    function onmessageObserved(message: unknown, extra?: unknown) {
      if (typeof message === 'object' && message !== null && !seen.has(message)) {
        seen.add(message);
        guard('observing an incoming message', () => current().incoming(message));
      }
      handler?.call(transport, message, extra);
    };
  let observed = wrap(transport.onmessage?.bind(transport));
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    enumerable: true,
    get: () => observed,
    set: (handler: OnMessage | undefined) => {
      observed = wrap(handler);
    },
  });
}

/**
 * The v2 client serves listings and resource reads from its cache, with no
 * wire traffic: its (private) `_serveFromCache` resolves to the cached
 * result on a hit. Wraps it so that a hit reaches the session as a call of
 * zero legs. The promise returned is the SDK's own.
 */
export function watchCache<T>(transport: unknown, method: unknown, call: () => T): T {
  const result = call();
  const p = result as unknown as Promise<unknown>;
  if (!p || typeof p.then !== 'function' || typeof method !== 'string') return result;
  p.then(
    (value) => {
      if (value !== undefined) guard('observing a cache delivery', () => sessionOf(transport)?.servedFromCache(method, value));
    },
    () => undefined, // the SDK awaits and handles its own rejection
  );
  return result;
}

/** Messages of the SDK client's output-schema validation (Client.callTool). */
const OUTPUT_SCHEMA_ERRORS = [/output schema but did not return structured content/i, /does not match the tool's output schema/i, /Failed to validate structured content/i];

export function isOutputSchemaError(error: unknown): error is Error {
  const message = (error as Error | undefined)?.message;
  return typeof message === 'string' && OUTPUT_SCHEMA_ERRORS.some((re) => re.test(message));
}

/**
 * The SDK rejects a result that fails its own result schema: v1 with the
 * schema library's error (zod 3 or 4), v2 with an SdkError whose code says
 * so (a result the schema rejects, or a `resultType` it cannot consume).
 */
function resultSchemaError(error: unknown): string | undefined {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message.slice(0, 300) : '';
  if (e?.name === 'ZodError' || e?.name === '$ZodError') return `the result does not match the SDK's result schema: ${message}`;
  if (e?.code === 'INVALID_RESULT' || e?.code === 'UNSUPPORTED_RESULT_TYPE') return `the SDK rejected the result (${e.code}): ${message}`;
  return undefined;
}

/** The SDK's request timeout: v1's McpError RequestTimeout (-32001), v2's SdkError REQUEST_TIMEOUT. */
function isRequestTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === -32001 || code === 'REQUEST_TIMEOUT';
}

/** What a rejection of the SDK's promise tells the session. */
function settledBy(error: unknown): Settled {
  if (isOutputSchemaError(error)) return { invalidReason: error.message };
  const invalid = resultSchemaError(error);
  if (invalid !== undefined) return { invalidReason: invalid };
  if (isRequestTimeout(error)) return { timedOut: String((error as Error).message) };
  return {};
}

/**
 * The narrow hook from above the transport: runs one of the SDK client's
 * requests (`request`, or `callTool` with its tool name) and watches its
 * promise. The call is bound to the request it sends (the SDK sends it
 * synchronously), so the session learns what the SDK decided about that
 * very response before deciding its outcome: the result schema, a tool's
 * output schema, a timeout it did not announce.
 *
 * Returns a promise that settles exactly as the SDK's does. It is a new
 * one: watching the SDK's promise marks that one handled, and a caller who
 * never handles a rejection must still see it reported as unhandled.
 */
export function watchRequest<T>(transport: unknown, toolName: unknown, call: () => T): T {
  const session = sessionOf(transport);
  const sentBefore = session?.requestsSent ?? 0;
  const result = call();
  const p = result as unknown as Promise<unknown>;
  if (!session || !p || typeof p.then !== 'function') return result;
  let settle: ((s: Settled) => void) | undefined;
  let tool: string | undefined;
  guard('watching a request', () => {
    tool = typeof toolName === 'string' ? toolName : undefined;
    settle = session.bindRequest(sentBefore, tool);
  });
  const report = (s: Settled) =>
    guard('reporting a request result', () => {
      if (settle) settle(s);
      else if (tool !== undefined && s.invalidReason !== undefined) session.invalidResult(tool, s.invalidReason);
    });
  return p.then(
    (value) => {
      report({});
      return value;
    },
    (error: unknown) => {
      report(settledBy(error));
      throw error;
    },
  ) as unknown as T;
}
