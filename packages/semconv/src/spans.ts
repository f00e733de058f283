/** Span names, span attribute keys and log event names. */
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_NAME,
  ATTR_SERVER_PORT,
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_PROTOCOL_ERA,
  ATTR_CALL_ID,
  ATTR_CALL_LEGS,
  ATTR_LEG_INDEX,
  ATTR_LEG_REASON,
  ATTR_CALL_UNLINKED,
  ATTR_RESULT_TYPE,
  ATTR_CONTEXT_DELIVERY,
  ATTR_TOOL_LISTED,
} from './attributes.js';

/**
 * Span name per the MCP semantic conventions: `{mcp.method.name} {target}`,
 * where target is the tool or prompt name; `{mcp.method.name}` alone when
 * there is no low-cardinality target. Resource URIs are never a target by
 * default: they are unbounded.
 */
export function spanName(method: string, target?: string): string {
  return target ? `${method} ${target}` : method;
}

/** Log event name of the audit record written for each operation. */
export const EVENT_AUDIT_OPERATION = 'mcp_conservation.audit.operation';
/** Log event name of the audit record written when a session ends. */
export const EVENT_AUDIT_SESSION_END = 'mcp_conservation.audit.session_end';
/**
 * Log event name of the audit record that closes a chain which is not a
 * session: a per-request server's chain, the proxy's stateless-HTTP chain.
 */
export const EVENT_AUDIT_CHAIN_END = 'mcp_conservation.audit.chain_end';
/** Every audit event name, for code that picks audit records out of a log stream. */
export const AUDIT_EVENT_NAMES: readonly string[] = [EVENT_AUDIT_OPERATION, EVENT_AUDIT_SESSION_END, EVENT_AUDIT_CHAIN_END];

/** Name of the instrumentation scope (tracer, meter, logger). */
export const INSTRUMENTATION_SCOPE_NAME = '@mcp-conservation/instrumentation';

/** Methods excluded from the API call volume of a session: the handshake (legacy), the capability discovery (modern), liveness. */
export const VOLUME_EXCLUDED_METHODS: readonly string[] = ['initialize', 'server/discover', 'ping'];

/**
 * Every attribute key the instrumentation may set on a span. The two
 * `gen_ai.tool.call.*` keys carry payload and are set only when content
 * capture is opted in.
 */
export const SPAN_ATTRIBUTE_KEYS: readonly string[] = [
  ATTR_MCP_METHOD_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_ERROR_TYPE,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_SERVER_NAME,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_LOSS_CAUSE,
  ATTR_PROTOCOL_ERA,
  ATTR_CALL_ID,
  ATTR_CALL_LEGS,
  ATTR_LEG_INDEX,
  ATTR_LEG_REASON,
  ATTR_CALL_UNLINKED,
  ATTR_RESULT_TYPE,
  ATTR_CONTEXT_DELIVERY,
  ATTR_TOOL_LISTED,
];
