/**
 * The attribute keys the agent's redaction processor keeps: every attribute
 * key that @mcp-conservation/semconv defines (span and metric attributes and
 * every audit field) except those that may carry payload content.
 */
import * as semconv from '@mcp-conservation/semconv';
import { ALL_METRICS, AUDIT_ATTRIBUTE_KEYS, PAYLOAD_ATTRIBUTE_KEYS } from '@mcp-conservation/semconv';

/**
 * Span attribute keys.
 * WORKAROUND (semconv request): semconv exports no list of span attribute
 * keys, so every exported `ATTR_*` constant stands for one here. Replace with
 * semconv's list once it exists.
 */
function spanAttributeKeys(): string[] {
  return Object.entries(semconv)
    .filter(([name, value]) => name.startsWith('ATTR_') && typeof value === 'string')
    .map(([, value]) => value as string);
}

/** Sorted, deduplicated keys to allow; payload keys are never in it. */
export function redactionAllowList(): string[] {
  const payload = new Set(PAYLOAD_ATTRIBUTE_KEYS);
  const keys = new Set<string>([...AUDIT_ATTRIBUTE_KEYS, ...ALL_METRICS.flatMap((m) => m.attributes), ...spanAttributeKeys()]);
  return [...keys].filter((k) => !payload.has(k)).sort();
}
