/**
 * Which errors mark a span as failed, keyed by span kind: the semconv
 * classification for MCP (semantic-conventions-genai PR #404). A client
 * treats every JSON-RPC error it receives as its operation's failure; a
 * server does not count the caller's mistakes (malformed JSON, invalid
 * request, unknown method, invalid params, unknown resource, and the
 * 2026-07-28 codes for a stale or unsupported request) as its own. A tool
 * result with `isError` is a failure on both sides.
 */
export const SPAN_KIND_VALUES = { client: 'client', server: 'server' } as const;
export type ClassifiedSpanKind = (typeof SPAN_KIND_VALUES)[keyof typeof SPAN_KIND_VALUES];

/** JSON-RPC error codes that are the caller's mistake as seen by the server. */
export const CALLER_ERROR_CODES: readonly number[] = [-32700, -32600, -32601, -32602, -32002, -32020, -32021, -32022];

const CALLER = new Set(CALLER_ERROR_CODES.map(String));

/** Whether a JSON-RPC error code (number or its decimal text) is the caller's mistake. */
export function isCallerErrorCode(code: number | string | undefined): boolean {
  return code !== undefined && CALLER.has(String(code));
}

/**
 * Whether a response marks a span of `kind` as an error: a JSON-RPC error
 * (on a server span, unless it is the caller's mistake) or `isError`.
 */
export function isSpanError(kind: ClassifiedSpanKind, response: { errorCode?: number | string; isError?: boolean }): boolean {
  if (response.isError) return true;
  if (response.errorCode === undefined) return false;
  return kind === SPAN_KIND_VALUES.client || !isCallerErrorCode(response.errorCode);
}
