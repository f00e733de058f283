import {
  CustomVariable,
  DataSourceVariable,
  QueryVariable,
  SceneVariableSet,
  TextBoxVariable,
  type SceneVariable,
} from '@grafana/scenes';
import { ALL_VALUE, VARIABLES, type VariableName } from '../specs';

/** Data source reference through a data source variable: never a fixed uid. */
export function datasourceRef(kind: 'metrics' | 'logs'): { type: string; uid: string } {
  return kind === 'metrics' ? { type: 'prometheus', uid: '${metrics}' } : { type: 'loki', uid: '${logs}' };
}

function build(name: VariableName): SceneVariable {
  const v = VARIABLES[name];
  switch (v.kind) {
    case 'datasource':
      return new DataSourceVariable({ name: v.name, label: v.label, pluginId: v.pluginId });
    case 'query':
      return new QueryVariable({
        name: v.name,
        label: v.label,
        datasource: datasourceRef('metrics'),
        query: { refId: 'A', query: v.query },
        isMulti: true,
        includeAll: true,
        defaultToAll: true,
        allValue: ALL_VALUE,
      });
    case 'custom':
      return new CustomVariable({
        name: v.name,
        label: v.label,
        query: v.values.join(','),
        isMulti: true,
        includeAll: true,
        defaultToAll: true,
        allValue: ALL_VALUE,
      });
    case 'textbox':
      return new TextBoxVariable({ name: v.name, label: v.label, description: v.description, value: '' });
  }
}

export function variableSet(names: readonly VariableName[]): SceneVariableSet {
  return new SceneVariableSet({ variables: names.map(build) });
}
