/**
 * What the HTTP request behind a server message says, as the SDKs hand it
 * to the transport's `onmessage`: v1 passes `requestInfo.headers` (a plain
 * object), v2 the web `Request`. The caller's address comes first from the
 * forwarding headers a proxy or load balancer adds (RFC 7239 `Forwarded`,
 * else the first `X-Forwarded-For` hop), as the HTTP semantic conventions
 * define `client.address`; only an IP address is taken: `unknown` and
 * obfuscated identifiers are left out. Without them, the socket's peer is the
 * caller. Neither SDK hands the socket over: v1's is taken from the Node
 * request its transport's `handleRequest` was given (see `carryRequestPeer`);
 * v2's node adapter builds a plain web `Request` (`toWebRequest`), which
 * keeps nothing of the socket, so its Node handler is wrapped instead (see
 * `carryClientAddress`: McpInstrumentation wraps what `toNodeHandler`
 * returns; with `instrumentServer`, the app wraps it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isIP } from 'node:net';
import { isObject } from '../core/json.js';

/** A header value longer than this is not parsed (a hostile client may send megabytes). */
const MAX_HEADER = 4096;

/** The value of request header `name` (lower case), whichever SDK passed the message. */
export function requestHeader(extra: unknown, name: string): string | undefined {
  if (!isObject(extra)) return undefined;
  const info = isObject(extra.requestInfo) ? extra.requestInfo : undefined;
  const headers = info && isObject(info.headers) ? info.headers : undefined;
  const v1 = headers?.[name];
  if (typeof v1 === 'string') return v1;
  if (Array.isArray(v1) && typeof v1[0] === 'string') return v1[0];
  const request = extra.request as { headers?: { get?: (name: string) => string | null } } | undefined;
  try {
    const v2 = request?.headers?.get?.(name);
    return typeof v2 === 'string' ? v2 : undefined;
  } catch {
    return undefined;
  }
}

export interface ClientAddress {
  readonly address: string;
  readonly port?: number;
}

/** The original caller's address and port from the request's forwarding headers, if they name an IP. */
export function forwardedClient(extra: unknown): ClientAddress | undefined {
  const forwarded = requestHeader(extra, 'forwarded');
  if (forwarded !== undefined && forwarded.length <= MAX_HEADER) {
    const first = forwarded.split(',')[0]!;
    for (const pair of first.split(';')) {
      const [key, raw] = pair.split('=', 2).map((v) => v.trim());
      if (key?.toLowerCase() === 'for' && raw) return node(raw.replace(/^"|"$/g, ''));
    }
  }
  const xff = requestHeader(extra, 'x-forwarded-for');
  if (xff !== undefined && xff.length <= MAX_HEADER) return node(xff.split(',')[0]!.trim());
  return undefined;
}

/** An RFC 7239 node: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`, or a bare IPv6 address. */
function node(value: string): ClientAddress | undefined {
  let address = value;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) [address, port] = [bracketed[1]!, bracketed[2]];
  else if (isIP(value) === 0) {
    const at = value.lastIndexOf(':');
    if (at > 0) [address, port] = [value.slice(0, at), value.slice(at + 1)];
  }
  if (isIP(address) === 0) return undefined;
  const n = port !== undefined && /^\d{1,5}$/.test(port) ? Number(port) : undefined;
  return n !== undefined && n > 0 && n < 65536 ? { address, port: n } : { address };
}

/** The socket peer of the Node HTTP request being handled, for the messages it carries. */
const requestPeer = new AsyncLocalStorage<ClientAddress>();

interface NodeRequestLike {
  readonly socket?: { readonly remoteAddress?: unknown; readonly remotePort?: unknown } | null;
}

function peerOfNodeRequest(req: unknown): ClientAddress | undefined {
  const socket = isObject(req) ? (req as NodeRequestLike).socket : undefined;
  const address = socket?.remoteAddress;
  if (typeof address !== 'string' || isIP(address) === 0) return undefined;
  const port = socket?.remotePort;
  return typeof port === 'number' && port > 0 && port < 65536 ? { address, port } : { address };
}

/** Runs `handle` knowing the socket peer of the Node request `req`, when it names an IP. */
function withPeerOf<T>(req: unknown, handle: () => T): T {
  let peer: ClientAddress | undefined;
  try {
    peer = peerOfNodeRequest(req);
  } catch {
    peer = undefined;
  }
  return peer ? requestPeer.run(peer, handle) : handle();
}

/**
 * Wraps a v1 Node Streamable HTTP transport's `handleRequest(req, res, body)`
 * so that the messages of each request are handled knowing its socket's peer.
 * The request is passed on untouched. Never throws.
 */
export function carryRequestPeer(transport: object): void {
  try {
    const t = transport as { handleRequest?: unknown; _webStandardTransport?: unknown };
    const original = t.handleRequest;
    if (typeof original !== 'function' || t._webStandardTransport === undefined) return;
    t.handleRequest = function handleRequestObserved(this: unknown, req: unknown, ...rest: unknown[]): unknown {
      return withPeerOf(req, () => original.call(this, req, ...rest));
    };
  } catch {
    // The transport is left as it was.
  }
}

/**
 * Wraps a Node `(req, res, ...)` request handler, such as the one
 * `toNodeHandler(createMcpHandler(...))` of `@modelcontextprotocol/node`
 * returns, so that the MCP messages of each request are observed with its
 * socket's peer as `client.address` and `client.port` (forwarding headers
 * still come first). The request, the response and the handler's result are
 * passed on untouched. McpInstrumentation does this to every handler
 * `toNodeHandler` makes; call it yourself with `instrumentServer`.
 *
 * @example
 * http.createServer(carryClientAddress(toNodeHandler(createMcpHandler(factory))));
 */
export function carryClientAddress<H extends (req: never, ...rest: never[]) => unknown>(handler: H): H {
  if (typeof handler !== 'function') return handler;
  const carried = function carriedClientAddress(this: unknown, req: unknown, ...rest: unknown[]): unknown {
    return withPeerOf(req, () => (handler as unknown as (...args: unknown[]) => unknown).call(this, req, ...rest));
  };
  return carried as unknown as H;
}

/** The socket peer of the Node HTTP request whose message is being handled, if any. */
export function socketPeer(): ClientAddress | undefined {
  return requestPeer.getStore();
}
