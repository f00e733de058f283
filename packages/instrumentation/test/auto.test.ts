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
    serverSpanNames: string[];
    serverParents: { name: string; parent: string | null; sameTrace: boolean }[];
    otherSpans: number;
    auditCount: number;
    serverAuditCount: number;
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
    // The in-process server is instrumented too (servers default on): a SERVER span per request, child of the client's.
    assert.deepEqual(out.serverSpanNames.sort(), ['initialize', 'tools/call echo']);
    assert.deepEqual(
      out.serverParents.sort((a, b) => a.name.localeCompare(b.name)),
      [
        { name: 'initialize', parent: 'initialize', sameTrace: true },
        { name: 'tools/call echo', parent: 'tools/call echo', sameTrace: true },
      ],
    );
    assert.equal(out.otherSpans, 0, 'no span of any other kind');
    assert.equal(out.serverAuditCount, 2, 'the server audits the requests it answered: initialize, tools/call');
    // Disabled: the prototype is the SDK's own again, and a new session is not observed.
    assert.deepEqual(out.after, { connect: false, callTool: false });
    assert.equal(out.spansAfterDisable, 0);
    assert.deepEqual(out.metaAfterDisable, {});
  });
}
