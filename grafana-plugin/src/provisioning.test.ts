/**
 * The development Grafana's provisioning files: the app they enable is this
 * plugin, with no settings it does not read, and the data source they
 * provide carries the uid the generated Grafana alerting file refers to.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { PLUGIN_ID } from './constants';
import { VARIABLES } from './specs/variables';

type Yaml = Record<string, any>;
const root = join(__dirname, '..');
const load = (path: string): Yaml => parse(readFileSync(join(root, path), 'utf8'));

describe('provisioning', () => {
  it('enables this app, without settings the app does not have', () => {
    const { apps } = load('provisioning/plugins/apps.yaml');
    expect(apps).toEqual([{ type: PLUGIN_ID, org_id: 1, disabled: false }]);
  });

  it('provides the Prometheus uid every rule of the generated alerting file queries', () => {
    const { datasources } = load('provisioning/datasources/datasources.yaml');
    const alerting = load('../collector-config/rules/grafana-alerting.yaml');
    const queried = new Set<string>();
    for (const group of alerting.groups) {
      for (const rule of group.rules) {
        for (const q of rule.data) {
          if (q.datasourceUid !== '__expr__') {
            queried.add(q.datasourceUid);
          }
        }
      }
    }
    expect(queried.size).toBe(1);
    const [uid] = [...queried];
    expect(datasources.filter((d: Yaml) => d.uid === uid).map((d: Yaml) => d.type)).toEqual(['prometheus']);
  });

  it('provides one data source for each data-source variable of the pages', () => {
    const { datasources } = load('provisioning/datasources/datasources.yaml');
    const types = Object.values(VARIABLES).flatMap((v) => (v.kind === 'datasource' ? [v.pluginId] : []));
    expect(datasources.map((d: Yaml) => d.type).sort()).toEqual(types.sort());
    expect(new Set(datasources.map((d: Yaml) => d.uid)).size).toBe(datasources.length);
  });
});
