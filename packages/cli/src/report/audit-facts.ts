/** Session-level facts for the report, from audit records. */
import { TARGET_REQUESTS_PER_SESSION } from '@mcp-conservation/semconv';
import type { SessionSummary } from '@mcp-conservation/semconv/audit';
import type { Progress } from '../command-line/progress.js';
import { readAuditFiles } from '../audit/read.js';
import { verifyRecords, type LocatedProblem } from '../audit/verify.js';
import { sessionFindings, type SessionFindings } from './session-findings.js';

export interface AuditFacts {
  readonly files: number;
  readonly records: number;
  readonly sessions: number;
  readonly duplicates: number;
  /** Ended sessions with more client requests than the band allows. */
  readonly overLimit: readonly SessionSummary[];
  /** Gaps, altered records and every other chain problem. */
  readonly problems: readonly LocatedProblem[];
  /** Sessions without a session_end record: still open, or their tail is lost. */
  readonly open: readonly SessionSummary[];
  readonly diagnostics: readonly string[];
  /** Records in plain SHA-256 chains read with a key: not authenticated. */
  readonly unauthenticated: number;
  /** Sessions in the report's range that missed a target, and those open at its end. */
  readonly findings: SessionFindings;
}

export async function collectAudit(files: readonly string[], key: string | undefined, range: { start: Date; end: Date }, progress: Progress): Promise<AuditFacts> {
  const read = await readAuditFiles(files, progress);
  // Open sessions are listed apart: at report time some sessions are still running.
  // Unkeyed chains are counted apart too: a report describes the trail it is given.
  const v = verifyRecords(read, { ...(key !== undefined ? { key } : {}), allowOpen: true, allowUnkeyed: true });
  return {
    files: v.files,
    records: v.records,
    sessions: v.sessions.length,
    duplicates: v.duplicates,
    overLimit: v.sessions.filter((s) => (s.requests ?? 0) > TARGET_REQUESTS_PER_SESSION.max).sort((a, b) => (b.requests ?? 0) - (a.requests ?? 0)),
    problems: v.problems,
    open: v.sessions.filter((s) => !s.ended),
    diagnostics: v.diagnostics,
    unauthenticated: v.unauthenticated,
    findings: sessionFindings(read.records.map((r) => r.record), range),
  };
}
