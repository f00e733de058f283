/**
 * The audit record format. A record is a flat map of attribute keys to
 * strings, integers and booleans, written as the attributes of an OTel log
 * record. Its link is a digest of its canonical form (RFC 8785), which
 * includes the previous record's link: records chain per session.
 */
import {
  ATTR_ENDUSER_ID,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_SERVER_NAME,
  ATTR_ERROR_TYPE,
  ATTR_CALL_ID,
  ATTR_CALL_LEGS,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_CLIENT_NAME,
  ATTR_CLIENT_VERSION,
  ATTR_SERVER_VERSION,
  ATTR_TOOL_LISTED,
  ATTR_ERROR_CONDITION,
} from './attributes.js';

/** Version of the record format; bumped on any change to fields or hashing. */
export const AUDIT_FORMAT_VERSION = 2;

/** Attribute keys of audit records. */
export const AUDIT_FIELDS = {
  version: 'mcp_conservation.audit.version',
  kind: 'mcp_conservation.audit.kind',
  /** Local session id, generated per connected client; always present, unlike `mcp.session.id`. */
  session: 'mcp_conservation.session.id',
  seq: 'mcp_conservation.audit.seq',
  time: 'mcp_conservation.audit.time',
  observer: ATTR_OBSERVER,
  mcpSessionId: ATTR_MCP_SESSION_ID,
  user: ATTR_ENDUSER_ID,
  server: ATTR_SERVER_NAME,
  method: ATTR_MCP_METHOD_NAME,
  tool: ATTR_GEN_AI_TOOL_NAME,
  prompt: ATTR_GEN_AI_PROMPT_NAME,
  resourceUri: ATTR_MCP_RESOURCE_URI,
  requestId: ATTR_JSONRPC_REQUEST_ID,
  /** The protocol version the operation (or session) spoke (format 2). */
  protocolVersion: ATTR_MCP_PROTOCOL_VERSION,
  /** The logical call an operation record is about; `requestId` is its final leg's (format 2). */
  callId: ATTR_CALL_ID,
  /** Wire legs of the logical call (format 2). */
  legs: ATTR_CALL_LEGS,
  /** Self-reported client and server (format 2): recorded as sent, never verified. */
  clientName: ATTR_CLIENT_NAME,
  clientVersion: ATTR_CLIENT_VERSION,
  serverVersion: ATTR_SERVER_VERSION,
  /** tools/call: whether the tool was listed in the session first (format 2). */
  toolListed: ATTR_TOOL_LISTED,
  /** A not-found resources/read, whichever code said it (format 2). */
  errorCondition: ATTR_ERROR_CONDITION,
  outcome: ATTR_OUTCOME,
  /** `server` on records a server writes about the requests it answered; absent on a client's (format 2, optional). */
  direction: 'mcp_conservation.audit.direction',
  /**
   * `time` on every record of a chain that covers a stretch of time rather
   * than a session (the proxy's stateless HTTP traffic), so that the chain is
   * told apart before its `chain_end` is written; absent on a session's (format 2, optional).
   */
  chainCovers: 'mcp_conservation.audit.chain.covers',
  cause: ATTR_LOSS_CAUSE,
  errorType: ATTR_ERROR_TYPE,
  durationUs: 'mcp_conservation.audit.duration_us',
  tokensMeaningful: 'mcp_conservation.audit.tokens.meaningful',
  tokensRedundant: 'mcp_conservation.audit.tokens.redundant',
  tokensUnused: 'mcp_conservation.audit.tokens.unused',
  tokensLost: 'mcp_conservation.audit.tokens.lost',
  /**
   * True when the record's token counts were estimated from bytes, not
   * counted exactly (the accounting backlog was past its budget). Optional,
   * absent when exact: format 2 records without it verify as before.
   */
  tokensEstimated: 'mcp_conservation.audit.tokens.estimated',
  contextValid: 'mcp_conservation.audit.context_valid',
  sessionRequests: 'mcp_conservation.audit.session.requests',
  sessionRecords: 'mcp_conservation.audit.session.records',
  payloadDigest: 'mcp_conservation.audit.payload_digest',
  chainAlgorithm: 'mcp_conservation.audit.chain_alg',
  prev: 'mcp_conservation.audit.prev',
  link: 'mcp_conservation.audit.link',
} as const;

export type AuditFieldName = keyof typeof AUDIT_FIELDS;
export type AuditValue = string | number | boolean;
/** An audit record: attribute key to value. Absent fields are omitted, never null. */
export type AuditRecord = Readonly<Record<string, AuditValue>>;

/**
 * What a record is: one operation; the end of a session's chain; or the end
 * of a chain that covers a stretch of time, not a session (a server
 * process's chain, the proxy's chain of stateless HTTP traffic), which has
 * no per-session measures.
 */
export const AUDIT_KIND_VALUES = { operation: 'operation', sessionEnd: 'session_end', chainEnd: 'chain_end' } as const;
export type AuditKind = (typeof AUDIT_KIND_VALUES)[keyof typeof AUDIT_KIND_VALUES];

/** Chain algorithms: HMAC under the audit key, or plain SHA-256 without one. */
export const CHAIN_ALGORITHMS = { hmacSha256: 'hmac-sha256', sha256: 'sha256' } as const;
export type ChainAlgorithm = (typeof CHAIN_ALGORITHMS)[keyof typeof CHAIN_ALGORITHMS];

/** The `prev` of the first record of a session. */
export const GENESIS_LINK = '0'.repeat(64);

/** Fields every record carries. */
export const REQUIRED_AUDIT_FIELDS: readonly string[] = [
  AUDIT_FIELDS.version,
  AUDIT_FIELDS.kind,
  AUDIT_FIELDS.session,
  AUDIT_FIELDS.seq,
  AUDIT_FIELDS.time,
  AUDIT_FIELDS.observer,
  AUDIT_FIELDS.outcome,
  AUDIT_FIELDS.contextValid,
  AUDIT_FIELDS.chainAlgorithm,
  AUDIT_FIELDS.prev,
  AUDIT_FIELDS.link,
];

/** Integer-valued fields (OTLP JSON carries them as strings; readers convert back). */
export const INTEGER_AUDIT_FIELDS: readonly string[] = [
  AUDIT_FIELDS.version,
  AUDIT_FIELDS.seq,
  AUDIT_FIELDS.durationUs,
  AUDIT_FIELDS.tokensMeaningful,
  AUDIT_FIELDS.tokensRedundant,
  AUDIT_FIELDS.tokensUnused,
  AUDIT_FIELDS.tokensLost,
  AUDIT_FIELDS.sessionRequests,
  AUDIT_FIELDS.sessionRecords,
  AUDIT_FIELDS.legs,
];

/** Every audit attribute key: the allow-list that redaction must keep. */
export const AUDIT_ATTRIBUTE_KEYS: readonly string[] = Object.values(AUDIT_FIELDS);

/**
 * Attributes that may carry payload content; exported only when the user
 * opts in, and removed by the agent Collector's redaction.
 */
export const PAYLOAD_ATTRIBUTE_KEYS: readonly string[] = ['gen_ai.tool.call.arguments', 'gen_ai.tool.call.result'];
