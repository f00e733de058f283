/**
 * @mcp-conservation/cli as a library: the same entry points the
 * `mcp-conservation` binary uses, for scripts that want results as data.
 */
export { main } from './main.js';
export { EXIT, type ExitCode } from './command-line/exit-codes.js';
export { readAuditFiles, type ReadResult, type FileSummary } from './audit/read.js';
export { verifyRecords, type AuditVerification, type LocatedProblem, type AuditVerifyOptions } from './audit/verify.js';
export { decodeFile } from './audit/decode.js';
export { extractRecords, type LocatedRecord } from './audit/extract.js';
export { silentProgress, stderrProgress, type Progress } from './command-line/progress.js';
