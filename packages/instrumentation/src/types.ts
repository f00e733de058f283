import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** What a host hands the model for one unit of content, before tokenization. */
export interface RenderedBlock {
  /** The text the model sees. */
  readonly text: string;
  /** Where it came from: tool_result, resource_content, prompt_messages, *_definition. */
  readonly source: string;
  /** For definitions: the tool or prompt name, or the resource URI it describes. */
  readonly key?: string;
  /** True for structuredContent whose data a text block already carries: redundant by definition. */
  readonly secondRepresentation?: boolean;
}

/** The rendering of one response: text blocks plus the bytes of binary blocks. */
export interface Rendering {
  readonly blocks: readonly RenderedBlock[];
  /** Bytes of image, audio and blob content, kept out of the token measures. */
  readonly binaryBytes: number;
}

/**
 * A module, loaded by path so that it can run in the analysis worker, that
 * exports `countTokens(text: string): number`.
 */
export type TokenizerSpec = 'o200k_base' | 'cl100k_base' | { readonly module: string };

/** Options shared by every entry point (the SDK patch, instrumentClient and the proxy). */
export interface ConservationOptions {
  /**
   * Key for the audit trail. With a key, chain links and payload digests are
   * HMAC-SHA256 under it; without one, links are plain SHA-256 and no payload
   * digests are written (short payloads are guessable from unkeyed hashes).
   * Default: `MCP_CONSERVATION_AUDIT_KEY`.
   */
  auditKey?: string;
  /** Names the end user of a session; becomes `enduser.id` in audit records only (never on metrics). */
  resolveUser?: (info: SessionInfo) => string | undefined;
  /** Take the user from W3C baggage entry `enduser.id` (opt-in: baggage may carry anything). */
  userFromBaggage?: boolean;
  /** Propagate W3C baggage into `params._meta` (opt-in: it may carry user ids to third-party servers). */
  propagateBaggage?: boolean;
  /**
   * Export payload content (tool arguments and results) on spans. Default
   * from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (`true` to enable); off otherwise.
   */
  captureContent?: boolean;
  /** Tokenizer: `o200k_base` (default), `cl100k_base`, or `{ module: '/abs/path.js' }`. */
  tokenizer?: TokenizerSpec;
  /** A module path exporting `render(method, result): Rendering`, replacing the default rendering. */
  renderer?: string;
  /** Render responses and count their tokens (default true). Off: spans, outcome, loss and audit only. */
  tokens?: boolean;
  /** Count tokens in a worker thread (default true), keeping tokenization off the event loop. */
  useWorker?: boolean;
  /**
   * Bytes of responses waiting to be counted (the accounting backlog) past
   * which a response is counted from its bytes, at a tokens-per-byte ratio
   * calibrated per server, tool and source on the responses counted
   * exactly, instead of queued: memory and the host's stall stay bounded
   * when responses come faster than they can be tokenized. Such counts go
   * to `mcp_conservation.context.estimated_tokens` too, and their audit
   * records carry `mcp_conservation.audit.tokens.estimated`. A result of
   * more than 10,000 blocks is estimated whatever the backlog. `Infinity`:
   * always count exactly. Default `MCP_CONSERVATION_ACCOUNTING_BUDGET`
   * (bytes, or `unlimited`), else 4 MiB.
   */
  accountingBudgetBytes?: number;
  /** A session crossing this many requests is counted live as an anomaly. Default 100. */
  requestLimit?: number;
  /** Host limit on rendered tokens per response; beyond it a response counts as truncated. Off by default. */
  maxResultTokens?: number;
  /** How long a timed-out or cancelled request's id is remembered to recognize a late response. Default 60 s. */
  lateWindowMs?: number;
  /** Most request ids remembered per session for late responses. Default 1000. */
  maxTombstones?: number;
  /** Most block digests remembered per session to recognize repeats. Default 4096. */
  maxDigests?: number;
  /** Most distinct values of each server-controlled metric attribute (tool, prompt, server names) before `_OTHER`. Default 200. */
  maxDistinctValues?: number;
}

/** What a session is known by when a user is resolved. */
export interface SessionInfo {
  /** The local session id of the audit trail. */
  readonly sessionId: string;
  /** The MCP session id, when the transport has one. */
  readonly mcpSessionId?: string;
  /** The server's `serverInfo.name`, once initialized. */
  readonly serverName?: string;
}

/** Configuration of {@link McpInstrumentation}. */
export interface McpInstrumentationConfig extends InstrumentationConfig, ConservationOptions {
  /** Instrument MCP clients (default true). */
  clients?: boolean;
  /**
   * Instrument MCP servers (default true; `false` turns the server side off).
   */
  servers?: boolean;
  /** Server side: names the caller of a request from its SDK `authInfo`; `enduser.id` in server audit records only. */
  resolveServerUser?: (info: { readonly authInfo?: Readonly<Record<string, unknown>> }) => string | undefined;
}
