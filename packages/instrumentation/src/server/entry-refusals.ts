/**
 * Requests that SDK v2's `createMcpHandler` refuses at its HTTP entry, before
 * any server instance exists: a protocol version it does not serve
 * (`-32022`), an `Mcp-Method` or `Mcp-Name` header the body contradicts
 * (`-32020`), a client capability the method needs and the request did not
 * declare (`-32021`). No server's transport sees them, so the handler's
 * `fetch` is watched instead: an answer of status 400 or more to a request
 * that reached no observed server is read from a copy (refusals are small
 * JSON bodies) and given to the observer as the request and its answer, at
 * the times they happened. The request's body was the SDK's to read, so the
 * method and target are its `Mcp-Method` and `Mcp-Name` headers; after a
 * `-32020` the target is left out (the name may be what the body
 * contradicted). An answer naming no request (an unparseable body) or a
 * request with no `Mcp-Method` header is not an MCP operation to record.
 */
import { diag } from '@opentelemetry/api';
import { NETWORK_TRANSPORT_VALUES } from '@mcp-conservation/semconv';
import { isObject } from '../core/json.js';
import type { Connection, ServerObserver } from './observer.js';
import { entryScope } from './entry-scope.js';

/** HeaderMismatch: a header the body contradicts. */
const HEADER_MISMATCH = -32020;

/** A refusal body larger than this is not read (the SDK's are a few hundred bytes). */
const MAX_REFUSAL_BYTES = 64 * 1024;


interface FetchHandler {
  fetch: (request: Request, ...rest: unknown[]) => Promise<Response>;
}

const WATCHED = Symbol.for('@mcp-conservation/entry-refusals');

/** The connection of a handler's refusals: HTTP, no session, no server instance (so no server name). */
function entryConnection(): Connection {
  return {
    networkTransport: NETWORK_TRANSPORT_VALUES.tcp,
    sessionId: () => undefined,
    pending: new Map(),
    server: { name: () => undefined, registeredTools: () => undefined },
    openedPerf: performance.now(),
    requests: 0,
  };
}

/**
 * Watches the handler `createMcpHandler` returned for the requests it
 * refuses at its entry. The handler, its requests and its answers are
 * passed on untouched; a refusal is read from a copy after it was returned.
 * Never throws.
 */
export function watchEntryRefusals<H>(handler: H, observer: () => ServerObserver): H {
  try {
    const h = handler as unknown as FetchHandler & { [WATCHED]?: true };
    const original = h?.fetch;
    if (typeof original !== 'function' || h[WATCHED]) return handler;
    const c = entryConnection();
    Object.defineProperty(h, WATCHED, { value: true });
    h.fetch = async function fetchObserved(this: unknown, request: Request, ...rest: unknown[]): Promise<Response> {
      const store = { reached: false };
      const startedAt = performance.now();
      const response = await entryScope.run(store, () => original.call(this, request, ...rest));
      if (!store.reached) inspect(observer, c, request, response, startedAt);
      return response;
    };
  } catch {
    // The handler is left as it was.
  }
  return handler;
}

/** Reads a refusal from a copy of the answer, later, and records it; anything else is left alone. */
function inspect(observer: () => ServerObserver, c: Connection, request: Request, response: Response, startedAt: number): void {
  const endedAt = performance.now();
  let copy: Response;
  let method: string | null;
  let name: string | null;
  try {
    if (!(response instanceof Response) || response.status < 400 || response.bodyUsed) return;
    if (!/json/i.test(response.headers.get('content-type') ?? '')) return;
    const length = Number(response.headers.get('content-length') ?? 0);
    if (!(length <= MAX_REFUSAL_BYTES)) return;
    method = request.headers.get('mcp-method');
    name = request.headers.get('mcp-name');
    if (!method) return;
    copy = response.clone();
  } catch {
    return;
  }
  const o = observer();
  const read = copy
    .text()
    .then((text) => {
      if (text.length > MAX_REFUSAL_BYTES) return;
      const answer = JSON.parse(text) as unknown;
      if (!isObject(answer) || !isObject(answer.error) || (typeof answer.id !== 'string' && typeof answer.id !== 'number')) return;
      const target = answer.error.code === HEADER_MISMATCH ? null : name;
      const params = target === null ? {} : method === 'tools/call' || method === 'prompts/get' ? { name: target.slice(0, 1024) } : { uri: target.slice(0, 1024) };
      o.requestIn(c, { jsonrpc: '2.0', id: answer.id, method: (method as string).slice(0, 128), params }, { request }, startedAt);
      o.responseOut(c, answer, endedAt);
    })
    .catch((error: unknown) => diag.debug(`mcp-conservation: a refusal at the MCP handler's entry could not be read: ${String(error)}`));
  o.reading(read);
}
