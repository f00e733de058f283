// Exact counting, timed on the very texts of this run: the counter the core
// uses (src/core/tokenizer.ts, through loadTokenizer) against gpt-tokenizer
// alone (the fallback), both wrapped in boundedCount as the core counts.
// The sources are imported as TypeScript (Node strips the types), the same
// code the build bundles into the worker.
import '../../../scripts/source-imports.mjs';
import { median } from './measure.mjs';
import { deserialize, serialize } from 'node:v8';

const { loadTokenizer, boundedCount } = await import('../src/core/analysis.ts');
const { referenceCounter } = await import('../src/core/tokenizer.ts');

export const chosen = await loadTokenizer('o200k_base');
/** What the core's counts must equal: gpt-tokenizer's count, bounded the same way. */
export const reference = boundedCount(await referenceCounter('o200k_base'));

/**
 * A hot loop on this thread, timed by the clock: the thread's CPU clock
 * (getrusage) ticks in milliseconds on some kernels, too coarse for a few
 * milliseconds of counting.
 */
function usPerText(count, texts) {
  let n = 0;
  const t0 = performance.now();
  for (const t of texts) n += count(t);
  return { us: ((performance.now() - t0) * 1000) / texts.length, n };
}

/** µs per text, median of `rounds` alternating rounds, and whether both counted the same tokens. */
export function compareCounters(built, rounds = 5) {
  // As the worker receives them: structured clones are flat strings, where
  // the bench's built texts are ropes and slices, slower to read by character.
  const texts = deserialize(serialize(built));
  const ours = [];
  const ref = [];
  let equal = true;
  for (let r = 0; r < rounds; r++) {
    const [a, b] = r % 2 ? [reference, chosen] : [chosen, reference];
    const x = usPerText(a, texts);
    const y = usPerText(b, texts);
    const [o, g] = r % 2 ? [y, x] : [x, y];
    ours.push(o.us);
    ref.push(g.us);
    equal &&= o.n === g.n;
  }
  return { ours: median(ours), reference: median(ref), equal };
}
