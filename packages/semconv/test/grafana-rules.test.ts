import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALERT_FOLDER,
  ALERT_GROUP,
  ALERT_RULES,
  ALERT_WINDOW,
  grafanaAlertRule,
  grafanaProvisioningFile,
  grafanaRuleGroup,
  grafanaRuleUid,
} from '@mcp-conservation/semconv';

const options = { datasourceUid: 'prom' };

test('Grafana rule uids are mcpc-<id>, unique, within Grafana’s 40 characters', () => {
  const uids = ALERT_RULES.map(grafanaRuleUid);
  assert.deepEqual(uids, ALERT_RULES.map((r) => `mcpc-${r.id}`));
  assert.equal(new Set(uids).size, uids.length);
  assert.ok(uids.every((u) => u.length <= 40));
  assert.equal(grafanaRuleUid({ ...ALERT_RULES[0]!, id: 'x'.repeat(60) }).length, 40);
});

test('query A reads the guarded measure over a range covering the window; B, the condition, thresholds it', () => {
  for (const rule of ALERT_RULES) {
    const g = grafanaAlertRule(rule, { ...options, thresholds: { [rule.id]: 7 } });
    const [a, b] = g.data;
    assert.equal(a?.model.expr, rule.query({ window: ALERT_WINDOW }));
    assert.equal(a?.datasourceUid, 'prom');
    assert.deepEqual(a?.relativeTimeRange, { from: 600, to: 0 });
    assert.equal(g.condition, b?.refId);
    assert.equal(b?.model.expression, a?.refId);
    assert.deepEqual(b?.model.conditions, [{ evaluator: { type: rule.comparator === '<' ? 'lt' : 'gt', params: [7] } }]);
    assert.equal(g.noDataState, 'OK');
  }
  const short = grafanaAlertRule(ALERT_RULES[0]!, { ...options, scope: { window: '30s' }, forOf: () => '10s' });
  assert.deepEqual(short.data[0]?.relativeTimeRange, { from: 60, to: 0 });
  assert.equal(short.for, '10s');
  assert.throws(() => grafanaAlertRule(ALERT_RULES[0]!, { ...options, scope: { window: '$__rate_interval' } }));
});

test('the API group and the provisioning file hold the same rules, in the one folder and group', () => {
  const group = grafanaRuleGroup({ ...options, labels: { owner: 'x' } });
  const file = grafanaProvisioningFile({ ...options, labels: { owner: 'x' } });
  assert.equal(group.title, ALERT_GROUP);
  assert.equal(group.folderUid, ALERT_FOLDER.uid);
  assert.deepEqual(file.groups.map((g) => [g.name, g.folder]), [[ALERT_GROUP, ALERT_FOLDER.title]]);
  for (const [i, r] of group.rules.entries()) {
    const { orgID, folderUID, ruleGroup, ...rule } = r;
    assert.deepEqual([orgID, folderUID, ruleGroup], [1, ALERT_FOLDER.uid, ALERT_GROUP]);
    assert.deepEqual(rule, file.groups[0]?.rules[i]);
    assert.equal(rule.labels.owner, 'x');
  }
});
