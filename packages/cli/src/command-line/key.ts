/**
 * The audit key, from --key or --key-file (preferred: a key on the command
 * line is visible to other users in the process list).
 */
import { readFileSync } from 'node:fs';
import { CliError, usageError } from './errors.js';
import { EXIT } from './exit-codes.js';

export function resolveKey(command: string, key: string | undefined, keyFile: string | undefined): string | undefined {
  if (key !== undefined && keyFile !== undefined) throw usageError(`${command}: give --key or --key-file, not both`);
  if (keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (error) {
      throw new CliError(EXIT.input, `${command}: cannot read key file ${keyFile}: ${(error as Error).message}`);
    }
    // Editors add a final newline; the key is the file's text without it.
    const trimmed = text.replace(/\r?\n$/, '');
    if (!trimmed) throw usageError(`${command}: key file ${keyFile} is empty`);
    return trimmed;
  }
  if (key === '') throw usageError(`${command}: --key is empty`);
  return key;
}
