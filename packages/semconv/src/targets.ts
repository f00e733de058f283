/**
 * The four conservation targets and their defaults. Alert thresholds, stat
 * panel colours and report verdicts all read these.
 */

export type Comparator = 'gt' | 'lt';

export interface RatioTarget {
  readonly id: 'tokenEfficiency' | 'contextLossRate' | 'toolSuccessRate';
  readonly title: string;
  readonly comparator: Comparator;
  /** As a ratio in [0, 1]. */
  readonly threshold: number;
  readonly description: string;
}

export interface BandTarget {
  readonly id: 'requestsPerSession';
  readonly title: string;
  /** Inclusive band of requests per session that counts as expected. */
  readonly min: number;
  readonly max: number;
  /** A session over `max` is an anomaly, counted live. */
  readonly description: string;
}

export const TARGET_TOKEN_EFFICIENCY: RatioTarget = {
  id: 'tokenEfficiency',
  title: 'Token efficiency',
  comparator: 'gt',
  threshold: 0.9,
  description: 'Meaningful rendered tokens over all rendered tokens delivered by MCP.',
};

export const TARGET_CONTEXT_LOSS_RATE: RatioTarget = {
  id: 'contextLossRate',
  title: 'Context loss rate',
  comparator: 'lt',
  threshold: 0.02,
  description: 'Lost responses over expected responses (cancellations excluded).',
};

export const TARGET_TOOL_SUCCESS_RATE: RatioTarget = {
  id: 'toolSuccessRate',
  title: 'Tool call success rate',
  comparator: 'gt',
  threshold: 0.98,
  description: 'Successful tool calls over tool calls, less cancellations.',
};

export const TARGET_REQUESTS_PER_SESSION: BandTarget = {
  id: 'requestsPerSession',
  title: 'API call volume',
  min: 30,
  max: 100,
  description: 'Client requests per session (initialize and ping excluded); a session over 100 is an anomaly.',
};

export const RATIO_TARGETS: readonly RatioTarget[] = [TARGET_TOKEN_EFFICIENCY, TARGET_CONTEXT_LOSS_RATE, TARGET_TOOL_SUCCESS_RATE];

/** Whether a measured ratio meets its target. */
export function meetsTarget(target: RatioTarget, value: number): boolean {
  return target.comparator === 'gt' ? value > target.threshold : value < target.threshold;
}

/**
 * Whether the ended sessions meet the volume target: every session within
 * [min, max] and none over the limit. The share within the band is the KPI
 * shown; any session outside it is a finding for the audit.
 */
export function meetsVolumeTarget(within: number, ended: number, overLimit: number): boolean {
  return ended > 0 && overLimit === 0 && within === ended;
}

/** Colours for pass and fail, shared by panels, reports and the demo scorecard. */
export const TARGET_COLORS = { pass: '#56A64B', fail: '#E02F44', neutral: '#8E8E8E' } as const;

/** The smallest volume in a window for a ratio alert to fire: one failure in one call pages nobody. */
export const DEFAULT_MIN_VOLUME = { toolCalls: 20, responses: 20, tokens: 1000 } as const;
