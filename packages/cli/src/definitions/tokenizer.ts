/**
 * The token counter of a built-in encoding, as the instrumentation counts
 * (gpt-tokenizer, special-token strings such as `<|endoftext|>` counted as
 * the text they are).
 *
 * A stopgap: the instrumentation's `loadTokenizer` (the same reference
 * counter, bounded for hostile text by cutting runs past 256 letters and
 * texts past 32,768 characters) is not exported from
 * `@mcp-conservation/instrumentation/core`. Definitions of ordinary text
 * count the same either way; once it is exported, this file becomes one
 * import.
 */
import { loadEncoding } from './sdk.js';

export const ENCODINGS = ['o200k_base', 'cl100k_base'] as const;
export type Encoding = (typeof ENCODINGS)[number];
export type CountTokens = (text: string) => number;

/** Every special token is counted as the text it is (no `disallowedSpecial` error, no special id). */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

export async function loadCounter(encoding: Encoding): Promise<CountTokens> {
  const mod = await loadEncoding(encoding);
  return (text) => mod.countTokens(text, PLAIN_TEXT as never);
}
