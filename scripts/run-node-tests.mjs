#!/usr/bin/env node
// Runs one suite's node:test files (TypeScript, stripped by Node) with the
// spec reporter on stdout and the count reporter to the results folder.
// Usage: node run-node-tests.mjs <suite-name> <dir-or-glob>... [-- node args]
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [suite, ...rest] = process.argv.slice(2);
if (!suite) {
  console.error('usage: run-node-tests.mjs <suite> <test files or dirs>...');
  process.exit(2);
}
const split = rest.indexOf('--');
const targets = split === -1 ? rest : rest.slice(0, split);
const nodeArgs = split === -1 ? [] : rest.slice(split + 1);
const resultsDir = resolve(process.env.MCPC_TEST_RESULTS ?? join(here, '..', '.test-results'));
mkdirSync(resultsDir, { recursive: true });
const patterns = targets.length ? targets.map((t) => (t.includes('*') || t.endsWith('.ts') ? t : `${t}/**/*.test.ts`)) : ['test/**/*.test.ts'];

const result = spawnSync(
  process.execPath,
  [
    ...nodeArgs,
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(here, 'count-reporter.mjs')}`,
    `--test-reporter-destination=${join(resultsDir, `${suite}.reporter.log`)}`,
    ...patterns,
  ],
  // Truth tests assert exact counts whatever the machine's load: no overload estimates unless a test sets a budget itself.
  { stdio: 'inherit', env: { MCP_CONSERVATION_ACCOUNTING_BUDGET: 'unlimited', ...process.env, MCPC_TEST_RESULT_FILE: join(resultsDir, `${suite}.json`) } },
);
process.exit(result.status ?? 1);
