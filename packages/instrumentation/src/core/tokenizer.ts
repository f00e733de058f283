/**
 * The exact counter of each built-in encoding, chosen by measurement
 * (docs/conservation-metrics.md#cost has the figures):
 * - the reference is gpt-tokenizer (pure JS, MIT, the most used exact
 *   counter on npm); it counts every text and is the fallback;
 * - o200k_base adds the ASCII scanner of tokenizer-ascii.ts in front of it,
 *   about 2.5 times faster on token-dense text and counting the same
 *   tokens; text with non-ASCII characters goes to the reference.
 * The native tiktoken bindings measured here were slower than both from
 * Node (a call per text through N-API and tiktoken-rs's regex), and none
 * ships binaries for every platform with a synchronous exact count.
 * Special-token strings such as `<|endoftext|>` are plain text: never a
 * special token, never an error.
 */
import { asciiPieceCounter } from './tokenizer-ascii.js';

type Count = (text: string) => number;
export type Encoding = 'o200k_base' | 'cl100k_base';

/** Every special token is counted as the text it is (no `disallowedSpecial` error, no special id). */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** The reference counter of an encoding: gpt-tokenizer, special-token strings as plain text. */
export async function referenceCounter(encoding: Encoding): Promise<Count> {
  const mod = encoding === 'cl100k_base' ? await import('gpt-tokenizer/encoding/cl100k_base') : await import('gpt-tokenizer/encoding/o200k_base');
  return (text) => mod.countTokens(text, PLAIN_TEXT as never);
}

/** The exact counter used for an encoding: the reference, accelerated where an accelerator counts the same tokens. */
export async function exactCounter(encoding: Encoding): Promise<Count> {
  const reference = await referenceCounter(encoding);
  return encoding === 'o200k_base' ? asciiPieceCounter(reference) : reference;
}
