/** Reads audit records back from the gateway's file archive (OTLP/JSON, one document per line). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { auditRecordFromOtlp, AUDIT_FIELDS, type AuditRecord, type OtlpJsonKeyValue } from '@mcp-conservation/semconv/audit';

export interface ArchivedLogRecord {
  readonly attributes: readonly OtlpJsonKeyValue[];
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

/** The audit records among log records (those carrying the format version). */
export function auditRecords(records: readonly ArchivedLogRecord[]): AuditRecord[] {
  return records.filter((r) => r.attributes.some((a) => a.key === AUDIT_FIELDS.version)).map((r) => auditRecordFromOtlp(r.attributes));
}
