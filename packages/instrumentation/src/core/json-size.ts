/**
 * UTF-8 size of a value's compact JSON (what JSON.stringify would give),
 * without building the string: the wire size of a response is needed on
 * the host's thread, and stringifying a large result there costs more than
 * walking it.
 */

/** Strings longer than this can be sized elsewhere (see jsonSize). */
export const DEFER_LENGTH = 64;

/** Characters JSON escapes (and lone surrogates, which it writes as \uXXXX). */
const ESCAPED = /[\u0000-\u001f"\\\ud800-\udfff]/;

export function stringSize(s: string): number {
  // Surrogate pairs are in the class too: rare enough to take the exact slow path.
  return ESCAPED.test(s) ? Buffer.byteLength(JSON.stringify(s)) : Buffer.byteLength(s) + 2;
}

/**
 * Size of `value` as JSON.stringify writes it, or undefined where it writes
 * nothing (undefined, functions). With `deferred`, string values longer than
 * DEFER_LENGTH are pushed there and counted as zero: the caller sizes them
 * elsewhere (the analysis worker) and adds stringSize() of each.
 */
export function jsonSize(value: unknown, deferred?: string[]): number | undefined {
  switch (typeof value) {
    case 'string':
      if (deferred && value.length > DEFER_LENGTH) {
        deferred.push(value);
        return 0;
      }
      return stringSize(value);
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4;
    case 'boolean':
      return value ? 4 : 5;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (value === null) return 4;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return Buffer.byteLength(JSON.stringify(value) ?? '');
      if (Array.isArray(value)) {
        let n = 2 + Math.max(0, value.length - 1);
        for (const v of value) n += jsonSize(v, deferred) ?? 4;
        return n;
      }
      let n = 2;
      let first = true;
      for (const k of Object.keys(value)) {
        const v = jsonSize((value as Record<string, unknown>)[k], deferred);
        if (v === undefined) continue;
        n += (first ? 0 : 1) + stringSize(k) + 1 + v;
        first = false;
      }
      return n;
    }
    default:
      return undefined;
  }
}
