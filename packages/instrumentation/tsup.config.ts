import { defineConfig } from 'tsup';

export default defineConfig({
  // The analysis worker is its own entry: it runs in a worker thread.
  entry: ['src/index.ts', 'src/core/analysis-worker.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node22',
  external: ['@opentelemetry/api', '@modelcontextprotocol/sdk'],
});
