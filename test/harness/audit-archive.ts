/** Reads audit records back from the gateway's file archive (OTLP/JSON, one document per line). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { auditRecordFromOtlp, AUDIT_FIELDS, type AuditRecord, type OtlpJsonKeyValue } from '@mcp-conservation/semconv/audit';

export interface ArchivedLogRecord {
  readonly attributes: readonly OtlpJsonKeyValue[];
  readonly body?: { readonly stringValue?: string };
  readonly eventName?: string;
}

/** Every log record in the archive and its rotated siblings. */
export function readArchive(path: string): ArchivedLogRecord[] {
  if (!existsSync(dirname(path))) return [];
  const stem = basename(path).replace(/\.[^.]+$/, '');
  const files = readdirSync(dirname(path)).filter((f) => f.startsWith(stem));
  const out: ArchivedLogRecord[] = [];
  for (const f of files) {
    for (const line of readFileSync(join(dirname(path), f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as { resourceLogs?: { scopeLogs?: { logRecords?: ArchivedLogRecord[] }[] }[] };
      for (const rl of doc.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) for (const r of sl.logRecords ?? []) out.push(r);
    }
  }
  return out;
}

/** Whether a log record is an audit record (carries the format version, as the gateway's count and archive filter test). */
export function isAuditRecord(record: { readonly attributes: readonly unknown[] }): boolean {
  return (record.attributes as readonly OtlpJsonKeyValue[]).some((a) => a.key === AUDIT_FIELDS.version);
}

/** The audit records among log records. */
export function auditRecords(records: readonly { readonly attributes: readonly unknown[] }[]): AuditRecord[] {
  return records.filter(isAuditRecord).map((r) => auditRecordFromOtlp(r.attributes as readonly OtlpJsonKeyValue[]));
}
