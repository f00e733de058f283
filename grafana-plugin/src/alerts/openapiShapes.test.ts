import { checkAlertRuleGroup, checkCreateFolder } from './openapiShapes';
import { ruleGroup } from './rules';

describe('OpenAPI shape checks', () => {
  it('accept the group the plugin sends', () => {
    expect(checkAlertRuleGroup(ruleGroup('ds-uid'))).toEqual([]);
  });

  it('find what the schema rejects', () => {
    const group = ruleGroup('ds-uid') as unknown as { interval: unknown; rules: Array<Record<string, unknown>> };
    group.interval = '1m';
    group.rules[0]!.noDataState = 'Ok';
    group.rules[0]!.uid = 'x'.repeat(41);
    delete group.rules[1]!.condition;
    group.rules[2]!.labels = { n: 1 };
    group.rules[3]!.extra = true;
    expect(checkAlertRuleGroup(group)).toEqual([
      'AlertRuleGroup.interval: positive integer (seconds)',
      'AlertRuleGroup.rules[0].uid: [a-zA-Z0-9-_], at most 40 characters',
      'AlertRuleGroup.rules[0].noDataState: Alerting | NoData | OK',
      'AlertRuleGroup.rules[1].condition: required',
      'AlertRuleGroup.rules[1].condition: names no query refId',
      'AlertRuleGroup.rules[2].labels: map of strings',
      'AlertRuleGroup.rules[3].extra: not in the schema',
    ]);
    expect(checkCreateFolder({ uid: 'a' })).toEqual(['CreateFolderCommand.title: required']);
  });
});
