/**
 * What the HTTP request behind a server message says, as the SDKs hand it
 * to the transport's `onmessage`: v1 passes `requestInfo.headers` (a plain
 * object), v2 the web `Request`. Neither gives the socket, so the caller's
 * address comes from the forwarding headers a proxy or load balancer adds
 * (RFC 7239 `Forwarded`, else the first `X-Forwarded-For` hop), as the HTTP
 * semantic conventions allow for `client.address`. Only an IP address is
 * taken: `unknown` and obfuscated identifiers are left out.
 */
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
