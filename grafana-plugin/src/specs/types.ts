/**
 * What a page or dashboard shows, independent of how it is rendered. Scenes
 * pages (src/scenes) and the dashboards (src/dashboards) are both built from
 * these specs, so both show the same queries.
 */

export type PanelKind = 'stat' | 'timeseries' | 'bargauge' | 'table' | 'logs';

/** Which data source variable a panel queries. */
export type DatasourceKind = 'metrics' | 'logs';

export interface QuerySpec {
  readonly refId: string;
  readonly expr: string;
  readonly legend?: string;
  /** Instant query (one value over the window) rather than a range. */
  readonly instant?: boolean;
  /** Prometheus result format; `heatmap` turns cumulative buckets into counts. */
  readonly format?: 'time_series' | 'table' | 'heatmap';
}

export interface ThresholdStep {
  /** `null` is the base step. */
  readonly value: number | null;
  readonly color: string;
}

export interface PanelSpec {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly kind: PanelKind;
  readonly datasource: DatasourceKind;
  readonly queries: readonly QuerySpec[];
  readonly unit?: string;
  readonly thresholds?: readonly ThresholdStep[];
  /** Draw thresholds as lines on time series. */
  readonly showThresholds?: boolean;
  readonly stacked?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Grid width out of 24 columns, and height in grid rows. */
  readonly width: number;
  readonly height: number;
  /** A field whose values are trace ids; it gets a link to the traces data source. */
  readonly traceIdField?: string;
  /**
   * Shows audit records or the audit pipeline: only for users allowed to read
   * the audit trail. A page whose panels all are is for auditors only
   * (src/access/pages.ts).
   */
  readonly audit?: boolean;
  /** Shows counts from increase(): approximate, shown without decimals (counts.ts). */
  readonly approximateCount?: boolean;
}

export interface PageSpec {
  readonly id: 'overview' | 'tools' | 'servers' | 'sessions' | 'context' | 'audit';
  readonly title: string;
  readonly subtitle: string;
  /** The variables this page shows, in order. */
  readonly variables: readonly VariableName[];
  readonly panels: readonly PanelSpec[];
}

export type VariableName =
  'metrics' | 'logs' | 'traces' | 'service' | 'server' | 'tool' | 'observer' | 'session' | 'user' | 'outcome' | 'cause';
