/**
 * A thin layer over node:util parseArgs: strict flags, errors as usage
 * errors with the command's name, and `--help` recognised everywhere.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<V> {
  readonly values: V;
  readonly positionals: string[];
  readonly help: boolean;
}

/** Parses argv for `command`; unknown flags and missing values become usage errors. */
export function parseCommandArgs<V>(command: string, argv: readonly string[], options: OptionSpec, allowPositionals = true): Parsed<V> {
  const withHelp: OptionSpec = { ...options, help: { type: 'boolean', short: 'h' } };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: withHelp, allowPositionals, strict: true });
    const { help, ...rest } = values as Record<string, unknown>;
    return { values: rest as V, positionals, help: help === true };
  } catch (error) {
    // parseArgs' messages name the flag; drop its advice about `--` which confuses more than it helps.
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '.') : String(error);
    throw usageError(`${command}: ${message}\nRun \`mcp-conservation ${command} --help\` for usage.`);
  }
}
