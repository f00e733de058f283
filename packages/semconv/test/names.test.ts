import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_METRICS,
  INSTRUMENTATION_METRICS,
  METRIC_CLIENT_OPERATION_DURATION,
  METRIC_CONTEXT_TOKENS,
  METRIC_WIRE_OVERHEAD,
  NAMESPACE,
  promNames,
  selector,
  spanName,
  leMatcher,
} from '@mcp-conservation/semconv';

test('semconv histograms have a unit-suffixed and a plain Prometheus name', () => {
  assert.deepEqual(promNames(METRIC_CLIENT_OPERATION_DURATION, '_bucket'), [
    'mcp_client_operation_duration_seconds_bucket',
    'mcp_client_operation_duration_bucket',
  ]);
  assert.equal(
    selector(METRIC_CLIENT_OPERATION_DURATION, ['job=~"svc"'], '_count'),
    '{__name__=~"mcp_client_operation_duration_seconds_count|mcp_client_operation_duration_count",job=~"svc"}',
  );
});

test('annotation units give one name on every path; byte units give two', () => {
  assert.deepEqual(promNames(METRIC_CONTEXT_TOKENS), ['mcp_conservation_context_tokens_total']);
  assert.deepEqual(promNames(METRIC_WIRE_OVERHEAD), ['mcp_conservation_wire_overhead_bytes_total', 'mcp_conservation_wire_overhead_total']);
});

test('span names follow {mcp.method.name} {target}', () => {
  assert.equal(spanName('tools/call', 'get-weather'), 'tools/call get-weather');
  assert.equal(spanName('resources/read'), 'resources/read');
});

test('le matcher accepts the Prometheus 2 and 3 spellings', () => {
  const re = new RegExp(`^${'100(\\.0)?'}$`);
  assert.equal(leMatcher(100), 'le=~"100(\\\\.0)?"');
  assert.ok(re.test('100') && re.test('100.0') && !re.test('1000'));
});

test('our metrics live in our namespace, semconv ones outside it, and no metric carries an id attribute', () => {
  const forbidden = /(^|\.)(session\.id|request\.id|enduser\.id|user\.id)$|resource\.uri$/;
  for (const m of ALL_METRICS) {
    assert.equal(m.name.startsWith(`${NAMESPACE}.`), !m.semconv, m.name);
    for (const a of m.attributes) assert.ok(!forbidden.test(a), `${m.name} carries unbounded ${a}`);
  }
  assert.equal(new Set(INSTRUMENTATION_METRICS.map((m) => m.name)).size, INSTRUMENTATION_METRICS.length);
});
