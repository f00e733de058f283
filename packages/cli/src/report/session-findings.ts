/**
 * Sessions with findings, from the audit trail: per session, the four
 * measures against their targets (the periodic audit's "which sessions
 * broke a target"). Pure: audit records in, rows out. Files are the source
 * today; a database of records could feed the same function.
 *
 * Per session, from its records up to the range's end:
 * - requests: the session_end's count (client requests, initialize not
 *   included), or for an open session its operation records less initialize;
 * - responses expected: operation records less those cancelled (each
 *   operation record is one request that expected an answer);
 *   lost: those with a loss cause;
 * - tokens: the session_end's totals (definitions are settled at the end),
 *   or for an open session the sum of its operation records so far;
 * - tool calls: operation records of tools/call less those cancelled;
 *   failing tools: those with any outcome but success and cancelled.
 */
import {
  TARGET_CONTEXT_LOSS_RATE,
  TARGET_REQUESTS_PER_SESSION,
  TARGET_TOKEN_EFFICIENCY,
  TARGET_TOOL_SUCCESS_RATE,
  meetsTarget,
} from '@mcp-conservation/semconv';
import { AUDIT_FIELDS as F, AUDIT_KIND_VALUES, type AuditRecord } from '@mcp-conservation/semconv/audit';

export type MissedTarget = 'token efficiency' | 'context loss rate' | 'tool call success rate' | 'requests per session';

export interface SessionRow {
  readonly session: string;
  readonly user: string | undefined;
  readonly server: string | undefined;
  /** RFC 3339 times of the session's first and last record. */
  readonly start: string;
  readonly end: string;
  readonly open: boolean;
  readonly requests: number;
  readonly requestsWithinBand: boolean;
  readonly responsesExpected: number;
  readonly lostResponses: number;
  readonly lossRate: number | undefined;
  readonly meaningfulTokens: number;
  readonly renderedTokens: number;
  readonly tokenEfficiency: number | undefined;
  readonly toolCalls: number;
  readonly toolSuccessRate: number | undefined;
  /** Tools with failed calls, most failures first. */
  readonly failingTools: readonly { readonly tool: string; readonly failed: number }[];
  readonly missed: readonly MissedTarget[];
}

export interface SessionFindings {
  /** Ended sessions that missed at least one target: most targets missed first, then most lost responses. */
  readonly sessions: readonly SessionRow[];
  /** Sessions without a session_end by the range's end, in the same order; their figures are so far. */
  readonly open: readonly SessionRow[];
  /** Sessions in the range, ended and open. */
  readonly examined: number;
  /**
   * Chains in the range that are no session (a per-request server's chain,
   * the proxy's stateless HTTP chain): many clients' calls over a stretch of
   * time, so no per-session target applies to them.
   */
  readonly timeChains: number;
}

/** A chain that covers a stretch of time, not a session: it ends with chain_end, its records say so (still open), or a server wrote it. */
function coversTime(records: readonly AuditRecord[]): boolean {
  return records.some((r) => r[F.kind] === AUDIT_KIND_VALUES.chainEnd || r[F.chainCovers] === 'time' || r[F.direction] === 'server');
}

const num = (r: AuditRecord, field: string): number => {
  const v = r[field];
  return typeof v === 'number' ? v : Number(v ?? 0) || 0;
};
const str = (r: AuditRecord, field: string): string | undefined => (r[field] === undefined ? undefined : String(r[field]));
const ratio = (n: number, d: number): number | undefined => (d > 0 ? n / d : undefined);

function row(session: string, records: readonly AuditRecord[]): SessionRow {
  const ops = records.filter((r) => r[F.kind] === AUDIT_KIND_VALUES.operation);
  const end = records.find((r) => r[F.kind] === AUDIT_KIND_VALUES.sessionEnd);
  const times = records.map((r) => String(r[F.time])).sort();
  const notCancelled = ops.filter((r) => r[F.outcome] !== 'cancelled');
  const lost = ops.filter((r) => r[F.cause] !== undefined).length;
  const tokenSource = end ? [end] : ops;
  const meaningful = tokenSource.reduce((n, r) => n + num(r, F.tokensMeaningful), 0);
  const rendered = tokenSource.reduce((n, r) => n + num(r, F.tokensMeaningful) + num(r, F.tokensRedundant) + num(r, F.tokensUnused), 0);
  const calls = notCancelled.filter((r) => r[F.method] === 'tools/call');
  const failedByTool = new Map<string, number>();
  for (const r of calls) if (r[F.outcome] !== 'success') failedByTool.set(str(r, F.tool) ?? '(none)', (failedByTool.get(str(r, F.tool) ?? '(none)') ?? 0) + 1);
  const requests = end ? num(end, F.sessionRequests) : ops.filter((r) => r[F.method] !== 'initialize').length;
  const band = TARGET_REQUESTS_PER_SESSION;
  const within = requests >= band.min && requests <= band.max;
  const lossRate = ratio(lost, notCancelled.length);
  const efficiency = ratio(meaningful, rendered);
  const success = ratio(calls.filter((r) => r[F.outcome] === 'success').length, calls.length);
  const missed: MissedTarget[] = [];
  if (efficiency !== undefined && !meetsTarget(TARGET_TOKEN_EFFICIENCY, efficiency)) missed.push('token efficiency');
  if (lossRate !== undefined && !meetsTarget(TARGET_CONTEXT_LOSS_RATE, lossRate)) missed.push('context loss rate');
  if (success !== undefined && !meetsTarget(TARGET_TOOL_SUCCESS_RATE, success)) missed.push('tool call success rate');
  if (!within) missed.push('requests per session');
  const first = records[0] as AuditRecord;
  return {
    session,
    user: str(end ?? first, F.user),
    server: str(end ?? first, F.server),
    start: times[0] as string,
    end: times[times.length - 1] as string,
    open: end === undefined,
    requests,
    requestsWithinBand: within,
    responsesExpected: notCancelled.length,
    lostResponses: lost,
    lossRate,
    meaningfulTokens: meaningful,
    renderedTokens: rendered,
    tokenEfficiency: efficiency,
    toolCalls: calls.length,
    toolSuccessRate: success,
    failingTools: [...failedByTool].map(([tool, failed]) => ({ tool, failed })).sort((a, b) => b.failed - a.failed || a.tool.localeCompare(b.tool)),
    missed,
  };
}

const order = (a: SessionRow, b: SessionRow) => b.missed.length - a.missed.length || b.lostResponses - a.lostResponses || a.start.localeCompare(b.start) || a.session.localeCompare(b.session);

/** The sessions of `records` active in [start, end]: those that missed a target, and those still open at `end`. */
export function sessionFindings(records: Iterable<AuditRecord>, range: { start: Date; end: Date }): SessionFindings {
  const endIso = range.end.toISOString();
  const startIso = range.start.toISOString();
  const bySession = new Map<string, Map<number, AuditRecord>>();
  for (const r of records) {
    // Records after the range's end did not exist at its end; a session ended later was open then.
    if (String(r[F.time]) > endIso) continue;
    const id = String(r[F.session]);
    const seqs = bySession.get(id) ?? new Map<number, AuditRecord>();
    // Identical duplicates (an exporter retry) count once.
    seqs.set(num(r, F.seq), r);
    bySession.set(id, seqs);
  }
  const rows: SessionRow[] = [];
  let timeChains = 0;
  for (const [id, seqs] of bySession) {
    const list = [...seqs.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
    const r = row(id, list);
    // A session wholly before the range belongs to an earlier report.
    if (r.end < startIso) continue;
    if (coversTime(list)) timeChains++;
    else rows.push(r);
  }
  return {
    sessions: rows.filter((r) => !r.open && r.missed.length > 0).sort(order),
    open: rows.filter((r) => r.open).sort(order),
    examined: rows.length,
    timeChains,
  };
}

const CSV_HEADER = [
  'status', 'session', 'user', 'server', 'start', 'end', 'requests', 'requests_within_30_100', 'responses_expected', 'lost_responses', 'loss_rate',
  'meaningful_tokens', 'rendered_tokens', 'token_efficiency', 'tool_calls', 'tool_success_rate', 'failing_tools', 'targets_missed', 'missed',
];

/** RFC 4180: quote fields with commas, quotes or line breaks; neutralise spreadsheet formulas. */
function csvField(v: string | number | boolean | undefined): string {
  let s = v === undefined ? '' : String(v);
  if (/^[=+\-@]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The same rows as the HTML table and --json, for auditors' own tools. */
export function findingsCsv(f: SessionFindings): string {
  const line = (r: SessionRow) =>
    [
      r.open ? 'open' : 'ended', r.session, r.user, r.server, r.start, r.end, r.requests, r.requestsWithinBand, r.responsesExpected, r.lostResponses, r.lossRate,
      r.meaningfulTokens, r.renderedTokens, r.tokenEfficiency, r.toolCalls, r.toolSuccessRate, r.failingTools.map((t) => `${t.tool}:${t.failed}`).join(' '), r.missed.length, r.missed.join('; '),
    ].map(csvField).join(',');
  return `${[CSV_HEADER.join(','), ...f.sessions.map(line), ...f.open.map(line)].join('\r\n')}\r\n`;
}
