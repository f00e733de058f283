/**
 * Picks audit records out of OTLP/JSON log messages. A log record is an
 * audit record when its event name (the OTLP `eventName` field, or the older
 * `event.name` attribute) is one of the audit event names. Everything
 * is validated before use: a malformed message or record becomes a
 * diagnostic, never an exception.
 */
import { AUDIT_EVENT_NAMES } from '@mcp-conservation/semconv';
import { auditRecordFromOtlp, type AuditRecord, type OtlpJsonKeyValue } from '@mcp-conservation/semconv/audit';
import { isObject } from '../json.js';

const AUDIT_EVENTS = new Set<string>(AUDIT_EVENT_NAMES);
/** The pre-OTLP-1.5 place of an event's name. */
const LEGACY_EVENT_NAME_ATTRIBUTE = 'event.name';

export interface LocatedRecord {
  readonly record: AuditRecord;
  /** file:line (JSON lines) or file#message (length-prefixed), then the record's index in that message. */
  readonly location: string;
}

export interface MessageResult {
  readonly records: LocatedRecord[];
  /** Problems with this message; records found before a problem are kept. */
  readonly problems: string[];
  /** Log records seen that are not audit records (other events share the file). */
  readonly otherLogs: number;
  /** Whether the message held traces or metrics rather than logs. */
  readonly notLogs?: 'traces' | 'metrics';
}

function asArray(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/** Only well-formed `{ key: string, value?: object }` entries; the rest are counted as bad. */
function cleanAttributes(raw: unknown): { attributes: OtlpJsonKeyValue[]; bad: number } {
  const list = asArray(raw) ?? [];
  const attributes: OtlpJsonKeyValue[] = [];
  let bad = 0;
  for (const kv of list) {
    if (isObject(kv) && typeof kv.key === 'string' && (kv.value === undefined || isObject(kv.value))) attributes.push(kv as unknown as OtlpJsonKeyValue);
    else bad++;
  }
  return { attributes, bad };
}

function eventNameOf(logRecord: Record<string, unknown>, attributes: readonly OtlpJsonKeyValue[]): string | undefined {
  if (typeof logRecord.eventName === 'string' && logRecord.eventName) return logRecord.eventName;
  const legacy = attributes.find((a) => a.key === LEGACY_EVENT_NAME_ATTRIBUTE);
  return legacy?.value?.stringValue;
}

/** Extracts the audit records of one JSON message (an ExportLogsServiceRequest). */
export function extractRecords(text: string, where: string): MessageResult {
  const records: LocatedRecord[] = [];
  const problems: string[] = [];
  let otherLogs = 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const snippet = text.length > 60 ? `${text.slice(0, 60)}...` : text;
    return { records, problems: [`${where}: not valid JSON (${(error as Error).message}): ${snippet}`], otherLogs };
  }
  if (!isObject(parsed)) return { records, problems: [`${where}: not a JSON object`], otherLogs };
  if (!('resourceLogs' in parsed)) {
    if ('resourceSpans' in parsed) return { records, problems, otherLogs, notLogs: 'traces' };
    if ('resourceMetrics' in parsed) return { records, problems, otherLogs, notLogs: 'metrics' };
    return { records, problems: [`${where}: no resourceLogs: not an OTLP logs message`], otherLogs };
  }
  const resourceLogs = asArray(parsed.resourceLogs);
  if (!resourceLogs) return { records, problems: [`${where}: resourceLogs is not an array`], otherLogs };
  let index = 0;
  resourceLogs.forEach((rl, r) => {
    const scopeLogs = isObject(rl) ? asArray(rl.scopeLogs) : undefined;
    if (!scopeLogs) {
      if (!isObject(rl) || rl.scopeLogs !== undefined) problems.push(`${where}: resourceLogs[${r}].scopeLogs is malformed`);
      return;
    }
    scopeLogs.forEach((sl, s) => {
      const logRecords = isObject(sl) ? asArray(sl.logRecords) : undefined;
      if (!logRecords) {
        if (!isObject(sl) || sl.logRecords !== undefined) problems.push(`${where}: resourceLogs[${r}].scopeLogs[${s}].logRecords is malformed`);
        return;
      }
      for (const lr of logRecords) {
        index++;
        if (!isObject(lr)) {
          problems.push(`${where} record ${index}: log record is not an object`);
          continue;
        }
        const { attributes, bad } = cleanAttributes(lr.attributes);
        const name = eventNameOf(lr, attributes);
        if (name === undefined || !AUDIT_EVENTS.has(name)) {
          otherLogs++;
          continue;
        }
        if (bad) problems.push(`${where} record ${index}: ${bad} malformed attribute(s) ignored`);
        records.push({ record: auditRecordFromOtlp(attributes), location: `${where} record ${index}` });
      }
    });
  });
  return { records, problems, otherLogs };
}
