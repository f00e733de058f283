/**
 * Attribute keys and their enumerated values.
 *
 * Keys from the OpenTelemetry semantic conventions (MCP, GenAI, JSON-RPC,
 * network, server, error) are used as published; the conventions are in
 * Development status, so they are copied here rather than imported from the
 * `incubating` entry point, which may change in a minor release.
 * Our own keys live under the `mcp_conservation.` namespace and only where the
 * conventions are silent.
 */
import { PROTOCOL_ERA_VALUES } from './protocol.js';

/** Semantic-convention version these names follow. */
export const SEMCONV_VERSION = '1.41.0';
/** Schema URL set on the instrumentation scope. */
export const SCHEMA_URL = `https://opentelemetry.io/schemas/${SEMCONV_VERSION}`;
/** The namespace that holds every name of ours. */
export const NAMESPACE = 'mcp_conservation';

// --- OpenTelemetry semantic conventions -----------------------------------

export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
export const ATTR_MCP_SESSION_ID = 'mcp.session.id';
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri';
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
export const ATTR_JSONRPC_PROTOCOL_VERSION = 'jsonrpc.protocol.version';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
export const ATTR_NETWORK_TRANSPORT = 'network.transport';
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
/** On SERVER spans: the caller's address as the request's forwarding headers give it (semconv `client.address`). */
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_CLIENT_PORT = 'client.port';
export const ATTR_ENDUSER_ID = 'enduser.id';

/** `gen_ai.operation.name` for `tools/call`; not set on other methods. */
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';
/**
 * `error.type` of a failure that carries no JSON-RPC error code (with one,
 * `error.type` is the code's decimal text; an HTTP answer with no JSON-RPC
 * body gives its status code).
 */
export const ERROR_TYPE_VALUES = {
  /** A CallToolResult with `isError: true`. */
  toolError: 'tool_error',
  timeout: 'timeout',
  cancelled: 'cancelled',
  transportError: 'transport_error',
  /** The client rejected the result (schema, resultType). */
  invalidResult: 'invalid_result',
  /** The answer could not be parsed. */
  unparseable: 'unparseable',
  /** An `input_required` answer no retry followed. */
  inputUnresolved: 'input_unresolved',
  /** A JSON-RPC error without a code. */
  protocolError: 'protocol_error',
} as const;
/** `error.type` when a CallToolResult carries `isError: true`. */
export const ERROR_TYPE_TOOL_ERROR = ERROR_TYPE_VALUES.toolError;
/** Fallback `error.type`, and the overflow value of capped attributes. */
export const OTHER_VALUE = '_OTHER';

export const NETWORK_TRANSPORT_VALUES = {
  pipe: 'pipe',
  tcp: 'tcp',
  /** In-process transports have no network; semconv allows a custom value. */
  inproc: 'inproc',
} as const;

// --- Ours -------------------------------------------------------------------

/** The MCP server's name, from the `serverInfo.name` of its `initialize` result. */
export const ATTR_SERVER_NAME = 'mcp_conservation.server.name';
/** Which observer produced the telemetry: the in-process SDK patch or the proxy. */
export const ATTR_OBSERVER = 'mcp_conservation.observer';
/** What became of rendered tokens: meaningful, redundant or unused. */
export const ATTR_TOKEN_DISPOSITION = 'mcp_conservation.token.disposition';
/** Where rendered context came from: a tool result, a definition, a resource, a prompt. */
export const ATTR_CONTEXT_SOURCE = 'mcp_conservation.context.source';
/** The outcome of an operation (for tools/call: of the tool call). */
export const ATTR_OUTCOME = 'mcp_conservation.outcome';
/** Why a response was lost. */
export const ATTR_LOSS_CAUSE = 'mcp_conservation.loss.cause';
/** Why an audit record was dropped before export. */
export const ATTR_DROP_REASON = 'mcp_conservation.audit.drop_reason';
/** The protocol era (legacy, modern), derived from `mcp.protocol.version` (see protocol.ts). */
export const ATTR_PROTOCOL_ERA = 'mcp_conservation.protocol.era';
/** Id of the logical call a wire request is a leg of, unique in the process. Spans and audit records only, never metrics. */
export const ATTR_CALL_ID = 'mcp_conservation.call.id';
/** Number of wire legs of a logical call (0 when served from the client's cache). */
export const ATTR_CALL_LEGS = 'mcp_conservation.call.legs';
/** Ordinal of a leg within its logical call, from 1. */
export const ATTR_LEG_INDEX = 'mcp_conservation.leg.index';
/** Why a leg was sent (docs/conservation-metrics.md#logical-calls-and-their-legs). */
export const ATTR_LEG_REASON = 'mcp_conservation.leg.reason';
export const LEG_REASON_VALUES = {
  initial: 'initial',
  inputRound: 'input_round',
  nextPage: 'next_page',
  versionRetry: 'version_retry',
  relist: 'relist',
  headerRetry: 'header_retry',
  reissue: 'reissue',
} as const;
export type LegReason = (typeof LEG_REASON_VALUES)[keyof typeof LEG_REASON_VALUES];
/** True on a multi-round-trip retry that could not be linked to the call it continues: it is a call of its own. Spans only. */
export const ATTR_CALL_UNLINKED = 'mcp_conservation.call.unlinked';
/** Where delivered context came from: the wire, or (SDK v2) the client's cache. Set to `cache` only; absent means the wire. */
export const ATTR_CONTEXT_DELIVERY = 'mcp_conservation.context.delivery';
export const CONTEXT_DELIVERY_VALUES = { cache: 'cache' } as const;
/** The `resultType` a result carried (2026-07-28), as sent: `complete`, `input_required`, or an extension's. */
export const ATTR_RESULT_TYPE = 'mcp_conservation.result.type';
/** The client's self-reported `clientInfo.name` and `.version` (audit records only). */
export const ATTR_CLIENT_NAME = 'mcp_conservation.client.name';
export const ATTR_CLIENT_VERSION = 'mcp_conservation.client.version';
/** The server's self-reported `serverInfo.version` (audit records only). */
export const ATTR_SERVER_VERSION = 'mcp_conservation.server.version';
/** Whether a called tool was listed in the session before the call (a call to an unlisted tool carries no definition tokens). */
export const ATTR_TOOL_LISTED = 'mcp_conservation.tool.listed';
/** A condition named across error codes: the same not-found whether a server answers `-32002` or `-32602` with `data.uri`. */
export const ATTR_ERROR_CONDITION = 'mcp_conservation.error.condition';
export const ERROR_CONDITION_VALUES = { resourceNotFound: 'resource_not_found' } as const;
export type ErrorCondition = (typeof ERROR_CONDITION_VALUES)[keyof typeof ERROR_CONDITION_VALUES];

export const OBSERVER_VALUES = { sdk: 'sdk', proxy: 'proxy' } as const;
export type Observer = (typeof OBSERVER_VALUES)[keyof typeof OBSERVER_VALUES];

export const TOKEN_DISPOSITION_VALUES = {
  meaningful: 'meaningful',
  redundant: 'redundant',
  unused: 'unused',
} as const;
export type TokenDisposition = (typeof TOKEN_DISPOSITION_VALUES)[keyof typeof TOKEN_DISPOSITION_VALUES];

export const CONTEXT_SOURCE_VALUES = {
  toolResult: 'tool_result',
  resourceContent: 'resource_content',
  promptMessages: 'prompt_messages',
  toolDefinition: 'tool_definition',
  promptDefinition: 'prompt_definition',
  resourceDefinition: 'resource_definition',
  /** An `input_required` interim result: wire overhead, never model context. */
  inputRequired: 'input_required',
  other: 'other',
} as const;
export type ContextSource = (typeof CONTEXT_SOURCE_VALUES)[keyof typeof CONTEXT_SOURCE_VALUES];

/**
 * Outcomes, decided from wire facts. `tool_error` applies to tools/call only.
 * `cancelled` is excluded from the loss and success denominators.
 */
export const OUTCOME_VALUES = {
  success: 'success',
  toolError: 'tool_error',
  protocolError: 'protocol_error',
  timeout: 'timeout',
  transportError: 'transport_error',
  invalidResult: 'invalid_result',
  cancelled: 'cancelled',
  /** A multi-round-trip call answered `input_required` that no leg followed: not a loss, not a success. */
  inputUnresolved: 'input_unresolved',
} as const;
export type Outcome = (typeof OUTCOME_VALUES)[keyof typeof OUTCOME_VALUES];

/** Causes of loss: a response that did not reach its caller intact. */
export const LOSS_CAUSE_VALUES = {
  timeout: 'timeout',
  transportClosed: 'transport_closed',
  late: 'late',
  invalid: 'invalid',
  unparseable: 'unparseable',
  truncated: 'truncated',
} as const;
export type LossCause = (typeof LOSS_CAUSE_VALUES)[keyof typeof LOSS_CAUSE_VALUES];

export const DROP_REASON_VALUES = {
  queueFull: 'queue_full',
  exportFailed: 'export_failed',
  shutdown: 'shutdown',
  invalid: 'invalid',
} as const;
export type DropReason = (typeof DROP_REASON_VALUES)[keyof typeof DROP_REASON_VALUES];

/** Every enumerated attribute with its values, for docs and validation. */
export const ENUMERATIONS: Record<string, readonly string[]> = {
  [ATTR_OBSERVER]: Object.values(OBSERVER_VALUES),
  [ATTR_TOKEN_DISPOSITION]: Object.values(TOKEN_DISPOSITION_VALUES),
  [ATTR_CONTEXT_SOURCE]: Object.values(CONTEXT_SOURCE_VALUES),
  [ATTR_OUTCOME]: Object.values(OUTCOME_VALUES),
  [ATTR_LOSS_CAUSE]: Object.values(LOSS_CAUSE_VALUES),
  [ATTR_DROP_REASON]: Object.values(DROP_REASON_VALUES),
  [ATTR_NETWORK_TRANSPORT]: Object.values(NETWORK_TRANSPORT_VALUES),
  [ATTR_PROTOCOL_ERA]: Object.values(PROTOCOL_ERA_VALUES),
  [ATTR_CONTEXT_DELIVERY]: Object.values(CONTEXT_DELIVERY_VALUES),
  [ATTR_ERROR_CONDITION]: Object.values(ERROR_CONDITION_VALUES),
  [ATTR_LEG_REASON]: Object.values(LEG_REASON_VALUES),
};

/** Descriptions of our own attributes, for the generated reference. */
export const OWN_ATTRIBUTE_DOCS: Record<string, string> = {
  [ATTR_SERVER_NAME]: 'Name of the MCP server, from `serverInfo.name` in its initialize result, or (2026-07-28) in the `io.modelcontextprotocol/serverInfo` of its first result that has one. Capped in distinct values, overflow `_OTHER`.',
  [ATTR_OBSERVER]: 'Which observer produced the telemetry (`sdk` in-process, `proxy` for the CLI proxy); pick one when both see the same traffic.',
  [ATTR_TOKEN_DISPOSITION]: 'What became of rendered tokens.',
  [ATTR_CONTEXT_SOURCE]: 'Where the rendered context came from.',
  [ATTR_OUTCOME]: 'Outcome of the operation, from wire facts.',
  [ATTR_LOSS_CAUSE]: 'Why a response was lost.',
  [ATTR_DROP_REASON]: 'Why an audit record was dropped before export.',
  [ATTR_CONTEXT_DELIVERY]: '`cache` on tokens the v2 client served from its cache (a cached re-listing is redundant, as a wire one is); absent for the wire.',
  [ATTR_CALL_ID]: 'Id of the logical call a wire request is a leg of (minted by the instrumentation, unique in the process). On spans and audit records, never on metrics.',
  [ATTR_CALL_LEGS]: 'Number of wire legs of a logical call: its multi-round-trip rounds and retries included.',
  [ATTR_LEG_INDEX]: 'Ordinal of a leg within its logical call, from 1.',
  [ATTR_LEG_REASON]: 'Why the leg was sent: the first request of its call, an input round, the `-32020` re-listing or retry, and so on. On spans only.',
  [ATTR_CALL_UNLINKED]: '`true` on a multi-round-trip retry that could not be linked to its call without ambiguity (parallel calls of one tool, no distinguishing `requestState`): it counts as a call of its own. Absent otherwise.',
  [ATTR_RESULT_TYPE]: 'The `resultType` of a 2026-07-28 result as sent; absent on legacy results and errors.',
  [ATTR_CLIENT_NAME]: 'The client\'s self-reported `clientInfo.name`: from the request `_meta` (2026-07-28) or the `initialize` params. Never verified; audit records only.',
  [ATTR_CLIENT_VERSION]: 'The client\'s self-reported `clientInfo.version`, as `mcp_conservation.client.name`.',
  [ATTR_SERVER_VERSION]: 'The server\'s self-reported `serverInfo.version`: from the final leg\'s result `_meta` when it has one, else the session\'s. Never verified; audit records only.',
  [ATTR_TOOL_LISTED]: 'On `tools/call` audit records and spans: whether the tool had been listed in the session. `false` means its definition tokens were never seen, so none are counted.',
  [ATTR_ERROR_CONDITION]: '`resource_not_found` on a `resources/read` answered `-32002` (2025) or `-32602` with `data.uri` (2026-07-28): one condition under two codes.',
  [ATTR_PROTOCOL_ERA]: '`legacy` (protocol revisions before 2026-07-28) or `modern` (2026-07-28 and later), derived from `mcp.protocol.version` alone; absent until the session knows its version.',
};
