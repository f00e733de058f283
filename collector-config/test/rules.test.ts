import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ALERT_RULES, alertExpr, grafanaRuleUid } from '@mcp-conservation/semconv';
import { configDir, prometheusRuleFile, renderPrometheusRules } from '@mcp-conservation/collector-config';
import { ensureTools } from '@mcp-conservation/collector-config/ensure-tools';
import { promtoolTests, CASES } from './promtool-cases.ts';

const ruleFile = join(configDir, 'rules', 'mcp-conservation.rules.yaml');
const grafanaFile = join(configDir, 'rules', 'grafana-alerting.yaml');

test('promtool is installed (apt) when missing', () => {
  ensureTools(['/usr/bin/promtool']);
});

test('promtool check rules accepts the shipped rule file', () => {
  const r = spawnSync('promtool', ['check', 'rules', ruleFile], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${ALERT_RULES.length} rules found`));
});

test('promtool test rules: every rule fires on its fault and stays silent when healthy or under its guard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpc-promtool-'));
  try {
    const file = join(dir, 'rules.test.yaml');
    writeFileSync(file, stringify(promtoolTests(ruleFile), { lineWidth: 0 }));
    const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every rule has a firing case and a silent case in the promtool tests', () => {
  for (const r of ALERT_RULES) {
    assert.ok(CASES.some((c) => c.rule === r.id && c.fires !== undefined), `${r.id} fires somewhere`);
    assert.ok(CASES.some((c) => c.rule === r.id && c.fires === undefined), `${r.id} is silent somewhere`);
  }
});

test('the rule file holds alertExpr of every semconv rule, with its for and severity', () => {
  const doc = parse(readFileSync(ruleFile, 'utf8'));
  const rules = doc.groups[0].rules;
  assert.equal(rules.length, ALERT_RULES.length);
  for (const [i, r] of ALERT_RULES.entries()) {
    assert.equal(rules[i].alert, r.alert);
    assert.equal(rules[i].expr, alertExpr(r));
    assert.equal(rules[i].for, r.for);
    assert.equal(rules[i].labels.severity, r.severity);
  }
});

test('rendering with a shorter window changes every range and for, nothing else', () => {
  const text = renderPrometheusRules({ scope: { window: '30s' }, forOf: () => '10s' });
  assert.doesNotMatch(text, /\[5m\]/);
  assert.equal(prometheusRuleFile({ forOf: () => '10s' }).groups[0]?.rules.every((r) => r.for === '10s'), true);
});

test('the Grafana provisioning file has one rule per semconv rule, threshold on the guarded query, $ escaped', () => {
  const text = readFileSync(grafanaFile, 'utf8');
  // Grafana expands $NAME in provisioning files: no lone `$` may remain.
  assert.doesNotMatch(text.replace(/\$\$/g, ''), /\$/);
  const doc = parse(text.replace(/\$\$/g, '$'));
  const rules = doc.groups[0].rules;
  assert.equal(rules.length, ALERT_RULES.length);
  for (const [i, r] of ALERT_RULES.entries()) {
    const g = rules[i];
    assert.equal(g.uid, grafanaRuleUid(r));
    assert.ok(g.uid.length <= 40);
    assert.equal(g.data[0].model.expr, r.query({ window: '5m' }));
    assert.deepEqual(g.data[1].model.conditions[0].evaluator, { type: r.comparator === '<' ? 'lt' : 'gt', params: [r.threshold] });
    assert.equal(g.noDataState, 'OK');
    assert.equal(g.for, r.for);
    assert.doesNotMatch(g.annotations.summary, /\$value\b/);
  }
});
