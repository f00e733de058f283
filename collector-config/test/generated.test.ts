import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALL_METRICS, AUDIT_ATTRIBUTE_KEYS, SERVER_METRICS, METRIC_AUDIT_RECEIVED, PAYLOAD_ATTRIBUTE_KEYS } from '@mcp-conservation/semconv';
import { AUDIT_RECORD_CONDITION, NON_AUDIT_RECORD_CONDITION, configDir, generatedFiles, redactionAllowList } from '@mcp-conservation/collector-config';

test('generated files are up to date (run: npm run generate -w @mcp-conservation/collector-config)', () => {
  for (const { path, content } of generatedFiles()) {
    assert.equal(readFileSync(join(configDir, path), 'utf8'), content, `collector-config/${path} is stale`);
  }
});

const agent = parse(readFileSync(join(configDir, 'agent.yaml'), 'utf8'));
const redaction = agent.processors.redaction;

test('the agent keeps every audit field and every metric attribute', () => {
  const allowed = new Set<string>(redaction.allowed_keys);
  for (const k of AUDIT_ATTRIBUTE_KEYS) assert.ok(allowed.has(k), `audit field ${k}`);
  for (const m of [...ALL_METRICS, ...SERVER_METRICS]) for (const k of m.attributes) assert.ok(allowed.has(k), `${m.name} attribute ${k}`);
  assert.deepEqual(redaction.allowed_keys, redactionAllowList());
});

test('the agent removes payload attributes: not allowed, not ignored, fails closed', () => {
  assert.equal(redaction.allow_all_keys, false);
  assert.ok(PAYLOAD_ATTRIBUTE_KEYS.length > 0);
  const ignored: RegExp[] = (redaction.ignored_key_patterns ?? []).map((p: string) => new RegExp(p));
  for (const k of PAYLOAD_ATTRIBUTE_KEYS) {
    assert.ok(!redaction.allowed_keys.includes(k), `${k} allowed`);
    assert.ok(!(redaction.ignored_keys ?? []).includes(k), `${k} ignored`);
    assert.ok(!ignored.some((re) => re.test(k)), `${k} matches an ignored pattern`);
  }
  // Resource patterns name keys exactly: a command line (which may hold secrets) and look-alike keys do not pass.
  for (const k of ['process.command', 'process.command_args', 'process.command_line', 'process.executable.path', 'host.note', 'service.secret']) {
    assert.ok(!ignored.some((re) => re.test(k)), `${k} matches an ignored pattern`);
  }
  for (const k of ['service.name', 'service.instance.id', 'host.name', 'process.pid', 'k8s.pod.name']) assert.ok(ignored.some((re) => re.test(k)), `${k} is removed`);
  // The audit chain covers every field, so no audit field may be masked either.
  assert.equal(redaction.blocked_values, undefined);
  assert.equal(redaction.summary, 'silent');
});

test('every agent pipeline redacts between memory_limiter and batch', () => {
  for (const [name, p] of Object.entries<{ processors: string[] }>(agent.service.pipelines)) {
    assert.deepEqual(p.processors, ['memory_limiter', 'redaction', 'batch'], name);
  }
});

test('the gateway counts audit records into the semconv metric and converts it to cumulative', () => {
  const gateway = parse(readFileSync(join(configDir, 'gateway.yaml'), 'utf8'));
  const counted = gateway.connectors.count.logs[METRIC_AUDIT_RECEIVED.name];
  assert.deepEqual(counted.conditions, [AUDIT_RECORD_CONDITION]);
  // Logs go on to the backend and to the count branch, which counts one batch at a time, one ResourceLogs per resource, each record stamped when counted.
  assert.ok(gateway.service.pipelines.logs.exporters.includes('forward/count'));
  assert.deepEqual(gateway.service.pipelines['logs/count'], { receivers: ['forward/count'], processors: ['batch/count', 'groupbyattrs/compact', 'transform/count_time'], exporters: ['count'] });
  // No keys: it only merges ResourceLogs of one resource, so the connector makes one point per series per batch.
  assert.deepEqual(gateway.processors['groupbyattrs/compact'], {});
  assert.deepEqual(gateway.processors['transform/count_time'].log_statements, ['set(log.time, Now())']);
  // Nothing batches traces or logs in memory before the persisted queue.
  assert.deepEqual(gateway.service.pipelines.logs.processors, ['memory_limiter']);
  assert.deepEqual(gateway.service.pipelines.traces.processors, ['memory_limiter']);
  const metrics = gateway.service.pipelines.metrics;
  assert.ok(metrics.receivers.includes('count'));
  assert.ok(metrics.processors.includes('delta_to_cumulative'));
  assert.deepEqual(metrics.exporters.sort(), ['prometheus', 'prometheus_remote_write']);
  assert.equal(gateway.exporters.otlp_http.sending_queue.storage, 'file_storage/queue');
});

/** What the Collector does with several --config files: maps merge, anything else is replaced by the later file. */
function merge(a: unknown, b: unknown): unknown {
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isMap(a) || !isMap(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
  return out;
}

test('the archive overlay archives audit records only, in a pipeline of its own, and leaves the gateway logs pipeline as it is', () => {
  const gateway = parse(readFileSync(join(configDir, 'gateway.yaml'), 'utf8'));
  const overlay = parse(readFileSync(join(configDir, 'gateway-audit-archive.yaml'), 'utf8'));
  // The filter drops exactly what the count connector does not count.
  assert.equal(NON_AUDIT_RECORD_CONDITION, `not (${AUDIT_RECORD_CONDITION})`);
  assert.deepEqual(overlay.processors['filter/audit_only'].log_conditions, [NON_AUDIT_RECORD_CONDITION]);
  const merged = merge(gateway, overlay) as typeof gateway;
  const pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> = merged.service.pipelines;
  assert.deepEqual(pipelines.logs, gateway.service.pipelines.logs);
  assert.deepEqual(pipelines['logs/audit_archive'], { receivers: ['otlp'], processors: ['memory_limiter', 'filter/audit_only', 'batch'], exporters: ['file/audit'] });
  for (const [name, p] of Object.entries(pipelines)) {
    if (p.exporters.includes('file/audit')) assert.ok(p.processors.includes('filter/audit_only'), `${name} archives unfiltered`);
  }
});
