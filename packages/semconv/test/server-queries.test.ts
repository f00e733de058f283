import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALERT_RULES,
  DEFAULT_DEFINITION_TOKEN_BUDGET,
  SERVER_QUERY_CATALOGUE,
  TARGET_SERVER_TOOL_FAILURE_RATE,
  TARGET_TOOL_SUCCESS_RATE,
  alertExpr,
  grafanaRuleGroup,
  serverQueries,
} from '@mcp-conservation/semconv';

test('server tool failure rate counts the server’s own failures only, over calls less cancelled', () => {
  assert.equal(
    serverQueries.serverToolFailureRate({ window: 'lifetime' }),
    '(sum (mcp_conservation_server_tool_calls_total{mcp_conservation_error_origin="server"}) or sum (mcp_conservation_server_tool_calls_total{mcp_conservation_outcome!="cancelled"}) * 0) / sum (mcp_conservation_server_tool_calls_total{mcp_conservation_outcome!="cancelled"})',
  );
});

test('errors by origin keep caller mistakes apart from server failures', () => {
  const q = serverQueries.serverToolErrors({ window: '5m' }, ['tool']);
  assert.equal(
    q,
    'sum by (mcp_conservation_error_origin, gen_ai_tool_name) (increase(mcp_conservation_server_tool_calls_total{mcp_conservation_error_origin=~"caller|server"}[5m]))',
  );
});

test('server latency matches the semconv histogram on every export path', () => {
  const q = serverQueries.serverOperationLatency(0.99, { window: '1m', server: 'a' });
  assert.ok(q.includes('__name__=~"mcp_server_operation_duration_seconds_bucket|mcp_server_operation_duration_bucket"'), q);
  assert.ok(q.includes('mcp_conservation_server_name=~"a"'), q);
  assert.match(q, /^histogram_quantile\(0\.99, sum by \(le, mcp_conservation_server_name\)/);
});

test('the definition gauge has no _total, takes replicas once, and the tool filter applies to definition names', () => {
  const q = serverQueries.definitionTokens({ window: '1h', tool: 'search' });
  assert.equal(
    q,
    'max by (mcp_conservation_server_name, mcp_conservation_definition_kind, mcp_conservation_definition_name) (last_over_time(mcp_conservation_server_definition_tokens{mcp_conservation_definition_name=~"search"}[1h]))',
  );
});

test('never-called tools: tool definition tokens times tools/list answers, unless the tool was called', () => {
  const q = serverQueries.neverCalledTools({ window: '1h' });
  assert.ok(q.includes('mcp_conservation_definition_kind="tool"'), q);
  assert.ok(q.includes('label_replace('), q);
  assert.ok(q.includes('* on (mcp_conservation_server_name) group_left sum by (mcp_conservation_server_name) (increase(mcp_conservation_server_listings_total{mcp_method_name="tools/list"}[1h]))'), q);
  assert.ok(q.endsWith('unless on (mcp_conservation_server_name, gen_ai_tool_name) (sum by (mcp_conservation_server_name, gen_ai_tool_name) (increase(mcp_conservation_server_tool_calls_total[1h])) > 0)'), q);
});

test('the server failure target mirrors the client’s success target; the definition budget defaults to 5,000 tokens', () => {
  assert.equal(TARGET_SERVER_TOOL_FAILURE_RATE.threshold, 0.02);
  assert.ok(Math.abs(TARGET_SERVER_TOOL_FAILURE_RATE.threshold - (1 - TARGET_TOOL_SUCCESS_RATE.threshold)) < 1e-12);
  assert.equal(DEFAULT_DEFINITION_TOKEN_BUDGET, 5000);
  const failure = ALERT_RULES.find((r) => r.id === 'server-tool-failure-high');
  const budget = ALERT_RULES.find((r) => r.id === 'definition-tokens-over-budget');
  assert.ok(failure && budget);
  assert.equal(failure.threshold, TARGET_SERVER_TOOL_FAILURE_RATE.threshold);
  assert.match(alertExpr(failure), /^\(\(.*\) and on\(\) \(sum \(increase\(mcp_conservation_server_tool_calls_total\{mcp_conservation_outcome!="cancelled"\}\[5m\]\)\) >= 20\)\) > 0\.02$/);
  assert.equal(budget.threshold, DEFAULT_DEFINITION_TOKEN_BUDGET);
  assert.equal(alertExpr(budget, { window: '5m' }, 800), `(${serverQueries.definitionTokensPerServer({ window: '5m' })}) > 800`);
});

test('both server rules are Grafana-managed rules too, the budget editable as their threshold', () => {
  const group = grafanaRuleGroup({ datasourceUid: 'prom', thresholds: { 'definition-tokens-over-budget': 1234 } });
  const budget = group.rules.find((r) => r.uid === 'mcpc-definition-tokens-over-budget');
  assert.ok(group.rules.some((r) => r.uid === 'mcpc-server-tool-failure-high'));
  assert.deepEqual(budget?.data[1]?.model.conditions, [{ evaluator: { type: 'gt', params: [1234] } }]);
  assert.equal(budget?.annotations.summary, 'Server {{ $labels.mcp_conservation_server_name }} definitions cost {{ $values.A.Value }} tokens, over the budget.');
});

test('every server catalogue query has balanced brackets and quotes', () => {
  for (const q of SERVER_QUERY_CATALOGUE) {
    const e = q.expr({ service: 'a', window: '5m' });
    let depth = 0;
    for (const ch of e.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
      if (ch === '(' || ch === '{' || ch === '[') depth++;
      if (ch === ')' || ch === '}' || ch === ']') depth--;
      assert.ok(depth >= 0, e);
    }
    assert.equal(depth, 0, e);
  }
});
