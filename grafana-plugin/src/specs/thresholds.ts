/** Panel thresholds and colours from the semconv targets. */
import { TARGET_COLORS, type BandTarget, type RatioTarget } from '@mcp-conservation/semconv';
import type { ThresholdStep } from './types';

/**
 * Grafana colours a value by the highest step it reaches (>=). Targets are
 * strict (> 90%, < 2%, over 100 is an anomaly), so a bound the value must
 * exceed sits just above the target.
 */
const JUST_ABOVE = 1e-9;

export function ratioThresholds(target: RatioTarget): ThresholdStep[] {
  return target.comparator === 'gt'
    ? [
        { value: null, color: TARGET_COLORS.fail },
        { value: target.threshold + JUST_ABOVE, color: TARGET_COLORS.pass },
      ]
    : [
        { value: null, color: TARGET_COLORS.pass },
        { value: target.threshold, color: TARGET_COLORS.fail },
      ];
}

export function bandThresholds(target: BandTarget): ThresholdStep[] {
  return [
    { value: null, color: TARGET_COLORS.fail },
    { value: target.min, color: TARGET_COLORS.pass },
    { value: target.max + JUST_ABOVE, color: TARGET_COLORS.fail },
  ];
}

/** Any value above zero is a problem (drops, sessions over the limit). */
export function zeroIsGood(): ThresholdStep[] {
  return [
    { value: null, color: TARGET_COLORS.pass },
    { value: JUST_ABOVE, color: TARGET_COLORS.fail },
  ];
}

export function neutral(): ThresholdStep[] {
  return [{ value: null, color: TARGET_COLORS.neutral }];
}
