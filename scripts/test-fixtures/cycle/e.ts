// Fixture for scripts/check-cycles.mjs: imports into both cycles without being in one.
import type { A } from './a.js';
import { d } from './d/index.js';

export const e: A | typeof d = d;
