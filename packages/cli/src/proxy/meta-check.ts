/**
 * A 2026-07-28 request declares its protocol version in
 * `_meta["io.modelcontextprotocol/protocolVersion"]` (every request: there
 * is no initialize). One that does not is relayed as it came, without the
 * trace context the proxy would add (a `_meta` that was not there changes
 * what the v2 server answers), and counted in the era its session last
 * declared; the proxy says so, since the server refuses it (-32602).
 */
import { META_PROTOCOL_VERSION } from '@mcp-conservation/semconv';
import { isObject } from '../json.js';

/** The requests of a value (one message or a batch) that declare no protocol version: their methods. */
export function undeclaredRequests(value: unknown): string[] {
  const out: string[] = [];
  for (const m of Array.isArray(value) ? value : [value]) {
    if (!isObject(m) || typeof m.method !== 'string' || m.id === undefined || m.id === null || m.method === 'initialize') continue;
    const meta = isObject(m.params) && isObject(m.params._meta) ? m.params._meta : undefined;
    if (typeof meta?.[META_PROTOCOL_VERSION] !== 'string') out.push(m.method);
  }
  return out;
}

/** The diagnostic for such a request; `why` says how the proxy knows it is modern. */
export function undeclaredNote(method: string, why: string): string {
  return `a modern ${method} request (${why}) without ${META_PROTOCOL_VERSION} in its _meta: relayed as it came, counted in the era its session last declared`;
}
