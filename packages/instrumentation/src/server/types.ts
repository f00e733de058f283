/** Public options of the server-side observer. */
import type { ConservationOptions } from '../types.js';

/** What a server-side user is resolved from: the SDK's `authInfo` of the request, when the transport had one. */
export interface ServerInfoForUser {
  readonly authInfo?: Readonly<Record<string, unknown>>;
}

/**
 * Options shared with the client side (McpInstrumentation passes its one
 * config to both): the tokenizer and thread that count result tokens,
 * `tokens: false` to count none, the accounting budget past which a result
 * is estimated from its bytes, and the late window, here how long an
 * `input_required` answer waits for the client's retry before its call
 * counts as abandoned (`input_unresolved`).
 */
export interface ServerObserverOptions extends Pick<ConservationOptions, 'tokenizer' | 'useWorker' | 'tokens' | 'accountingBudgetBytes' | 'lateWindowMs'> {
  /** Key for the audit trail (as on the client side). Default: `MCP_CONSERVATION_AUDIT_KEY`. */
  auditKey?: string;
  /** Names the caller of a request from its `authInfo`; becomes `enduser.id` in audit records only (never on metrics). */
  resolveServerUser?: (info: ServerInfoForUser) => string | undefined;
  /** Take the user from W3C baggage entry `enduser.id` in `_meta` (opt-in: baggage may carry anything). */
  userFromBaggage?: boolean;
  /** Most distinct tool names on metrics before `_OTHER`. Default 200. */
  maxDistinctValues?: number;
  /**
   * Age after which the observer's audit chain is closed (its `chain_end`
   * record written) and a new one begins, at the next record. A server
   * answering per request has no session, so a chain covers one observer
   * for at most this long. Default 3,600,000 (one hour).
   */
  auditChainMaxAgeMs?: number;
}
