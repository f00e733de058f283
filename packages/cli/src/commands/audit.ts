/**
 * `mcp-conservation audit verify <files...>`: checks audit trails written by
 * the Collector's file exporter for gaps and altered records.
 */
import { parseCommandArgs } from '../command-line/args.js';
import { CliError, usageError } from '../command-line/errors.js';
import { EXIT, EXIT_CODE_HELP } from '../command-line/exit-codes.js';
import { resolveKey } from '../command-line/key.js';
import { stderrProgress } from '../command-line/progress.js';
import { readAuditFiles } from '../audit/read.js';
import { verifyRecords, type AuditVerification } from '../audit/verify.js';

export const AUDIT_HELP = `Usage: mcp-conservation audit <subcommand>

Subcommands:
  verify <files or folders...>   check audit trails for gaps and altered records

Run \`mcp-conservation audit verify --help\` for its options.`;

export const VERIFY_HELP = `Usage: mcp-conservation audit verify <files or folders...> [options]

Reads audit records as the Collector's file exporter writes them (OTLP JSON
lines; length-prefixed zstd frames; whole-file zstd or gzip; rotated files,
or a folder holding a rotated set) and checks, per session, that sequence
numbers are contiguous from 1, that every record matches its chain link and
that every link follows the one before it.

Options:
  --key <key>          the audit key, for records chained with HMAC-SHA256
  --key-file <file>    read the audit key from a file (one trailing newline is ignored)
  --allow-open         sessions without a session_end record are not a problem
                       (a trail that is still being written)
  --allow-unkeyed      with a key: accept records chained with plain SHA-256
                       (producers without the key); they are counted as not
                       authenticated, since anyone can recompute such a chain
  --json               print the result as JSON on stdout
  --quiet              no progress on stderr
  -h, --help           this help

Each gap and altered record is printed with its session, sequence number and
file position.

${EXIT_CODE_HELP}`;

interface VerifyFlags {
  key?: string;
  'key-file'?: string;
  'allow-open'?: boolean;
  'allow-unkeyed'?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function runAudit(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${AUDIT_HELP}\n`);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub !== 'verify') throw usageError(`audit: unknown subcommand '${sub}' (known: verify)\nRun \`mcp-conservation audit --help\` for usage.`);
  return runVerify(rest);
}

export function formatVerification(v: AuditVerification): string {
  const lines: string[] = [];
  const open = v.sessions.filter((s) => !s.ended).length;
  lines.push(
    `audit verify: ${v.files} file(s), ${v.records} record(s) in ${v.sessions.length} session(s)` +
      (v.duplicates ? `, ${v.duplicates} identical duplicate(s) ignored` : '') +
      (open ? `, ${open} without session_end` : '') +
      (v.unauthenticated ? `, ${v.unauthenticated} not authenticated (plain SHA-256 chains)` : ''),
  );
  for (const p of v.problems) {
    lines.push(`${p.kind.toUpperCase().padEnd(18)} session ${p.session} seq ${p.seq}: ${p.detail}${p.location ? ` (${p.location})` : ''}`);
  }
  for (const d of v.diagnostics) lines.push(`${'UNREADABLE'.padEnd(18)} ${d}`);
  if (v.ok) {
    lines.push('OK: every chain is contiguous and unaltered');
  } else {
    const counts = new Map<string, number>();
    for (const p of v.problems) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
    if (v.diagnostics.length) counts.set('unreadable', v.diagnostics.length);
    lines.push(`FAIL: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  }
  return lines.join('\n');
}

async function runVerify(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommandArgs<VerifyFlags>('audit verify', argv, {
    key: { type: 'string' },
    'key-file': { type: 'string' },
    'allow-open': { type: 'boolean' },
    'allow-unkeyed': { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (help) {
    process.stdout.write(`${VERIFY_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw usageError('audit verify: give at least one audit file or folder\nRun `mcp-conservation audit verify --help` for usage.');
  const key = resolveKey('audit verify', values.key, values['key-file']);
  const progress = stderrProgress(values.quiet === true);
  const read = await readAuditFiles(positionals, progress);
  if (read.records.length === 0) {
    // Nothing could be verified: not an audit file, or nothing in it could be read (exit 3, as documented).
    throw new CliError(
      EXIT.input,
      `audit verify: no audit records found in ${read.files.length} file(s)` +
        (read.skipped.nonLogMessages ? ` (${read.skipped.nonLogMessages} message(s) hold traces or metrics, not logs)` : '') +
        read.diagnostics.map((d) => `\n  ${d}`).join(''),
    );
  }
  progress.step(`verifying ${read.records.length} records`);
  const verification = verifyRecords(read, { ...(key !== undefined ? { key } : {}), allowOpen: values['allow-open'] === true, allowUnkeyed: values['allow-unkeyed'] === true });
  process.stdout.write(values.json ? `${JSON.stringify(verification, null, 2)}\n` : `${formatVerification(verification)}\n`);
  return verification.ok ? EXIT.ok : EXIT.findings;
}
