/**
 * The standard headers of a modern (2026-07-28) Streamable HTTP request:
 * `Mcp-Method` names the JSON-RPC method, and `Mcp-Name` its target (the
 * tool or prompt name, the resource URI, the task id). A non-ASCII value is
 * sent as `=?base64?<standard base64 of UTF-8>?=`. The proxy reads them to
 * classify a request and to see a header that disagrees with the body; it
 * never changes or refuses one: the server answers `-32020` itself. What
 * a hostile header can cost is bounded here: a value past MAX_HEADER_CHARS
 * is not decoded, only measured.
 */
import { isObject } from '../json.js';

/** Longer header values are not decoded (a method or a name is short; 1 MB is an attack). */
export const MAX_HEADER_CHARS = 8192;

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
/** Canonical standard base64, as the SDK checks it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type Decoded = { readonly value: string } | { readonly problem: string };

/** One header value decoded: plain ASCII as it is, a base64 sentinel decoded; or why it cannot be. */
export function decodeHeaderValue(raw: string): Decoded {
  if (raw.length > MAX_HEADER_CHARS) return { problem: `a value of ${raw.length} characters, over ${MAX_HEADER_CHARS}: not read` };
  let value = raw;
  if (raw.startsWith(SENTINEL_PREFIX) && raw.endsWith(SENTINEL_SUFFIX) && raw.length >= SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length) {
    const b64 = raw.slice(SENTINEL_PREFIX.length, raw.length - SENTINEL_SUFFIX.length);
    if (!BASE64.test(b64)) return { problem: 'an invalid =?base64?…?= value' };
    try {
      value = utf8.decode(Buffer.from(b64, 'base64'));
    } catch {
      return { problem: 'a =?base64?…?= value that is not UTF-8' };
    }
  }
  if (CONTROL.test(value)) return { problem: 'control characters in its value' };
  return { value };
}

export interface McpHeaders {
  readonly method?: Decoded;
  readonly name?: Decoded;
}

export function readMcpHeaders(get: (name: string) => string | undefined): McpHeaders {
  const method = get('mcp-method');
  const name = get('mcp-name');
  return { ...(method !== undefined ? { method: decodeHeaderValue(method) } : {}), ...(name !== undefined ? { name: decodeHeaderValue(name) } : {}) };
}

/** What `Mcp-Name` mirrors in a request body. */
function bodyName(params: Record<string, unknown> | undefined): string | undefined {
  for (const key of ['name', 'uri', 'taskId']) if (typeof params?.[key] === 'string') return params[key] as string;
  return undefined;
}

/**
 * How a request's headers disagree with its body (one JSON-RPC request), or
 * undefined when they agree or there is nothing to compare. Says which
 * header and why, never the values (they may be hostile, or private).
 */
export function headerDisagreement(headers: McpHeaders, message: unknown): string | undefined {
  if (!isObject(message) || typeof message.method !== 'string') return undefined;
  const problems: string[] = [];
  if (headers.method) {
    if ('problem' in headers.method) problems.push(`Mcp-Method has ${headers.method.problem}`);
    else if (headers.method.value !== message.method) problems.push(`Mcp-Method names another method than the body's ${message.method.slice(0, 64)}`);
  }
  if (headers.name) {
    const expected = bodyName(isObject(message.params) ? message.params : undefined);
    if ('problem' in headers.name) problems.push(`Mcp-Name has ${headers.name.problem}`);
    else if (expected !== undefined && headers.name.value !== expected) problems.push('Mcp-Name names another target than the body');
  }
  return problems.length ? problems.join('; ') : undefined;
}
