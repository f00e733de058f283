// Fixture for scripts/check-cycles.mjs: c.ts re-exports from the folder d (its index.ts),
// which imports c.ts back dynamically. The comment and the string below are not imports:
// import { e } from './e.js';
export { d } from './d';
export const text = "import './e.js'";
