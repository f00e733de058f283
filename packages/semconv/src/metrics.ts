/**
 * Metric definitions: name, instrument, unit, bucket boundaries, description
 * and the attributes each may carry. Instruments are created from these and
 * nothing else, so a name cannot drift between the code and the queries.
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_OBSERVER,
  ATTR_PROTOCOL_ERA,
  ATTR_OUTCOME,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_NAME,
  ATTR_TOKEN_DISPOSITION,
  ATTR_CONTEXT_DELIVERY,
  ATTR_CONTEXT_SOURCE,
  ATTR_DROP_REASON,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from './attributes.js';
import { CALL_LEG_BUCKETS, MCP_DURATION_BUCKETS, type MetricDefinition } from './metric-definition.js';
import { SERVER_METRICS } from './server-metrics.js';

export { CALL_LEG_BUCKETS, MCP_DURATION_BUCKETS, type InstrumentKind, type MetricDefinition } from './metric-definition.js';

/**
 * Requests-per-session buckets. Counts are integers, so `le="29"` holds the
 * sessions below 30 and `le="100"` those up to 100: the KPI band [30, 100]
 * is exactly `bucket{le="100"} - bucket{le="29"}`.
 */
export const SESSION_REQUEST_BUCKETS = [1, 5, 10, 20, 29, 50, 75, 100, 150, 250, 500, 1000] as const;

/** Label sets shared by our metrics; server name is capped, observer is bounded. */
const COMMON = [ATTR_SERVER_NAME, ATTR_OBSERVER, ATTR_PROTOCOL_ERA] as const;

export const METRIC_CLIENT_OPERATION_DURATION: MetricDefinition = {
  name: 'mcp.client.operation.duration',
  instrument: 'histogram',
  unit: 's',
  description:
    'The duration of the MCP request or notification as observed on the sender from the time it was sent until the response or ack is received.',
  attributes: [
    ATTR_MCP_METHOD_NAME,
    ATTR_ERROR_TYPE,
    ATTR_GEN_AI_TOOL_NAME,
    ATTR_GEN_AI_PROMPT_NAME,
    ATTR_RPC_RESPONSE_STATUS_CODE,
    ATTR_GEN_AI_OPERATION_NAME,
    ATTR_MCP_PROTOCOL_VERSION,
    ATTR_NETWORK_TRANSPORT,
    ATTR_SERVER_ADDRESS,
    ATTR_SERVER_PORT,
    ...COMMON,
  ],
  buckets: MCP_DURATION_BUCKETS,
  semconv: true,
};

export const METRIC_CLIENT_SESSION_DURATION: MetricDefinition = {
  name: 'mcp.client.session.duration',
  instrument: 'histogram',
  unit: 's',
  description: 'The duration of the MCP session as observed on the MCP client.',
  attributes: [ATTR_ERROR_TYPE, ATTR_MCP_PROTOCOL_VERSION, ATTR_NETWORK_TRANSPORT, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ...COMMON],
  buckets: MCP_DURATION_BUCKETS,
  semconv: true,
};

export const METRIC_CONTEXT_TOKENS: MetricDefinition = {
  name: 'mcp_conservation.context.tokens',
  instrument: 'counter',
  unit: '{token}',
  description:
    'Rendered tokens that MCP delivered into the context, by disposition (meaningful, redundant, unused). Token efficiency is meaningful over all.',
  attributes: [ATTR_TOKEN_DISPOSITION, ATTR_CONTEXT_SOURCE, ATTR_CONTEXT_DELIVERY, ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_CONTEXT_BINARY_SIZE: MetricDefinition = {
  name: 'mcp_conservation.context.binary.size',
  instrument: 'counter',
  unit: 'By',
  description: 'Bytes of binary blocks (image, audio, blob) delivered; kept out of the token measures.',
  attributes: [ATTR_CONTEXT_SOURCE, ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_WIRE_OVERHEAD: MetricDefinition = {
  name: 'mcp_conservation.wire.overhead',
  instrument: 'counter',
  unit: 'By',
  description: 'Bytes of JSON-RPC envelope beyond the rendering (wire size of a response minus the bytes of its rendering). Not part of efficiency.',
  attributes: [ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_TOOL_CALLS: MetricDefinition = {
  name: 'mcp_conservation.tool.calls',
  instrument: 'counter',
  unit: '{call}',
  description: 'Tool calls by outcome. Tool success rate is success over all outcomes but cancelled.',
  attributes: [ATTR_OUTCOME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_RESPONSES_EXPECTED: MetricDefinition = {
  name: 'mcp_conservation.responses.expected',
  instrument: 'counter',
  unit: '{response}',
  description: 'Requests that expect a response, counted when sent; cancelled requests are subtracted through the cancelled counter. Denominator of the context loss rate.',
  attributes: [ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_RESPONSES_CANCELLED: MetricDefinition = {
  name: 'mcp_conservation.responses.cancelled',
  instrument: 'counter',
  unit: '{response}',
  description: 'Requests cancelled by the caller; excluded from the loss denominator.',
  attributes: [ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_RESPONSES_LOST: MetricDefinition = {
  name: 'mcp_conservation.responses.lost',
  instrument: 'counter',
  unit: '{response}',
  description: 'Responses that did not reach the caller intact, by cause, counted at the moment of loss.',
  attributes: [ATTR_LOSS_CAUSE, ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_LOST_TOKENS: MetricDefinition = {
  name: 'mcp_conservation.context.lost_tokens',
  instrument: 'counter',
  unit: '{token}',
  description: 'Rendered tokens of lost responses whose content was seen (late, invalid, truncated). No estimate for responses never seen.',
  attributes: [ATTR_LOSS_CAUSE, ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_ESTIMATED_TOKENS: MetricDefinition = {
  name: 'mcp_conservation.context.estimated_tokens',
  instrument: 'counter',
  unit: '{token}',
  description:
    'Of the rendered tokens counted in context.tokens and context.lost_tokens, those estimated from bytes rather than counted exactly: responses that arrived while the accounting backlog was past its budget, or a single response past the exact-count cap. The estimated share is these over all rendered tokens.',
  attributes: [ATTR_CONTEXT_SOURCE, ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_SESSION_REQUESTS: MetricDefinition = {
  name: 'mcp_conservation.session.requests',
  instrument: 'histogram',
  unit: '{request}',
  description: 'Logical calls per session (all but initialize, server/discover and ping; the further legs of a multi-round-trip call are not calls), recorded at session end.',
  attributes: [...COMMON],
  buckets: SESSION_REQUEST_BUCKETS,
  semconv: false,
};

export const METRIC_CALL_LEGS: MetricDefinition = {
  name: 'mcp_conservation.call.legs',
  instrument: 'histogram',
  unit: '{leg}',
  description: 'Wire legs per logical call (multi-round-trip rounds and retries included), recorded when the call is decided: polling shows as calls, retry storms as legs.',
  attributes: [ATTR_MCP_METHOD_NAME, ...COMMON],
  buckets: CALL_LEG_BUCKETS,
  semconv: false,
};

export const METRIC_CALL_UNLINKED_RETRIES: MetricDefinition = {
  name: 'mcp_conservation.call.unlinked_retries',
  instrument: 'counter',
  unit: '{request}',
  description:
    'Multi-round-trip retries (a request with `inputResponses` or `requestState`) that could not be linked to the call they continue without ambiguity (parallel calls of one tool, no distinguishing `requestState`), or to any waiting call: each is counted as a call of its own. The call it continued ends `input_unresolved` after the late window.',
  attributes: [ATTR_MCP_METHOD_NAME, ...COMMON],
  semconv: false,
};

export const METRIC_SESSIONS_OVER_LIMIT: MetricDefinition = {
  name: 'mcp_conservation.session.over_limit',
  instrument: 'counter',
  unit: '{session}',
  description: 'Sessions that crossed the request limit (100 by default), counted live at the 101st request.',
  attributes: [...COMMON],
  semconv: false,
};

/**
 * Stateless HTTP (2026-07-28 traffic without Mcp-Session-Id, seen by the
 * proxy) has no session on the wire: its calls are in no requests-per-session
 * figure, and are counted here so that a dashboard can say so.
 */
export const METRIC_SESSIONLESS_REQUESTS: MetricDefinition = {
  name: 'mcp_conservation.sessionless.requests',
  instrument: 'counter',
  unit: '{request}',
  description:
    'Logical calls, counted as session.requests counts them, that belong to no observable session: 2026-07-28 traffic over stateless HTTP, seen by the proxy. Requests per session is not observable for them, so no session histogram or over-limit count includes them.',
  attributes: [...COMMON],
  semconv: false,
};

export const METRIC_DEDUP_EVICTIONS: MetricDefinition = {
  name: 'mcp_conservation.context.dedup_evictions',
  instrument: 'counter',
  unit: '{digest}',
  description: 'Digests evicted from the bounded per-session set that detects redundant blocks; non-zero means redundancy may be undercounted.',
  attributes: [...COMMON],
  semconv: false,
};

export const METRIC_AUDIT_RECORDS: MetricDefinition = {
  name: 'mcp_conservation.audit.records',
  instrument: 'counter',
  unit: '{record}',
  description: 'Audit records emitted by the SDK (handed to the Logs SDK).',
  attributes: [...COMMON],
  semconv: false,
};

export const METRIC_AUDIT_DROPPED: MetricDefinition = {
  name: 'mcp_conservation.audit.dropped',
  instrument: 'counter',
  unit: '{record}',
  description: 'Audit records dropped before export (queue full, export failed, shutdown), counted by our log processor because the SDK drops them silently.',
  attributes: [ATTR_DROP_REASON],
  semconv: false,
};

/** Emitted by the gateway Collector's count connector for each audit record received. */
export const METRIC_AUDIT_RECEIVED: MetricDefinition = {
  name: 'mcp_conservation.audit.received',
  instrument: 'counter',
  unit: '{record}',
  description: 'Audit records received by the gateway Collector (count connector). Compared with audit.records to find records lost on the way.',
  attributes: [],
  semconv: false,
};

/** Every metric the instrumentation emits, in documentation order. */
export const INSTRUMENTATION_METRICS: readonly MetricDefinition[] = [
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_CLIENT_SESSION_DURATION,
  METRIC_CONTEXT_TOKENS,
  METRIC_CONTEXT_BINARY_SIZE,
  METRIC_WIRE_OVERHEAD,
  METRIC_TOOL_CALLS,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_LOST,
  METRIC_LOST_TOKENS,
  METRIC_ESTIMATED_TOKENS,
  METRIC_SESSION_REQUESTS,
  METRIC_CALL_LEGS,
  METRIC_CALL_UNLINKED_RETRIES,
  METRIC_SESSIONS_OVER_LIMIT,
  METRIC_SESSIONLESS_REQUESTS,
  METRIC_DEDUP_EVICTIONS,
  METRIC_AUDIT_RECORDS,
  METRIC_AUDIT_DROPPED,
];

/** Every metric, including those made by the Collector. */
export const ALL_METRICS: readonly MetricDefinition[] = [...INSTRUMENTATION_METRICS, ...SERVER_METRICS, METRIC_AUDIT_RECEIVED];
