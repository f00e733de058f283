/**
 * LogQL over the audit records in Loki.
 *
 * Records reach Loki through its OTLP endpoint: resource attributes
 * `service.name` becomes the stream label `service_name`, and log-record
 * attributes become structured metadata with every character outside
 * [a-zA-Z0-9_] replaced by `_` (the same rule as semconv's `promLabel`).
 * The OTLP event name is not reliably kept by Loki's mapping, so records are
 * selected by their own `kind` field, which is part of the chained record:
 * `operation` for EVENT_AUDIT_OPERATION, `session_end` for
 * EVENT_AUDIT_SESSION_END, `chain_end` for EVENT_AUDIT_CHAIN_END.
 */
import {
  AUDIT_FIELDS,
  AUDIT_KIND_VALUES,
  EVENT_AUDIT_CHAIN_END,
  EVENT_AUDIT_OPERATION,
  EVENT_AUDIT_SESSION_END,
  TARGET_REQUESTS_PER_SESSION,
  promLabel,
} from '@mcp-conservation/semconv';

/** Loki's own stream label for `service.name` (not one of our names). */
export const LOKI_SERVICE_LABEL = 'service_name';

/** Loki's structured-metadata key of an audit attribute. */
export function metadataKey(attribute: string): string {
  return promLabel(attribute);
}

/** Structured-metadata keys of the audit fields the pages use. */
export const AUDIT_KEYS = {
  kind: metadataKey(AUDIT_FIELDS.kind),
  session: metadataKey(AUDIT_FIELDS.session),
  seq: metadataKey(AUDIT_FIELDS.seq),
  user: metadataKey(AUDIT_FIELDS.user),
  server: metadataKey(AUDIT_FIELDS.server),
  method: metadataKey(AUDIT_FIELDS.method),
  tool: metadataKey(AUDIT_FIELDS.tool),
  outcome: metadataKey(AUDIT_FIELDS.outcome),
  cause: metadataKey(AUDIT_FIELDS.cause),
  sessionRequests: metadataKey(AUDIT_FIELDS.sessionRequests),
  observer: metadataKey(AUDIT_FIELDS.observer),
  /** Loki stores the OTLP record's trace id under this key. */
  traceId: 'trace_id',
} as const;

/** The kind values selecting each audit event. */
export const EVENT_KINDS: Readonly<Record<string, string>> = {
  [EVENT_AUDIT_OPERATION]: AUDIT_KIND_VALUES.operation,
  [EVENT_AUDIT_SESSION_END]: AUDIT_KIND_VALUES.sessionEnd,
  [EVENT_AUDIT_CHAIN_END]: AUDIT_KIND_VALUES.chainEnd,
};

const STREAM = `{${LOKI_SERVICE_LABEL}=~".+"}`;
const ANY_KIND = `${AUDIT_KEYS.kind}=~"${Object.values(AUDIT_KIND_VALUES).join('|')}"`;

/** Filters of the Audit page, each a template variable (All = `.*`). */
const FILTERS = [
  `${AUDIT_KEYS.session}=~".*$session.*"`,
  `${AUDIT_KEYS.user}=~".*$user.*"`,
  `${AUDIT_KEYS.outcome}=~"$outcome"`,
  `${AUDIT_KEYS.cause}=~"$cause"`,
  `${AUDIT_KEYS.server}=~"$server"`,
  `${AUDIT_KEYS.observer}=~"$observer"`,
];

function pipeline(...filters: string[]): string {
  return [STREAM, ...filters.map((f) => `| ${f}`)].join(' ');
}

/** Every audit record (operations and session ends) matching the filters. */
export function auditRecords(): string {
  return pipeline(ANY_KIND, ...FILTERS);
}

/** Audit records per outcome over time. */
export function auditRecordsByOutcome(): string {
  return `sum by (${AUDIT_KEYS.outcome}) (count_over_time(${pipeline(`${AUDIT_KEYS.kind}="${AUDIT_KIND_VALUES.operation}"`, ...FILTERS)} [$__auto]))`;
}

/**
 * Session-end records of sessions over the request limit. Prometheus has no
 * session label (unbounded), so individual sessions come from the audit log.
 */
export function sessionsOverLimit(): string {
  return pipeline(
    `${AUDIT_KEYS.kind}="${AUDIT_KIND_VALUES.sessionEnd}"`,
    `${AUDIT_KEYS.server}=~"$server"`,
    `${AUDIT_KEYS.observer}=~"$observer"`,
    `${AUDIT_KEYS.sessionRequests} > ${TARGET_REQUESTS_PER_SESSION.max}`
  );
}
