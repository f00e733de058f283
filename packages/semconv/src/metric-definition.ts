/** The shape of a metric definition and the bucket sets shared by client and server metrics (a file of its own: both import it). */
export type InstrumentKind = 'counter' | 'histogram' | 'updowncounter' | 'gauge';

export interface MetricDefinition {
  /** OpenTelemetry metric name. */
  readonly name: string;
  readonly instrument: InstrumentKind;
  /** UCUM unit; `{annotation}` units add no suffix on any Prometheus path. */
  readonly unit: string;
  readonly description: string;
  /** Attributes the instrumentation may put on a data point. Never ids. */
  readonly attributes: readonly string[];
  /** Explicit histogram bucket boundaries, given as instrument advice. */
  readonly buckets?: readonly number[];
  /** Whether the name comes from the OpenTelemetry semantic conventions. */
  readonly semconv: boolean;
}

/** Buckets the MCP semantic conventions give for both duration histograms. */
export const MCP_DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] as const;

/** Buckets of legs per call: 0 is a call served from the cache, 11 one call plus the v2 client's default 10 input rounds, 64 its page cap. */
export const CALL_LEG_BUCKETS: readonly number[] = [0, 1, 2, 3, 4, 6, 11, 20, 64, 128];
