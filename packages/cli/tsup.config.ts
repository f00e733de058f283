import { defineConfig } from 'tsup';

// ESM only: the CLI is a Node program, and its heavy dependencies (vega,
// playwright-core) are loaded lazily by the commands that need them.
export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts', 'src/demo/sample-server.ts', 'src/demo/sample-server-modern.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node22',
});
