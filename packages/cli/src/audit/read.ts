/**
 * Reads audit files (and folders of them: a rotated set) into located
 * records plus diagnostics. A path that cannot be read at all is an input
 * error; content that cannot be decoded is a diagnostic.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from '../command-line/errors.js';
import { EXIT } from '../command-line/exit-codes.js';
import type { Progress } from '../command-line/progress.js';
import { decodeFile } from './decode.js';
import { extractRecords, type LocatedRecord } from './extract.js';

export interface FileSummary {
  readonly path: string;
  readonly encoding: string;
  readonly messages: number;
  readonly records: number;
}

export interface ReadResult {
  readonly files: FileSummary[];
  readonly records: LocatedRecord[];
  /** Malformed content: each may hide lost records, so it counts as a finding. */
  readonly diagnostics: string[];
  /** Log records that are not audit events, and messages that are traces or metrics: skipped, not wrong. */
  readonly skipped: { readonly otherLogs: number; readonly nonLogMessages: number };
}

async function expand(paths: readonly string[], progress?: Progress): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new CliError(EXIT.input, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`);
    }
    if (info.isDirectory()) {
      // A rotated set: the live file and its timestamped backups, in name order. Links to files count as files; subfolders are not read.
      const names: string[] = [];
      for (const d of await readdir(path, { withFileTypes: true })) {
        if (d.isFile() || (d.isSymbolicLink() && (await stat(join(path, d.name)).catch(() => undefined))?.isFile())) names.push(d.name);
        else if (d.isDirectory()) progress?.step(`${join(path, d.name)}: a folder inside ${path}, not read`);
      }
      files.push(...names.sort().map((n) => join(path, n)));
    } else {
      files.push(path);
    }
  }
  return files;
}

export async function readAuditFiles(paths: readonly string[], progress: Progress): Promise<ReadResult> {
  const files = await expand(paths, progress);
  const summaries: FileSummary[] = [];
  const records: LocatedRecord[] = [];
  const diagnostics: string[] = [];
  let otherLogs = 0;
  let nonLogMessages = 0;
  for (const [i, file] of files.entries()) {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (error) {
      throw new CliError(EXIT.input, `cannot read ${file}: ${(error as Error).message}`);
    }
    const decoded = decodeFile(buf, file);
    let fileRecords = 0;
    for (const message of decoded.messages) {
      if ('error' in message) {
        diagnostics.push(`${message.where}: ${message.error}`);
        continue;
      }
      const result = extractRecords(message.text, message.where);
      records.push(...result.records);
      fileRecords += result.records.length;
      diagnostics.push(...result.problems);
      otherLogs += result.otherLogs;
      if (result.notLogs) nonLogMessages++;
    }
    if (decoded.fatal) diagnostics.push(`${file}: ${decoded.fatal}`);
    summaries.push({ path: file, encoding: decoded.encoding, messages: decoded.messages.length, records: fileRecords });
    progress.step(`read ${file} (${i + 1}/${files.length}, ${decoded.encoding}): ${fileRecords} audit records`);
  }
  return { files: summaries, records, diagnostics, skipped: { otherLogs, nonLogMessages } };
}
