import { DEFAULT_DEFINITION_TOKEN_BUDGET, TARGET_COLORS, TARGET_SERVER_TOOL_FAILURE_RATE, serverQueries } from '@mcp-conservation/semconv';
import { RANGE, TREND } from '../scope';
import { neutral } from '../thresholds';
import { withApproximateCounts } from '../counts';
import type { PageSpec } from '../types';
import { METRIC_VARIABLES } from '../variables';
import { legend } from '../legend';

const QUANTILES = [0.5, 0.95, 0.99] as const;

const LISTINGS_UNDERCOUNT =
  'Listings served counts the tools/list answers (each page) the server sent; it undercounts what hosts carried: clients cache listings and reuse one listing for many model requests, and a stateless server cannot count hosts.';

const serversPanels: PageSpec = {
  id: 'servers',
  title: 'Servers',
  subtitle: 'The server’s view: duration, calls and who failed them, and what each definition costs the hosts that list it.',
  variables: METRIC_VARIABLES,
  panels: [
    {
      id: 'server-failure-rate',
      title: 'Server tool failure rate',
      description: `${TARGET_SERVER_TOOL_FAILURE_RATE.description} Target: below ${TARGET_SERVER_TOOL_FAILURE_RATE.threshold * 100}%.`,
      kind: 'bargauge',
      datasource: 'metrics',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [
        { value: null, color: TARGET_COLORS.pass },
        { value: TARGET_SERVER_TOOL_FAILURE_RATE.threshold, color: TARGET_COLORS.fail },
      ],
      queries: [{ refId: 'A', expr: serverQueries.serverToolFailureRate(RANGE, ['server']), legend: legend('server'), instant: true }],
      width: 12,
      height: 8,
    },
    {
      id: 'definition-tokens-per-server',
      title: 'Definition tokens per server',
      description: `What a host pays to list each server’s tools, prompts, resources and templates. Budget: ${DEFAULT_DEFINITION_TOKEN_BUDGET} tokens (the alert’s threshold, editable on the config page).`,
      kind: 'bargauge',
      datasource: 'metrics',
      unit: 'short',
      min: 0,
      thresholds: [
        { value: null, color: TARGET_COLORS.pass },
        { value: DEFAULT_DEFINITION_TOKEN_BUDGET + 1e-9, color: TARGET_COLORS.fail },
      ],
      queries: [{ refId: 'A', expr: serverQueries.definitionTokensPerServer(RANGE), legend: legend('server'), instant: true }],
      width: 12,
      height: 8,
    },
    ...QUANTILES.map((q) => ({
      id: `server-latency-p${q * 100}`,
      title: `Operation duration p${q * 100} per server`,
      description: `The ${q * 100}th percentile of mcp.server.operation.duration per server, every method, as the server saw it.`,
      kind: 'timeseries' as const,
      datasource: 'metrics' as const,
      unit: 's',
      queries: [{ refId: 'A', expr: serverQueries.serverOperationLatency(q, TREND), legend: legend('server') }],
      width: 8,
      height: 8,
    })),
    {
      id: 'server-outcomes',
      title: 'Tool calls by outcome and origin',
      description: 'Tool calls the server answered, by outcome and, for failures, whose mistake it was: caller (invalid params, unknown tool) apart from server.',
      kind: 'timeseries',
      datasource: 'metrics',
      unit: 'short',
      stacked: true,
      queries: [{ refId: 'A', expr: serverQueries.serverToolCallsByOutcome(TREND, ['server']), legend: legend('server', 'outcome', 'origin') }],
      width: 24,
      height: 8,
    },
    {
      id: 'definition-tokens',
      title: 'Definition tokens',
      description: 'Tokens of each current definition, by server, kind and name. A changed definition shows as a step.',
      kind: 'table',
      datasource: 'metrics',
      unit: 'short',
      queries: [{ refId: 'A', expr: serverQueries.definitionTokens(RANGE), instant: true, format: 'table' }],
      width: 12,
      height: 10,
    },
    {
      id: 'never-called-tools',
      title: 'Tools listed, never called',
      description: `Tools with listings and no call in the range, with the definition tokens their listings served (definition tokens × listings served). ${LISTINGS_UNDERCOUNT}`,
      kind: 'table',
      datasource: 'metrics',
      unit: 'short',
      queries: [{ refId: 'A', expr: serverQueries.neverCalledTools(RANGE), instant: true, format: 'table' }],
      width: 12,
      height: 10,
    },
    {
      id: 'definition-cost-vs-calls',
      title: 'Definition tokens served and calls per tool',
      description: `Per tool: its definition tokens × the tools/list answers its server sent (A), against its calls (B). ${LISTINGS_UNDERCOUNT}`,
      kind: 'table',
      datasource: 'metrics',
      unit: 'short',
      queries: [
        { refId: 'A', expr: serverQueries.definitionTokensServed(RANGE), instant: true, format: 'table' },
        { refId: 'B', expr: serverQueries.serverToolCalls(RANGE, ['server', 'tool']), instant: true, format: 'table' },
      ],
      width: 24,
      height: 10,
    },
    ...QUANTILES.map((q) => ({
      id: `tool-latency-p${q * 100}`,
      title: `Tool duration p${q * 100} per tool`,
      description: `The ${q * 100}th percentile of tools/call duration per tool, as the server saw it.`,
      kind: 'timeseries' as const,
      datasource: 'metrics' as const,
      unit: 's',
      queries: [{ refId: 'A', expr: serverQueries.serverToolLatency(q, TREND), legend: legend('tool') }],
      width: 8,
      height: 8,
    })),
    {
      id: 'tool-errors',
      title: 'Tool errors by origin',
      description: 'Failed tool calls per tool in the range, the caller’s mistakes apart from the server’s own failures.',
      kind: 'bargauge',
      datasource: 'metrics',
      unit: 'short',
      thresholds: neutral(),
      queries: [{ refId: 'A', expr: serverQueries.serverToolErrors(RANGE, ['tool']), legend: legend('tool', 'origin'), instant: true }],
      width: 12,
      height: 8,
    },
    {
      id: 'result-tokens',
      title: 'Result tokens per tool',
      description: 'Rendered tokens of the results the server sent per tool, rendered as the client side renders them.',
      kind: 'bargauge',
      datasource: 'metrics',
      unit: 'short',
      thresholds: neutral(),
      queries: [{ refId: 'A', expr: serverQueries.serverResultTokens(RANGE, ['tool']), legend: legend('tool'), instant: true }],
      width: 12,
      height: 8,
    },
  ],
};

/** The panels that show counts: approximate in PromQL (counts.ts). */
export const servers: PageSpec = withApproximateCounts(serversPanels, [
  'server-outcomes',
  'never-called-tools',
  'definition-cost-vs-calls',
  'tool-errors',
  'result-tokens',
]);
