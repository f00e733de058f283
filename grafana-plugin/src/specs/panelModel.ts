/**
 * The Grafana panel model (plugin id, options, field config) of a panel
 * spec: the same JSON for Scenes' VizPanel and for the dashboards.
 */
import type { PanelSpec } from './types';

export interface FieldOverride {
  matcher: { id: string; options: string };
  properties: Array<{ id: string; value: unknown }>;
}

export interface PanelModel {
  readonly pluginId: string;
  readonly options: Record<string, unknown>;
  readonly fieldConfig: { defaults: Record<string, unknown>; overrides: FieldOverride[] };
  readonly transformations: Array<{ id: string; options: Record<string, unknown> }>;
}

/** Explore link to a trace by id in the traces data source variable. */
export function traceLinkUrl(): string {
  const pane = {
    trace: {
      datasource: '${traces}',
      queries: [{ refId: 'A', datasource: { uid: '${traces}' }, queryType: 'traceql', query: '${__value.raw}' }],
      range: { from: '${__from}', to: '${__to}' },
    },
  };
  return `/explore?schemaVersion=1&panes=${JSON.stringify(pane)}`;
}

const reduceLast = { calcs: ['lastNotNull'], fields: '', values: false };

function options(spec: PanelSpec): Record<string, unknown> {
  switch (spec.kind) {
    case 'stat':
      return {
        reduceOptions: reduceLast,
        colorMode: 'background',
        graphMode: 'none',
        textMode: 'auto',
        justifyMode: 'auto',
        orientation: 'auto',
      };
    case 'bargauge':
      return {
        reduceOptions: reduceLast,
        displayMode: 'gradient',
        orientation: 'horizontal',
        showUnfilled: true,
        valueMode: 'color',
      };
    case 'timeseries':
      return {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'table':
      return { showHeader: true, cellHeight: 'sm' };
    case 'logs':
      return { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true };
  }
}

function custom(spec: PanelSpec): Record<string, unknown> | undefined {
  if (spec.kind !== 'timeseries') {
    return undefined;
  }
  return {
    drawStyle: 'line',
    lineWidth: 1,
    fillOpacity: spec.stacked ? 30 : 10,
    stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
    thresholdsStyle: { mode: spec.showThresholds ? 'line' : 'off' },
    spanNulls: false,
  };
}

export function panelModel(spec: PanelSpec): PanelModel {
  const defaults: Record<string, unknown> = {};
  if (spec.unit) {
    defaults.unit = spec.unit;
  }
  if (spec.min !== undefined) {
    defaults.min = spec.min;
  }
  if (spec.max !== undefined) {
    defaults.max = spec.max;
  }
  if (spec.approximateCount) {
    defaults.decimals = 0;
  }
  if (spec.thresholds) {
    defaults.thresholds = { mode: 'absolute', steps: spec.thresholds.map((s) => ({ value: s.value, color: s.color })) };
  }
  // Stats and gauges take their colour from the target; series keep a palette.
  defaults.color =
    spec.kind === 'stat' || spec.kind === 'bargauge' ? { mode: 'thresholds' } : { mode: 'palette-classic' };
  const c = custom(spec);
  if (c) {
    defaults.custom = c;
  }

  const overrides: FieldOverride[] = [];
  if (spec.traceIdField) {
    overrides.push({
      matcher: { id: 'byName', options: spec.traceIdField },
      properties: [{ id: 'links', value: [{ title: 'Open trace', url: traceLinkUrl() }] }],
    });
  }
  // Log queries arrive as one frame with a labels field: spread it into columns.
  const transformations =
    spec.kind === 'table' && spec.datasource === 'logs' ? [{ id: 'extractFields', options: { source: 'labels' } }] : [];
  return { pluginId: spec.kind, options: options(spec), fieldConfig: { defaults, overrides }, transformations };
}
