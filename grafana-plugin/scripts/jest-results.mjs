#!/usr/bin/env node
// Runs the plugin's Jest suites once and writes the monorepo's result file,
// $MCPC_TEST_RESULTS/grafana-plugin.json ({passed, failed, skipped, failures}),
// from Jest's --json report. Exits non-zero when anything failed or Jest
// could not report. Extra arguments go to Jest (e.g. a test path).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SUITE = 'grafana-plugin';
const pluginDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'mcpc-jest-'));
const report = join(scratch, 'jest.json');

const jest = spawnSync(
  'npx',
  ['jest', '--ci', '--maxWorkers=2', '--json', `--outputFile=${report}`, ...process.argv.slice(2)],
  {
    cwd: pluginDir,
    stdio: 'inherit',
    env: { ...process.env, TZ: 'UTC' },
  }
);

let result;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const failures = [];
  for (const file of json.testResults ?? []) {
    const rel = file.name.slice(pluginDir.length + 1);
    // A suite that failed to load has no assertion results: count it as one failure.
    if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed')) {
      failures.push(`${rel}: ${(file.message ?? '').split('\n').find((l) => l.trim()) ?? 'suite failed'}`);
    }
    for (const a of file.assertionResults ?? []) {
      if (a.status === 'failed') {
        failures.push(`${rel} › ${a.fullName}`);
      }
    }
  }
  result = {
    passed: json.numPassedTests,
    failed: Math.max(json.numFailedTests, failures.length),
    skipped: json.numPendingTests + json.numTodoTests,
    failures,
  };
} catch (err) {
  result = {
    passed: 0,
    failed: 1,
    skipped: 0,
    failures: [`jest did not report (exit ${jest.status ?? jest.signal}): ${err.message}`],
  };
}
rmSync(scratch, { recursive: true, force: true });

const dir = process.env.MCPC_TEST_RESULTS;
if (dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${SUITE}.json`), JSON.stringify(result, null, 2) + '\n');
}
console.log(
  `${SUITE}: ${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''}`
);
process.exit(jest.status === 0 && result.failed === 0 ? 0 : 1);
