/**
 * Server-side names: the semconv server histograms and our own server
 * measures. The server sees every call it answers, so these are the figures
 * a server operator trusts; they are counted per registered tool, never per
 * name a client asked for (see `ATTR_ERROR_ORIGIN` for who made a mistake).
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_PROTOCOL_ERA,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_NAME,
  ATTR_CONTEXT_SOURCE,
} from './attributes.js';
import { MCP_DURATION_BUCKETS, CALL_LEG_BUCKETS, type MetricDefinition } from './metric-definition.js';

/** `caller` for a request the server rejected as the caller's mistake, `server` for its own failure. */
export const ATTR_ERROR_ORIGIN = 'mcp_conservation.error.origin';
export const ERROR_ORIGIN_VALUES = { caller: 'caller', server: 'server' } as const;
export type ErrorOrigin = (typeof ERROR_ORIGIN_VALUES)[keyof typeof ERROR_ORIGIN_VALUES];

/** Which kind of definition a definition-token figure prices. */
export const ATTR_DEFINITION_KIND = 'mcp_conservation.definition.kind';
export const DEFINITION_KIND_VALUES = { tool: 'tool', prompt: 'prompt', resource: 'resource', resourceTemplate: 'resource_template' } as const;
export type DefinitionKind = (typeof DEFINITION_KIND_VALUES)[keyof typeof DEFINITION_KIND_VALUES];

/** Name of the priced definition: a registered tool, prompt or template name (bounded by what the server registers). */
export const ATTR_DEFINITION_NAME = 'mcp_conservation.definition.name';

const SERVER_COMMON = [ATTR_SERVER_NAME, ATTR_OBSERVER, ATTR_PROTOCOL_ERA] as const;

export const METRIC_SERVER_OPERATION_DURATION: MetricDefinition = {
  name: 'mcp.server.operation.duration',
  instrument: 'histogram',
  unit: 's',
  description: 'MCP request or notification duration as observed on the receiver from the time it was received until the result or ack is sent.',
  attributes: [
    ATTR_MCP_METHOD_NAME,
    ATTR_ERROR_TYPE,
    ATTR_GEN_AI_TOOL_NAME,
    ATTR_GEN_AI_PROMPT_NAME,
    ATTR_RPC_RESPONSE_STATUS_CODE,
    ATTR_GEN_AI_OPERATION_NAME,
    ATTR_MCP_PROTOCOL_VERSION,
    ATTR_NETWORK_TRANSPORT,
    ...SERVER_COMMON,
  ],
  buckets: MCP_DURATION_BUCKETS,
  semconv: true,
};

export const METRIC_SERVER_SESSION_DURATION: MetricDefinition = {
  name: 'mcp.server.session.duration',
  instrument: 'histogram',
  unit: 's',
  description: 'The duration of the MCP session as observed on the MCP server (legacy era only: the 2026-07-28 protocol has no session).',
  attributes: [ATTR_ERROR_TYPE, ATTR_MCP_PROTOCOL_VERSION, ATTR_NETWORK_TRANSPORT, ...SERVER_COMMON],
  buckets: MCP_DURATION_BUCKETS,
  semconv: true,
};

export const METRIC_SERVER_TOOL_CALLS: MetricDefinition = {
  name: 'mcp_conservation.server.tool.calls',
  instrument: 'counter',
  unit: '{call}',
  description:
    'Logical tool calls answered by the server, by outcome and, for failures, by whose mistake it was (caller or server). Multi-round-trip rounds are legs, not calls.',
  attributes: [ATTR_OUTCOME, ATTR_ERROR_ORIGIN, ATTR_GEN_AI_TOOL_NAME, ...SERVER_COMMON],
  semconv: false,
};

export const METRIC_SERVER_CALL_LEGS: MetricDefinition = {
  name: 'mcp_conservation.server.call.legs',
  instrument: 'histogram',
  unit: '{leg}',
  description: 'Wire legs per logical call as answered by the server (an input_required answer and its retry are two legs of one call).',
  attributes: [ATTR_MCP_METHOD_NAME, ...SERVER_COMMON],
  buckets: CALL_LEG_BUCKETS,
  semconv: false,
};

export const METRIC_SERVER_RESULT_TOKENS: MetricDefinition = {
  name: 'mcp_conservation.server.result.tokens',
  instrument: 'counter',
  unit: '{token}',
  description: 'Rendered tokens of the results the server sent (rendered as the client side renders them), by tool and source.',
  attributes: [ATTR_CONTEXT_SOURCE, ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ...SERVER_COMMON],
  semconv: false,
};

export const METRIC_SERVER_DEFINITION_TOKENS: MetricDefinition = {
  name: 'mcp_conservation.server.definition.tokens',
  instrument: 'gauge',
  unit: '{token}',
  description:
    'What one definition costs a host that lists it: rendered tokens of the current version of each tool, prompt, resource and template definition. A changed definition shows as a step.',
  attributes: [ATTR_DEFINITION_KIND, ATTR_DEFINITION_NAME, ...SERVER_COMMON],
  semconv: false,
};

export const METRIC_SERVER_LISTINGS: MetricDefinition = {
  name: 'mcp_conservation.server.listings',
  instrument: 'counter',
  unit: '{listing}',
  description:
    'List requests answered (each page counted). Undercounts deliveries: clients cache listings, and a stateless server cannot count hosts.',
  attributes: [ATTR_MCP_METHOD_NAME, ...SERVER_COMMON],
  semconv: false,
};

/** Every server-side metric, in documentation order. */
export const SERVER_METRICS: readonly MetricDefinition[] = [
  METRIC_SERVER_OPERATION_DURATION,
  METRIC_SERVER_SESSION_DURATION,
  METRIC_SERVER_TOOL_CALLS,
  METRIC_SERVER_CALL_LEGS,
  METRIC_SERVER_RESULT_TOKENS,
  METRIC_SERVER_DEFINITION_TOKENS,
  METRIC_SERVER_LISTINGS,
];
