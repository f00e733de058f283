/**
 * McpInstrumentation instruments servers too by default (v1 and v2, CommonJS), and
 * `servers: false` turns that side off. The client and server in one
 * process share one trace: the server span is the client span's child, the
 * tool's own work the server span's. Behind v2's node adapter, required or
 * imported, the SERVER span has the caller's socket peer as client.address,
 * and a request createMcpHandler's entry refuses has a SERVER span too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface S {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parent: string | null;
}

function run(...args: string[]): { spans: S[]; audit: [string, string][] } {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/server-auto.cjs', import.meta.url)), ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as { spans: S[]; audit: [string, string][] };
}

for (const sdk of ['v1', 'v2']) {
  test(`auto (${sdk}, default config): a SERVER span per request, joined to the client's, the tool's work under it`, () => {
    const { spans, audit } = run(sdk);
    const server = spans.find((s) => s.kind === 1 && s.name === 'tools/call echo');
    const client = spans.find((s) => s.kind === 2 && s.name === 'tools/call echo');
    assert.ok(server && client, JSON.stringify(spans));
    assert.equal(server.traceId, client.traceId);
    assert.equal(server.parent, client.spanId);
    assert.equal(spans.find((s) => s.name === 'tool work')?.parent, server.spanId);
    assert.ok(spans.some((s) => s.kind === 1 && s.name === 'initialize'));
    // instrumentation.shutdown() closed the server's chain: initialize and the call, then its end.
    assert.deepEqual(audit.filter(([direction]) => direction === 'server').map(([, kind]) => kind), ['operation', 'operation', 'chain_end']);
  });

  test(`auto (${sdk}): servers: false leaves servers alone`, () => {
    const { spans, audit } = run(sdk, 'off');
    assert.equal(audit.filter(([direction]) => direction === 'server').length, 0);
    assert.equal(spans.filter((s) => s.kind === 1).length, 0);
    assert.ok(spans.some((s) => s.kind === 2 && s.name === 'tools/call echo'), 'the client side still works');
  });
}

for (const loader of ['cjs', 'esm'] as const) {
  test(`auto (v2 node adapter, ${loader}): a server behind toNodeHandler(createMcpHandler()) knows its caller's socket peer as client.address and client.port; a request its entry refuses has its span`, () => {
    const fixture = fileURLToPath(new URL('./fixtures/server-auto-node-adapter.cjs', import.meta.url));
    const hook = fileURLToPath(new URL('./fixtures/esm-hook.mjs', import.meta.url));
    const args = loader === 'esm' ? ['--import', hook, fixture, loader] : [fixture, loader];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const { addresses, peer, refusals } = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { addresses: unknown[]; peer: [string, number]; refusals: unknown[] };
    assert.equal(peer[0], '127.0.0.1');
    assert.deepEqual(addresses, [peer]);
    assert.deepEqual(refusals, [['tools/call echo', '99', '127.0.0.1']], "createMcpHandler's entry refusal (-32022) has its SERVER span");
  });
}
