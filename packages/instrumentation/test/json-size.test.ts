/** The JSON size walker equals Buffer.byteLength(JSON.stringify(v)) exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSize, stringSize } from '../src/core/json-size.ts';

const truth = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? '');

test('equals the byte length of JSON.stringify on edge cases and a pseudo-random corpus', () => {
  const edge: unknown[] = [
    '',
    'plain ascii',
    'quote " backslash \\ newline \n tab \t nul \u0000 esc \u001b',
    'é € 😀 \u2028 \u2029',
    'lone \ud800 surrogate \udc00',
    0,
    -0,
    1e21,
    1.5e-7,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    false,
    null,
    [],
    {},
    [undefined, () => 1, Symbol('s'), 1],
    { a: undefined, b: () => 1, c: 1, 'key "q"': 'v' },
    { d: new Date(0), nested: { toJSON: () => ({ x: 1 }) } },
    { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'Result 7: context window token efficiency'.repeat(40) }], isError: false } },
  ];
  for (const v of edge) assert.equal(jsonSize(v) ?? 0, truth(v), JSON.stringify(v));

  let seed = 11;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const chars = ['a', 'Z', ' ', '"', '\\', '\n', 'é', '€', '😀', '\u0001', '/', '<'];
  const str = () => Array.from({ length: rnd(12) }, () => chars[rnd(chars.length)]).join('');
  const gen = (depth: number): unknown => {
    const kind = depth > 3 ? rnd(4) : rnd(6);
    if (kind === 0) return rnd(2) ? rnd(100000) / (rnd(9) + 1) : -rnd(50);
    if (kind === 1) return str();
    if (kind === 2) return [true, false, null][rnd(3)];
    if (kind === 3) return rnd(2) ? undefined : str();
    if (kind === 4) return Array.from({ length: rnd(5) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rnd(6); i > 0; i--) o[str()] = gen(depth + 1);
    return o;
  };
  const withDeferred = (v: unknown) => {
    const deferred: string[] = [];
    const base = jsonSize(v, deferred) ?? 0;
    return base + deferred.reduce((n, s) => n + stringSize(s), 0);
  };
  for (let i = 0; i < 2000; i++) {
    const v = { wrap: gen(0), long: str().repeat(20) };
    assert.equal(jsonSize(v), truth(v));
    assert.equal(withDeferred(v), truth(v), 'long strings sized elsewhere add up to the same');
  }
  for (const v of edge) assert.equal(withDeferred(v), truth(v));
});
