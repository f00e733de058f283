// Fixture for scripts/check-cycles.mjs: a.ts and b.ts import each other's types only.
import type { B } from './b.js';

export interface A {
  b?: B;
}
