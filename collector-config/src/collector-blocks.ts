/**
 * The generated regions of the shipped Collector configs. agent.yaml,
 * gateway.yaml and gateway-audit-archive.yaml stay single, hand-edited
 * files; only the lines between `# >>> generated: <name>` and
 * `# <<< generated: <name>` come from semconv, so no attribute or metric
 * name is typed by hand.
 */
import { AUDIT_FIELDS, METRIC_AUDIT_RECEIVED } from '@mcp-conservation/semconv';
import { redactionAllowList } from './allow-list.js';

export const GENERATE_COMMAND = 'npm run generate -w @mcp-conservation/collector-config';

export interface GeneratedBlock {
  /** File under collector-config/. */
  readonly file: string;
  /** The name after `>>> generated:`. */
  readonly name: string;
  /** Lines between the markers, without their indentation. */
  readonly lines: () => string[];
}

/** YAML double-quoted scalar, when a plain one could be misread. */
function quoteIfNeeded(value: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(value) ? value : JSON.stringify(value);
}

/** OTTL condition: the record carries the audit format version (every audit record does). */
export const AUDIT_RECORD_CONDITION = `log.attributes["${AUDIT_FIELDS.version}"] != nil`;

/**
 * OTTL drop condition of the archive's filter processor (which drops what
 * matches): the negation of the very condition the count connector counts
 * by, so the archive holds exactly the records counted as received.
 */
export const NON_AUDIT_RECORD_CONDITION = `not (${AUDIT_RECORD_CONDITION})`;

export const GENERATED_BLOCKS: readonly GeneratedBlock[] = [
  {
    file: 'agent.yaml',
    name: 'redaction allow-list',
    lines: () => redactionAllowList().map((k) => `- ${quoteIfNeeded(k)}`),
  },
  {
    file: 'gateway.yaml',
    name: 'audit count',
    lines: () => [
      `${METRIC_AUDIT_RECEIVED.name}:`,
      `  description: ${JSON.stringify(METRIC_AUDIT_RECEIVED.description)}`,
      '  conditions:',
      `    - ${JSON.stringify(AUDIT_RECORD_CONDITION)}`,
    ],
  },
  {
    file: 'gateway-audit-archive.yaml',
    name: 'audit archive filter',
    lines: () => [`- ${JSON.stringify(NON_AUDIT_RECORD_CONDITION)}`],
  },
];

/**
 * Returns `text` with the block's region replaced by freshly generated
 * lines, keeping the indentation of the opening marker.
 */
export function renderBlock(text: string, block: GeneratedBlock): string {
  const open = new RegExp(`^([ \\t]*)# >>> generated: ${block.name}\\b.*$`, 'm');
  const m = open.exec(text);
  if (!m) throw new Error(`${block.file}: no "# >>> generated: ${block.name}" marker`);
  const indent = m[1] ?? '';
  const closeMarker = `${indent}# <<< generated: ${block.name}`;
  const start = m.index;
  const end = text.indexOf(closeMarker, start);
  if (end < 0) throw new Error(`${block.file}: no "${closeMarker.trim()}" marker`);
  const body = [`${indent}# >>> generated: ${block.name} (${GENERATE_COMMAND}; do not edit)`, ...block.lines().map((l) => `${indent}${l}`), ''].join('\n');
  return text.slice(0, start) + body + text.slice(end);
}
