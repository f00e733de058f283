/**
 * A faster exact o200k_base count for ASCII text: the encoding's
 * pre-tokenizer written out as a scanner over character codes, with each
 * piece's count looked up in a small cache and, on a miss, taken from the
 * reference counter (gpt-tokenizer) on that piece alone.
 *
 * Why: on token-dense text (numbers, short words, JSON) the reference
 * spends most of its time in its Unicode pre-tokenizer regex, one match per
 * token; the merges themselves are cached. A scanner over ASCII codes
 * finds the same pieces in a fraction of that time. BPE counts are
 * additive over pieces (the encoding merges within a piece only), so the
 * sum of the pieces' counts is the text's count. Text with any non-ASCII
 * character goes to the reference whole: the scanner knows ASCII classes
 * only. Equality with the reference is tested on a corpus and on random
 * ASCII (test/tokenizer.test.ts).
 */

type Count = (text: string) => number;

const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
const SPACE = 8;
const NEWLINE = 16;
const PUNCT = 32;
const LETTER = UPPER | LOWER;

/** The class of each ASCII code, as the pattern's Unicode classes see it: \s is tab to CR and space; the rest is \p{L}, \p{N} or neither. */
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 65 && c <= 90) CLASS[c] = UPPER;
  else if (c >= 97 && c <= 122) CLASS[c] = LOWER;
  else if (c >= 48 && c <= 57) CLASS[c] = DIGIT;
  else if (c === 10 || c === 13) CLASS[c] = SPACE | NEWLINE;
  else if (c === 9 || c === 11 || c === 12 || c === 32) CLASS[c] = SPACE;
  else CLASS[c] = PUNCT;
}

const cls = (s: string, i: number): number => CLASS[s.charCodeAt(i)] ?? 0;

/**
 * Where the piece starting at p ends: the first alternative of the o200k
 * pattern that matches there, with the regex's backtracking worked out:
 *  1. `[^\r\n\p{L}\p{N}]?[\p{Lu}…]*[\p{Ll}…]+('s|'t|'re|'ve|'m|'ll|'d)?` (case-insensitive contraction)
 *  2. `[^\r\n\p{L}\p{N}]?[\p{Lu}…]+[\p{Ll}…]*(contraction)?` — capitals not followed by lowercase
 *  3. `\p{N}{1,3}`
 *  4. ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
 *  5. `\s*[\r\n]+` — whitespace up to its last line break
 *  6. `\s+(?!\S)` — whitespace but its last character, unless it ends the text
 *  7. `\s+`
 */
export function pieceEnd(s: string, p: number, n: number): number {
  const c = cls(s, p);
  // 1 and 2: one optional non-letter, non-digit, non-newline prefix before letters.
  let a = p;
  if (!(c & (LETTER | DIGIT | NEWLINE)) && p + 1 < n && cls(s, p + 1) & LETTER) a = p + 1;
  if (cls(s, a) & LETTER) {
    let e = a;
    while (e < n && cls(s, e) === UPPER) e++;
    while (e < n && cls(s, e) === LOWER) e++;
    if (e + 1 < n && s.charCodeAt(e) === 39) {
      const x = s.charCodeAt(e + 1) | 32;
      if (x === 115 || x === 116 || x === 109 || x === 100) return e + 2; // 's 't 'm 'd
      if (e + 2 < n) {
        const y = s.charCodeAt(e + 2) | 32;
        if ((x === 114 && y === 101) || (x === 118 && y === 101) || (x === 108 && y === 108)) return e + 3; // 're 've 'll
      }
    }
    return e;
  }
  if (c & DIGIT) {
    let e = p + 1;
    if (e < n && cls(s, e) & DIGIT && ++e < n && cls(s, e) & DIGIT) e++;
    return e;
  }
  const b = s.charCodeAt(p) === 32 && p + 1 < n && cls(s, p + 1) & PUNCT ? p + 1 : p;
  if (cls(s, b) & PUNCT) {
    let e = b + 1;
    while (e < n && cls(s, e) & PUNCT) e++;
    for (let k = s.charCodeAt(e); e < n && (k === 10 || k === 13 || k === 47); k = s.charCodeAt(++e));
    return e;
  }
  // Whitespace: c is SPACE here (every ASCII code is a letter, a digit, punctuation or whitespace).
  let q = p + 1;
  while (q < n && cls(s, q) & SPACE) q++;
  for (let j = q - 1; j >= p; j--) if (cls(s, j) & NEWLINE) return j + 1;
  return q === n || q - p === 1 ? q : q - 1;
}

const NON_ASCII = /[^\x00-\x7f]/;
/** Pieces longer than this are counted without the cache: rare, and slow to compare. */
const MAX_CACHED = 64;

/**
 * Wraps the reference o200k_base counter (special-token strings as plain
 * text) with the ASCII scanner. The cache is direct-mapped (2^bits slots,
 * a collision replaces the slot), so it is bounded without bookkeeping;
 * a hit compares the piece itself, so a collision never changes a count.
 * It holds pieces (words, numbers) of counted text, as the reference's own
 * merge cache does, copied so that no cached piece keeps its text alive.
 */
export function asciiPieceCounter(reference: Count, bits = 15): Count {
  const mask = (1 << bits) - 1;
  const keys: string[] = new Array<string>(mask + 1).fill('');
  const counts = new Int32Array(mask + 1);
  return (text) => {
    if (NON_ASCII.test(text)) return reference(text);
    const n = text.length;
    let total = 0;
    for (let p = 0; p < n; ) {
      const e = pieceEnd(text, p, n);
      const len = e - p;
      if (len > MAX_CACHED) {
        total += reference(text.slice(p, e));
        p = e;
        continue;
      }
      let h = 0x811c9dc5;
      for (let i = p; i < e; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
      const slot = (h ^ (h >>> 15)) & mask;
      const key = keys[slot] as string;
      let hit = key.length === len;
      for (let i = 0; hit && i < len; i++) hit = key.charCodeAt(i) === text.charCodeAt(p + i);
      if (hit) total += counts[slot] as number;
      else {
        // A copy, not a slice: a slice of a long text would keep the whole text alive.
        const piece = Buffer.from(text.slice(p, e), 'latin1').toString('latin1');
        const k = reference(piece);
        keys[slot] = piece;
        counts[slot] = k;
        total += k;
      }
      p = e;
    }
    return total;
  };
}
