import { TARGET_CONTEXT_LOSS_RATE, TARGET_TOKEN_EFFICIENCY, queries, type GroupLabel } from '@mcp-conservation/semconv';
import { legend } from '../legend';
import { RANGE, TREND } from '../scope';
import { neutral, ratioThresholds } from '../thresholds';
import { withApproximateCounts } from '../counts';
import type { PageSpec, PanelSpec } from '../types';
import { METRIC_VARIABLES } from '../variables';

const BY: ReadonlyArray<[GroupLabel, string]> = [
  ['method', 'method'],
  ['tool', 'tool'],
  ['server', 'server'],
];

const byDisposition: PanelSpec[] = BY.map(([group, name]) => ({
  id: `tokens-by-${name}`,
  title: `Rendered tokens by disposition per ${name}`,
  description: `Meaningful, redundant and unused rendered tokens delivered in the range, per ${name}.`,
  kind: 'bargauge',
  datasource: 'metrics',
  unit: 'short',
  thresholds: neutral(),
  queries: [
    {
      refId: 'A',
      expr: queries.tokensByDisposition(RANGE, [group]),
      legend: legend(group, 'disposition'),
      instant: true,
    },
  ],
  width: 8,
  height: 9,
}));

const contextPanels: PageSpec = {
  id: 'context',
  title: 'Context',
  subtitle: 'What MCP put into the context, and what was lost on the way.',
  variables: METRIC_VARIABLES,
  panels: [
    {
      id: 'efficiency-trend',
      title: 'Token efficiency over time',
      description: `${TARGET_TOKEN_EFFICIENCY.description} Per server; the line is the target.`,
      kind: 'timeseries',
      datasource: 'metrics',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: ratioThresholds(TARGET_TOKEN_EFFICIENCY),
      showThresholds: true,
      queries: [{ refId: 'A', expr: queries.tokenEfficiency(TREND, ['server']), legend: legend('server') }],
      width: 12,
      height: 8,
    },
    {
      id: 'loss-rate-trend',
      title: 'Context loss rate over time',
      description: `${TARGET_CONTEXT_LOSS_RATE.description} Per server; the line is the target.`,
      kind: 'timeseries',
      datasource: 'metrics',
      unit: 'percentunit',
      min: 0,
      thresholds: ratioThresholds(TARGET_CONTEXT_LOSS_RATE),
      showThresholds: true,
      queries: [{ refId: 'A', expr: queries.contextLossRate(TREND, ['server']), legend: legend('server') }],
      width: 12,
      height: 8,
    },
    ...byDisposition,
    {
      id: 'wasted-tokens',
      title: 'Largest sources of waste',
      description: 'Redundant and unused tokens in the range by disposition, source, server and tool.',
      kind: 'table',
      datasource: 'metrics',
      unit: 'short',
      queries: [{ refId: 'A', expr: queries.wastedTokens(RANGE), instant: true, format: 'table' }],
      width: 12,
      height: 8,
    },
    {
      id: 'lost-by-cause',
      title: 'Lost responses by cause',
      description: 'Responses that did not reach the caller intact, per interval, by cause.',
      kind: 'timeseries',
      datasource: 'metrics',
      unit: 'short',
      stacked: true,
      queries: [{ refId: 'A', expr: queries.responsesLostByCause(TREND), legend: legend('cause') }],
      width: 12,
      height: 8,
    },
    {
      id: 'token-totals',
      title: 'Tokens in range',
      description: 'Rendered tokens delivered, and tokens of lost responses whose content was seen.',
      kind: 'stat',
      datasource: 'metrics',
      unit: 'short',
      thresholds: neutral(),
      queries: [
        { refId: 'A', expr: queries.renderedTokens(RANGE), legend: 'Rendered', instant: true },
        { refId: 'B', expr: queries.lostTokens(RANGE), legend: 'Lost', instant: true },
      ],
      width: 12,
      height: 5,
    },
    {
      id: 'wire-overhead',
      title: 'Wire overhead',
      description: 'JSON-RPC envelope bytes beyond the rendering, per interval and server. Not part of efficiency.',
      kind: 'timeseries',
      datasource: 'metrics',
      unit: 'bytes',
      queries: [{ refId: 'A', expr: queries.wireOverheadBytes(TREND, ['server']), legend: legend('server') }],
      width: 12,
      height: 5,
    },
    {
      id: 'estimated-share',
      title: 'Estimated token share',
      description:
        'Share of rendered tokens counted from their bytes rather than tokenized, per interval and server: responses that came while the accounting backlog was past its budget, or results of more than 10,000 blocks. Zero when every count was exact; the measures above are approximate to this extent.',
      kind: 'timeseries',
      datasource: 'metrics',
      unit: 'percentunit',
      min: 0,
      max: 1,
      queries: [{ refId: 'A', expr: queries.estimatedShare(TREND, ['server']), legend: legend('server') }],
      width: 24,
      height: 5,
    },
  ],
};

/** The panels that show counts: approximate in PromQL (counts.ts). */
export const context: PageSpec = withApproximateCounts(contextPanels, ['tokens-by-method', 'tokens-by-tool', 'tokens-by-server', 'wasted-tokens', 'lost-by-cause', 'token-totals', 'wire-overhead']);
