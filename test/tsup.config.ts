import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'harness/index': 'harness/index.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
});
