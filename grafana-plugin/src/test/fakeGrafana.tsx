/**
 * Stand-ins for the Grafana host a plugin runs in. A Grafana server cannot
 * run here, so tests replace the host services the plugin reaches through
 * @grafana/runtime and @grafana/plugin-compat: data sources (which record the
 * requests they get, already interpolated by Scenes), the request runner,
 * panel plugin loading and the backend API. Everything else (Scenes, the
 * plugin's own code, @grafana/ui) is real.
 */
import React from 'react';
import { Observable, of } from 'rxjs';
import { map } from 'rxjs/operators';
import { LoadingState, PanelPlugin, type DataQueryRequest, type PanelData } from '@grafana/data';
import type { SceneObject } from '@grafana/scenes';

export interface FakeDatasource {
  uid: string;
  type: string;
  name: string;
  requests: DataQueryRequest[];
  variableQueries: string[];
}

export const DATASOURCES: FakeDatasource[] = [
  { uid: 'prom-uid', type: 'prometheus', name: 'Mimir', requests: [], variableQueries: [] },
  { uid: 'loki-uid', type: 'loki', name: 'Loki', requests: [], variableQueries: [] },
  { uid: 'tempo-uid', type: 'tempo', name: 'Tempo', requests: [], variableQueries: [] },
];

export function resetDatasources(): void {
  for (const ds of DATASOURCES) {
    ds.requests.length = 0;
    ds.variableQueries.length = 0;
  }
}

function settings(ds: FakeDatasource) {
  return {
    uid: ds.uid,
    type: ds.type,
    name: ds.name,
    id: 1,
    isDefault: ds.type === 'prometheus',
    meta: { id: ds.type, name: ds.name, info: { logos: {} } },
    jsonData: {},
    access: 'proxy',
    readOnly: false,
  };
}

function instance(ds: FakeDatasource) {
  return {
    ...settings(ds),
    getRef: () => ({ uid: ds.uid, type: ds.type }),
    query: (req: DataQueryRequest) => {
      ds.requests.push(req);
      return of({ data: [] });
    },
    metricFindQuery: async (q: unknown) => {
      ds.variableQueries.push(typeof q === 'string' ? q : JSON.stringify(q));
      return [{ text: 'svc-a' }, { text: 'svc-b' }];
    },
  };
}

function find(ref: unknown): FakeDatasource {
  const key = typeof ref === 'string' ? ref : (ref as { uid?: string } | undefined)?.uid;
  const ds = DATASOURCES.find((d) => d.uid === key || d.name === key) ?? DATASOURCES[0]!;
  return ds;
}

/** Resolves `${var}` in a data source uid the way Grafana's data source service does. */
function interpolateRef(ref: unknown, scopedVars?: Record<string, { value: unknown }>): unknown {
  const uid = (ref as { uid?: string } | undefined)?.uid;
  const owner = scopedVars?.__sceneObject?.value as { valueOf(): SceneObject } | undefined;
  if (!uid || !uid.includes('$') || !owner) {
    return ref;
  }
  // Required here: Scenes itself imports the mocked module that imports this file.
  const { sceneGraph } = require('@grafana/scenes') as typeof import('@grafana/scenes');
  return { uid: sceneGraph.interpolate(owner.valueOf(), uid) };
}

export const pluginCompatMock = {
  getDataSourceInstance: async (ref: unknown, scopedVars?: Record<string, { value: unknown }>) =>
    instance(find(interpolateRef(ref, scopedVars))),
  getDataSourceInstanceSettings: (ref: unknown) => settings(find(ref)),
  getDataSourceInstanceList: async (filters?: { pluginId?: string }) =>
    DATASOURCES.filter((d) => !filters?.pluginId || d.type === filters.pluginId).map(settings),
  getDefaultDataSourceInstanceListItem: async () => undefined,
  registerRuntimeDataSourceInstance: () => undefined,
  useDataSourceInstance: () => undefined,
  useDefaultDataSourceInstanceListItem: () => undefined,
};

/** Every panel type renders as a plain element naming its type. */
function fakePanelPlugin(id: string): PanelPlugin {
  const plugin = new PanelPlugin((props: { options?: { content?: string } }) => (
    <div data-testid={`panel-${id}`}>{props.options?.content ?? id}</div>
  ));
  plugin.meta = {
    id,
    name: id,
    type: 'panel',
    sort: 0,
    module: '',
    baseUrl: '',
    info: {
      author: { name: '' },
      description: '',
      links: [],
      logos: { small: '', large: '' },
      screenshots: [],
      updated: '',
      version: '',
    },
  } as never;
  return plugin;
}

const plugins = new Map<string, PanelPlugin>();
export function panelPlugin(id: string): PanelPlugin {
  if (!plugins.has(id)) {
    plugins.set(id, fakePanelPlugin(id));
  }
  return plugins.get(id)!;
}

export function runRequest(
  ds: { query: (r: DataQueryRequest) => Observable<unknown> },
  request: DataQueryRequest
): Observable<PanelData> {
  return ds.query(request).pipe(map(() => ({ state: LoadingState.Done, series: [], timeRange: request.range })));
}

/** The requests a data source received, as their target expressions. */
export function exprsSent(uid: string): string[] {
  const ds = DATASOURCES.find((d) => d.uid === uid)!;
  return ds.requests.flatMap((r) => r.targets.map((t) => (t as unknown as { expr: string }).expr));
}
