#!/usr/bin/env node
// The one test command: builds, typechecks, lints and checks for import
// cycles, then runs every workspace's test script one at a time (suites that
// start services must not overlap), then sums the per-suite result files and
// ends with `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, '.test-results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
const env = { ...process.env, MCPC_TEST_RESULTS: resultsDir };

function phase(name, cmd, args) {
  const started = Date.now();
  console.log(`\n== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  console.log(`== ${name}: exit ${r.status ?? r.signal} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return r.status === 0;
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const workspaces = pkg.workspaces.filter((w) => {
  const p = join(root, w, 'package.json');
  return existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).scripts?.test;
});

const failedPhases = [];
if (!phase('build', 'npx', ['turbo', 'run', 'build', '--output-logs=errors-only'])) failedPhases.push('build');
if (!phase('typecheck', 'npx', ['turbo', 'run', 'typecheck', '--output-logs=errors-only'])) failedPhases.push('typecheck');
if (!phase('lint', 'npx', ['turbo', 'run', 'lint', '--output-logs=errors-only'])) failedPhases.push('lint');
// Writes cycles.json: its self-test and the check of packages/*/src count as tests.
if (!phase('cycles', process.execPath, ['scripts/check-cycles.mjs', '--self-test'])) failedPhases.push('cycles');
if (failedPhases.length === 0) {
  for (const ws of workspaces) {
    if (!phase(`test ${ws}`, 'npm', ['run', 'test', '--workspace', ws])) failedPhases.push(ws);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const seen = new Set(readdirSync(resultsDir).filter((f) => f.endsWith('.json')));
console.log('\n== Summary');
for (const file of [...seen].sort()) {
  const r = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped ?? 0;
  console.log(`${file.replace(/\.json$/, '').padEnd(28)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`);
  for (const f of r.failures ?? []) console.log(`  failed: ${f}`);
}
// A phase that failed without a failing test (a crash, a build error) counts as one failure.
for (const name of failedPhases) {
  const suiteFailed = [...seen].some((f) => name.endsWith(f.replace(/\.json$/, '')));
  if (!suiteFailed) {
    failed++;
    console.log(`phase failed: ${name}`);
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && failedPhases.length === 0 && passed > 0 ? 0 : 1);
