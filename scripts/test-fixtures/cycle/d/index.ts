// Fixture for scripts/check-cycles.mjs: closes the c.ts -> d/index.ts cycle with a dynamic import.
export const d = () => import('../c.js');
