#!/usr/bin/env node
// Opt-in (not part of npm test): builds Prometheus 3 from the Go module
// proxy and runs the pipeline suite against it, every Prometheus of the
// harness being the 3.x binary, plus a fourth export path: the SDK sending
// OTLP straight to Prometheus 3's native receiver (--web.enable-otlp-receiver).
//   npm run prometheus3 -w @mcp-conservation/e2e
//   MCPC_PROMETHEUS3_VERSION=v0.316.0 npm run prometheus3 -w @mcp-conservation/e2e
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePrometheus3 } from './build-prometheus3.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();
const binary = ensurePrometheus3();
console.log(`[e2e] phase build (prometheus 3): ${((Date.now() - started) / 1000).toFixed(1)} s`);
const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
console.log(version.stdout.split('\n')[0]);
const r = spawnSync(process.execPath, [join(here, '..', '..', 'scripts', 'run-node-tests.mjs'), 'e2e-prometheus3', join(here, '..', 'e2e', 'pipeline.test.ts')], {
  cwd: join(here, '..'),
  stdio: 'inherit',
  env: { ...process.env, MCPC_PROMETHEUS_BINARY: binary, MCPC_PROMETHEUS3_OTLP: '1' },
});
process.exit(r.status ?? 1);
