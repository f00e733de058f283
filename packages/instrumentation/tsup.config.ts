import { defineConfig } from 'tsup';

export default defineConfig({
  // `core` is the ./core entry point; the analysis worker is its own entry: it runs in a worker thread.
  entry: { index: 'src/index.ts', core: 'src/core-entry.ts', 'core/analysis-worker': 'src/core/analysis-worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', core: 'src/core-entry.ts' } },
  // Shared chunks in both formats: module-level state (the shared worker, the caps) is one per process even when both entry points are loaded.
  splitting: true,
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node22',
  external: ['@opentelemetry/api', '@modelcontextprotocol/sdk'],
});
