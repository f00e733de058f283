/**
 * Verifies read audit records with the semconv chain rules and attaches the
 * file position of each problem.
 */
import { AUDIT_FIELDS, verifyChain, type ChainProblem, type SessionSummary } from '@mcp-conservation/semconv/audit';
import type { ReadResult } from './read.js';

export interface LocatedProblem extends ChainProblem {
  /** Where the record concerned was read; for a gap, where the record after it was. */
  readonly location?: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly files: number;
  readonly records: number;
  readonly duplicates: number;
  readonly sessions: readonly SessionSummary[];
  readonly problems: readonly LocatedProblem[];
  readonly diagnostics: readonly string[];
  /** Records accepted in plain SHA-256 chains although a key was given (allowUnkeyed): not authenticated. */
  readonly unauthenticated: number;
}

export interface AuditVerifyOptions {
  readonly key?: string;
  /** Sessions without a session_end record are not a problem (a trail still being written). */
  readonly allowOpen?: boolean;
  /** With a key, plain SHA-256 chains are accepted (counted as not authenticated) rather than reported. */
  readonly allowUnkeyed?: boolean;
}

const SEP = '\u0000';

export function verifyRecords(read: ReadResult, options: AuditVerifyOptions = {}): AuditVerification {
  const where = new Map<string, string>();
  const seqsBySession = new Map<string, number[]>();
  for (const { record, location } of read.records) {
    const session = String(record[AUDIT_FIELDS.session]);
    const seq = Number(record[AUDIT_FIELDS.seq]);
    const id = `${session}${SEP}${seq}`;
    if (where.has(id)) continue;
    where.set(id, location);
    const seqs = seqsBySession.get(session);
    if (seqs) seqs.push(seq);
    else seqsBySession.set(session, [seq]);
  }
  for (const seqs of seqsBySession.values()) seqs.sort((a, b) => a - b);
  const result = verifyChain(
    read.records.map((r) => r.record),
    { ...(options.key !== undefined ? { key: options.key } : {}), requireEnd: options.allowOpen !== true, allowUnkeyed: options.allowUnkeyed === true },
  );
  const problems = result.problems.map((p): LocatedProblem => {
    // A gap at seq n is located by the first record after it.
    let location = where.get(`${p.session}${SEP}${p.seq}`);
    if (location === undefined && p.kind === 'gap') {
      const next = seqsBySession.get(p.session)?.find((s) => s > p.seq);
      if (next !== undefined) location = `before ${where.get(`${p.session}${SEP}${next}`)}`;
    }
    return location === undefined ? p : { ...p, location };
  });
  return {
    ok: problems.length === 0 && read.diagnostics.length === 0,
    files: read.files.length,
    records: result.records,
    duplicates: result.duplicates,
    sessions: result.sessions,
    problems,
    diagnostics: read.diagnostics,
    unauthenticated: result.unauthenticated,
  };
}
