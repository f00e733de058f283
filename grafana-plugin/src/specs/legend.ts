import { LABELS, type GroupLabel } from '@mcp-conservation/semconv';

/** A legend format naming series by semconv's labels, e.g. `{{gen_ai_tool_name}}`. */
export function legend(...groups: GroupLabel[]): string {
  return groups.map((g) => `{{${LABELS[g]}}}`).join(' ');
}
