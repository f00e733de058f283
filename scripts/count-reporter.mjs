// A node:test reporter that writes this suite's pass/fail/skip counts to the
// file named by MCPC_TEST_RESULT_FILE, for scripts/test-all.mjs to sum.
import { writeFileSync } from 'node:fs';

export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.details?.type === 'suite') {
      // A suite that fails outside its tests (a hook, a crash) counts once.
      if (event.type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
        counts.failed++;
        counts.failures.push(`${data.name} (suite)`);
      }
      continue;
    }
    if (data.skip || data.todo) counts.skipped++;
    else if (event.type === 'test:pass') counts.passed++;
    else {
      counts.failed++;
      counts.failures.push(data.name);
    }
  }
  const file = process.env.MCPC_TEST_RESULT_FILE;
  if (file) writeFileSync(file, JSON.stringify(counts));
  yield '';
}
