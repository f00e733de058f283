// Fixture for scripts/check-cycles.mjs: the other half of the a.ts <-> b.ts type cycle.
import type { A } from './a.js';

export interface B {
  a?: A;
}
