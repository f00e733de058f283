/**
 * Which errors mark a span as failed, keyed by span kind: the semconv
 * classification for MCP (semantic-conventions-genai PR #404). A client
 * treats every JSON-RPC error it receives as its operation's failure; a
 * server does not count the caller's mistakes as its own. A tool result
 * with `isError` is a failure on both sides.
 */
export const SPAN_KIND_VALUES = { client: 'client', server: 'server' } as const;
export type ClassifiedSpanKind = (typeof SPAN_KIND_VALUES)[keyof typeof SPAN_KIND_VALUES];

/**
 * The release of open-telemetry/semantic-conventions-genai whose MCP server
 * span classification this table follows: its first standalone release,
 * cut after PR #404 (merged 2026-07-31).
 */
export const SEMCONV_GENAI_VERSION = 'v0.1.0';

/** Where a caller-error code's classification comes from. */
export type ClassificationSource = 'semconv' | 'mcp_conservation';

export interface CallerErrorCode {
  readonly code: number;
  readonly name: string;
  /** `semconv`: listed by the conventions; `mcp_conservation`: ours, where they are silent. */
  readonly source: ClassificationSource;
}

/**
 * JSON-RPC error codes that are the caller's mistake as seen by the server:
 * on a SERVER span they set `rpc.response.status_code` but neither
 * `error.type` nor an error status. The conventions list the first five;
 * they are silent on the 2026-07-28 codes, which answer a stale or
 * unsupported request (the client re-lists, or retries with a version the
 * server named), so we class those as the caller's too.
 */
export const CALLER_ERROR_CLASSIFICATION: readonly CallerErrorCode[] = [
  { code: -32700, name: 'Parse error', source: 'semconv' },
  { code: -32600, name: 'Invalid request', source: 'semconv' },
  { code: -32601, name: 'Method not found', source: 'semconv' },
  { code: -32602, name: 'Invalid params', source: 'semconv' },
  { code: -32002, name: 'Resource not found (2025)', source: 'semconv' },
  { code: -32020, name: 'Header mismatch (2026-07-28)', source: 'mcp_conservation' },
  { code: -32021, name: 'Missing required client capability (2026-07-28)', source: 'mcp_conservation' },
  { code: -32022, name: 'Unsupported protocol version (2026-07-28)', source: 'mcp_conservation' },
];

/** JSON-RPC error codes that are the caller's mistake as seen by the server. */
export const CALLER_ERROR_CODES: readonly number[] = CALLER_ERROR_CLASSIFICATION.map((c) => c.code);

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
