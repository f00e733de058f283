/**
 * @mcp-conservation/semconv: every metric, attribute, span and event name,
 * the four targets, the PromQL queries and the alert rules, defined once.
 * The audit record's canonical form and chain checks are in the `./audit`
 * entry point (Node only).
 */
export * from './attributes.js';
export * from './metrics.js';
export * from './server-metrics.js';
export * from './error-classification.js';
export * from './spans.js';
export * from './methods.js';
export * from './protocol.js';
export * from './targets.js';
export * from './prometheus.js';
export * as queries from './queries.js';
export { LABELS, LIFETIME, DEFAULT_WINDOW, QUERY_CATALOGUE, type QueryScope, type QueryDefinition, type GroupLabel, type QueryUnit } from './queries.js';
export * as serverQueries from './server-queries.js';
export { SERVER_QUERY_CATALOGUE, TARGET_SERVER_TOOL_FAILURE_RATE, DEFAULT_DEFINITION_TOKEN_BUDGET } from './server-queries.js';
export * from './alerts.js';
export * from './grafana-rules.js';
export {
  AUDIT_FIELDS,
  AUDIT_FORMAT_VERSION,
  AUDIT_KIND_VALUES,
  AUDIT_ATTRIBUTE_KEYS,
  PAYLOAD_ATTRIBUTE_KEYS,
  CHAIN_ALGORITHMS,
  GENESIS_LINK,
  INTEGER_AUDIT_FIELDS,
  REQUIRED_AUDIT_FIELDS,
  type AuditRecord,
  type AuditValue,
  type AuditKind,
  type ChainAlgorithm,
  type AuditFieldName,
} from './audit-format.js';
