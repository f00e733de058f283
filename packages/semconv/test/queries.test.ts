import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queries, ALERT_RULES, alertExpr, LIFETIME, QUERY_CATALOGUE } from '@mcp-conservation/semconv';

test('token efficiency is meaningful over all rendered tokens', () => {
  assert.equal(
    queries.tokenEfficiency({ window: '5m' }),
    'sum (rate(mcp_conservation_context_tokens_total{mcp_conservation_token_disposition="meaningful"}[5m])) / sum (rate(mcp_conservation_context_tokens_total[5m]))',
  );
});

test('lifetime scope reads raw counters, for exact totals', () => {
  assert.equal(
    queries.toolSuccessRate({ window: LIFETIME }),
    'sum (mcp_conservation_tool_calls_total{mcp_conservation_outcome="success"}) / sum (mcp_conservation_tool_calls_total{mcp_conservation_outcome!="cancelled"})',
  );
});

test('filters apply only to metrics that carry the label', () => {
  const scope = { service: '$service', server: '$server', tool: '$tool', window: '$__rate_interval' };
  const q = queries.sessionsOverLimit(scope);
  assert.ok(q.includes('job=~"$service"') && q.includes('mcp_conservation_server_name=~"$server"'));
  assert.ok(!q.includes('gen_ai_tool_name'), 'session metrics have no tool label');
  assert.ok(queries.toolSuccessRate(scope).includes('gen_ai_tool_name=~"$tool"'));
});

test('sessions within band subtract the le=29 bucket from the le=100 bucket', () => {
  const q = queries.sessionsWithinBand({ window: '1h' });
  assert.ok(q.includes('le=~"100(\\\\.0)?"'), q);
  assert.ok(q.includes('le=~"29(\\\\.0)?"'), q);
});

test('alert expressions parenthesise the guarded measure before comparing', () => {
  const rule = ALERT_RULES.find((r) => r.id === 'tool-success-low');
  assert.ok(rule);
  const expr = alertExpr(rule);
  assert.match(expr, /^\(\(.*\) and on\(\) \(.* >= 20\)\) < 0\.98$/);
});

test('every catalogue query and alert expression has balanced brackets and quotes', () => {
  const exprs = [...QUERY_CATALOGUE.map((q) => q.expr({ service: 'a', window: '5m' })), ...ALERT_RULES.map((r) => alertExpr(r))];
  for (const e of exprs) {
    let depth = 0;
    for (const ch of e.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
      if (ch === '(' || ch === '{' || ch === '[') depth++;
      if (ch === ')' || ch === '}' || ch === ']') depth--;
      assert.ok(depth >= 0, e);
    }
    assert.equal(depth, 0, e);
    assert.equal((e.match(/"/g) ?? []).length % 2, 0, e);
  }
});

test('filter regexes are quoted for PromQL: backslashes doubled, quotes escaped (no matcher injection)', () => {
  const q = queries.tokenEfficiency({ server: 'acme\\.tools"} or vector(1) #', window: '5m' });
  assert.ok(q.includes('mcp_conservation_server_name=~"acme\\\\.tools\\"} or vector(1) #"'), q);
  assert.doesNotMatch(q, /[^\\]"\} or vector/, 'the quote cannot end the string');
});
