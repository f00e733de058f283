/**
 * Exit codes of every command, documented in the package README and in
 * `mcp-conservation --help`. Cron jobs and CI scripts branch on them.
 */
export const EXIT = {
  /** Done, and nothing was found wrong. */
  ok: 0,
  /** Done, and something was found: a gap or altered record, a missed target, an unreadable record. */
  findings: 1,
  /** Bad command line: unknown command or flag, missing or invalid value. */
  usage: 2,
  /** An input file could not be read at all (missing, unreadable, not an audit file format). */
  input: 3,
  /** An endpoint could not be reached or answered with an error (Prometheus). */
  unreachable: 4,
  /** An output could not be written (HTML, PNG, or the browser that renders PNGs). */
  output: 5,
  /** A bug: an unexpected error. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP = `Exit codes:
  0   done, nothing found wrong
  1   done, findings: audit gaps or altered records, unreadable records, missed targets
  2   usage error: unknown command or flag, missing or invalid value
  3   an input file could not be read at all, or holds no audit records
  4   an endpoint (Prometheus) could not be reached or answered with an error
  5   an output (HTML, PNG) could not be written
  70  internal error (a bug; please report it)`;
