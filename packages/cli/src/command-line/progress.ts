/**
 * Progress and diagnostics on stderr, so that stdout carries only the
 * result (text or --json) and can be piped.
 */
export interface Progress {
  /** A step of long work; silent under --quiet. */
  step(message: string): void;
  /** A diagnostic about the input (a malformed line, a skipped file); always shown. */
  warn(message: string): void;
}

export function stderrProgress(quiet: boolean, stream: NodeJS.WritableStream = process.stderr): Progress {
  return {
    step(message) {
      if (!quiet) stream.write(`mcp-conservation: ${message}\n`);
    },
    warn(message) {
      stream.write(`mcp-conservation: warning: ${message}\n`);
    },
  };
}

export const silentProgress: Progress = { step() {}, warn() {} };
