/**
 * The attribute keys the agent's redaction processor keeps: every attribute
 * key that @mcp-conservation/semconv defines (span and metric attributes,
 * the server side's included, and every audit field) except those that may
 * carry payload content.
 */
import { ALL_METRICS, AUDIT_ATTRIBUTE_KEYS, PAYLOAD_ATTRIBUTE_KEYS, SERVER_METRICS, SPAN_ATTRIBUTE_KEYS } from '@mcp-conservation/semconv';

/** Sorted, deduplicated keys to allow; payload keys are never in it. */
export function redactionAllowList(): string[] {
  const payload = new Set(PAYLOAD_ATTRIBUTE_KEYS);
  const keys = new Set<string>([...AUDIT_ATTRIBUTE_KEYS, ...[...ALL_METRICS, ...SERVER_METRICS].flatMap((m) => m.attributes), ...SPAN_ATTRIBUTE_KEYS]);
  return [...keys].filter((k) => !payload.has(k)).sort();
}
