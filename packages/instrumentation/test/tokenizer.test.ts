/**
 * The chosen exact counter counts the same tokens as its fallback, the
 * reference (gpt-tokenizer), on every kind of text, special-token strings
 * included (plain text, never special tokens, never an error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactCounter, referenceCounter } from '../src/core/tokenizer.ts';
import { asciiPieceCounter } from '../src/core/tokenizer-ascii.ts';
import { loadTokenizer } from '../src/core/analysis.ts';

const CORPUS: Record<string, string> = {
  prose: 'The quick brown fox jumps over the lazy dog. '.repeat(20) + "I'm sure they'll say it's fine, DON'T they? We've 'quoted' HE'S it'd",
  code: 'function add(a, b) {\n  return a + b; // sum\n}\r\nconst x = add(1, 2);\n\tif (x !== 3) throw new Error("bad");\n\n\n  \n',
  json: JSON.stringify({ id: 42, path: '/a/b//c', tags: ['a', 'b'], nested: { ok: true, n: [1.5, -2e10, null, 1234567] } }, null, 2),
  cjk: 'これは日本語のテキストです。中文文本测试。한국어 텍스트입니다.',
  mixed: 'Здравствуйте! مرحبا بالعالم, ascii and é accents',
  emoji: 'emoji 👩‍👩‍👧‍👦 🇫🇷 👍🏽 🧪✨ family 😀😃😄 ',
  special: 'before <|endoftext|> middle <|fim_prefix|><|fim_middle|><|fim_suffix|> <|endofprompt|> <|im_start|>user<|im_end|> after',
  whitespace: '   leading\n\n\n\ttabs\r\nCRLF   trailing   \v\f\x00\x1f\x7f end ',
  numbers: '1234567890 3.14159 0x1f -42 1e-9 12,345,678 v1.2.3',
  empty: '',
};

/** Random ASCII from an alphabet that exercises every alternative of the pattern (contractions, capitals, digits, punctuation runs, whitespace runs). */
function randomAscii(count: number): string[] {
  const alphabet = "aAbZz09 \t\n\r\v\f'sStTmMdDrReEvVlL.,/!?-_{}[]\"():;#\x00\x1f\x7f";
  let seed = 1;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(next() * 48) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
}

test('o200k_base: the chosen counter and the fallback count the same tokens on prose, code, JSON, CJK, emoji and special-token strings', async () => {
  const chosen = await exactCounter('o200k_base');
  const fallback = await referenceCounter('o200k_base');
  for (const [kind, text] of Object.entries(CORPUS)) assert.equal(chosen(text), fallback(text), kind);
  // Counted twice: the second time from the piece cache.
  for (const [kind, text] of Object.entries(CORPUS)) assert.equal(chosen(text), fallback(text), `${kind}, cached`);
});

test('o200k_base: the same tokens on random ASCII text', async () => {
  const chosen = await exactCounter('o200k_base');
  const fallback = await referenceCounter('o200k_base');
  for (const text of randomAscii(5000)) assert.equal(chosen(text), fallback(text), JSON.stringify(text));
});

test('a cache collision never changes a count (a one-slot cache)', async () => {
  const fallback = await referenceCounter('o200k_base');
  const tiny = asciiPieceCounter(fallback, 0);
  for (const text of [CORPUS.prose, CORPUS.code, CORPUS.json, CORPUS.numbers, ...randomAscii(200)]) assert.equal(tiny(text as string), fallback(text as string));
});

test('special-token strings are plain text: never a special token, never an error', async () => {
  for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
    const count = await exactCounter(encoding);
    assert.ok(count('<|endoftext|>') > 1, `${encoding}: <|endoftext|> is several ordinary tokens`);
  }
});

test('cl100k_base: the chosen counter is the fallback itself', async () => {
  const chosen = await exactCounter('cl100k_base');
  const fallback = await referenceCounter('cl100k_base');
  for (const [kind, text] of Object.entries(CORPUS)) assert.equal(chosen(text), fallback(text), kind);
});

test('loadTokenizer keeps its contract: built-in encodings count exactly what the fallback counts', async () => {
  const o200k = await loadTokenizer('o200k_base');
  const byDefault = await loadTokenizer(undefined);
  const fallback = await referenceCounter('o200k_base');
  for (const text of Object.values(CORPUS)) {
    assert.equal(o200k(text), fallback(text));
    assert.equal(byDefault(text), fallback(text));
  }
  const cl100k = await loadTokenizer('cl100k_base');
  assert.equal(cl100k(CORPUS.cjk as string), (await referenceCounter('cl100k_base'))(CORPUS.cjk as string));
});

test('text with a non-ASCII character goes to the fallback whole; ASCII text only piece by piece, each piece once', async () => {
  const fallback = await referenceCounter('o200k_base');
  const seen: string[] = [];
  const spy = (text: string) => (seen.push(text), fallback(text));
  const count = asciiPieceCounter(spy);
  assert.equal(count(CORPUS.cjk as string), fallback(CORPUS.cjk as string));
  assert.deepEqual(seen, [CORPUS.cjk]);
  seen.length = 0;
  const ascii = 'one two one two 12 12';
  assert.equal(count(ascii), fallback(ascii));
  assert.deepEqual(seen, ['one', ' two', ' one', ' ', '12']);
});
