import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configDir } from '@mcp-conservation/collector-config';
import { ensureCollector } from '@mcp-conservation/collector-config/build-collector';

// Builds otelcol-mcp on a cold machine (minutes), else takes the cached binary.
const started = Date.now();
const binary = ensureCollector((l) => console.log(l));
console.log(`collector build phase: ${((Date.now() - started) / 1000).toFixed(1)} s`);

const SHIPPED = [['agent.yaml'], ['gateway.yaml'], ['gateway.yaml', 'gateway-audit-archive.yaml']];

function validate(files: string[], env: Record<string, string> = {}) {
  return spawnSync(binary, ['validate', ...files.flatMap((f) => ['--config', join(configDir, f)])], { encoding: 'utf8', env: { ...process.env, ...env } });
}

for (const files of SHIPPED) {
  test(`otelcol-mcp validate accepts ${files.join(' + ')}`, () => {
    const r = validate(files);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
}

test('the manifest holds exactly the components the shipped configs use', () => {
  const r = spawnSync(binary, ['components'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const built = [...r.stdout.matchAll(/^\s+- name: (\S+)/gm)].map((m) => m[1] as string).sort();
  const used = new Set<string>();
  for (const file of new Set(SHIPPED.flat())) {
    const doc = parse(readFileSync(join(configDir, file), 'utf8'));
    for (const kind of ['receivers', 'processors', 'exporters', 'connectors', 'extensions']) {
      for (const id of Object.keys(doc[kind] ?? {})) used.add(id.split('/')[0] as string);
    }
  }
  assert.deepEqual(built, [...used].sort());
});

test('validate rejects a bad value coming from the environment (env reaches the config)', () => {
  const r = validate(['agent.yaml'], { MCPC_AGENT_BATCH_TIMEOUT: 'soon' });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /invalid duration/);
});
