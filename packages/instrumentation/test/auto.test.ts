/** Auto-instrumentation of SDK v1 and of the v2 client, from CommonJS and from ESM (loader hook), and unpatching that leaves no trace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function run(args: string[]) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.trim().split('\n').pop() as string;
  return JSON.parse(line) as {
    before: { connect: boolean; callTool: boolean };
    after: { connect: boolean; callTool: boolean };
    spanNames: string[];
    auditCount: number;
    traceparent: boolean;
    spansAfterDisable: number;
    metaAfterDisable: Record<string, unknown> | null;
  };
}

for (const [kind, args] of [
  ['CommonJS require', [fixture('auto-cjs.cjs')]],
  ['ESM import with the loader hook', ['--import', fixture('esm-hook.mjs'), fixture('auto-esm.mjs')]],
  ['SDK v2 client, CommonJS require', [fixture('auto-v2-cjs.cjs')]],
  ['SDK v2 client, ESM import with the loader hook', ['--import', fixture('esm-hook.mjs'), fixture('auto-v2-esm.mjs')]],
] as const) {
  test(`auto-instrumentation: ${kind}`, () => {
    const out = run([...args]);
    assert.deepEqual(out.before, { connect: true, callTool: true });
    assert.deepEqual(out.spanNames.sort(), ['initialize', 'tools/call echo']);
    assert.equal(out.traceparent, true);
    assert.equal(out.auditCount, 3, 'initialize, tools/call, session end');
    // Disabled: the prototype is the SDK's own again, and a new session is not observed.
    assert.deepEqual(out.after, { connect: false, callTool: false });
    assert.equal(out.spansAfterDisable, 0);
    assert.deepEqual(out.metaAfterDisable, {});
  });
}
