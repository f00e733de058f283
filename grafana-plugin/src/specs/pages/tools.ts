import { TARGET_TOOL_SUCCESS_RATE, queries } from '@mcp-conservation/semconv';
import { RANGE, TREND } from '../scope';
import { neutral, ratioThresholds } from '../thresholds';
import { withApproximateCounts } from '../counts';
import type { PageSpec } from '../types';
import { METRIC_VARIABLES } from '../variables';
import { legend } from '../legend';

const QUANTILES = [0.5, 0.95, 0.99] as const;

const toolsPanels: PageSpec = {
  id: 'tools',
  title: 'Tools',
  subtitle: 'Success rate, outcomes and latency per tool.',
  variables: METRIC_VARIABLES,
  panels: [
    {
      id: 'success-by-tool',
      title: 'Success rate per tool',
      description: `${TARGET_TOOL_SUCCESS_RATE.description} Target: above ${TARGET_TOOL_SUCCESS_RATE.threshold * 100}%.`,
      kind: 'bargauge',
      datasource: 'metrics',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: ratioThresholds(TARGET_TOOL_SUCCESS_RATE),
      queries: [{ refId: 'A', expr: queries.toolSuccessRate(RANGE, ['tool']), legend: legend('tool'), instant: true }],
      width: 12,
      height: 8,
    },
    {
      id: 'top-failing-tools',
      title: 'Top failing tools',
      description: 'Tools with the most failed calls in the range (every outcome but success and cancelled).',
      kind: 'bargauge',
      datasource: 'metrics',
      unit: 'short',
      thresholds: neutral(),
      queries: [{ refId: 'A', expr: queries.topFailingTools(RANGE), legend: legend('tool'), instant: true }],
      width: 12,
      height: 8,
    },
    {
      id: 'outcomes-by-tool',
      title: 'Outcomes per tool',
      description: 'Tool calls by outcome and tool, per interval.',
      kind: 'timeseries',
      datasource: 'metrics',
      unit: 'short',
      stacked: true,
      queries: [{ refId: 'A', expr: queries.toolCallsByOutcome(TREND, ['tool']), legend: legend('tool', 'outcome') }],
      width: 24,
      height: 8,
    },
    ...QUANTILES.map((q) => ({
      id: `latency-p${q * 100}`,
      title: `Latency p${q * 100} per tool`,
      description: `The ${q * 100}th percentile of tools/call duration per tool, as the client saw it.`,
      kind: 'timeseries' as const,
      datasource: 'metrics' as const,
      unit: 's',
      queries: [{ refId: 'A', expr: queries.toolLatency(q, TREND), legend: legend('tool') }],
      width: 8,
      height: 8,
    })),
  ],
};

/** The panels that show counts: approximate in PromQL (counts.ts). */
export const tools: PageSpec = withApproximateCounts(toolsPanels, ['top-failing-tools', 'outcomes-by-tool']);
