import {
  DEFAULT_DEFINITION_TOKEN_BUDGET,
  TARGET_COLORS,
  TARGET_SERVER_TOOL_FAILURE_RATE,
  queries,
  serverQueries,
} from '@mcp-conservation/semconv';
import { PAGES, VARIABLES } from '.';
import { RANGE, TREND } from './scope';
import { visiblePages } from '../access/pages';

const servers = PAGES.find((p) => p.id === 'servers')!;
const panel = (id: string) => servers.panels.find((p) => p.id === id)!;
const expr = (id: string, refId = 'A') => panel(id).queries.find((q) => q.refId === refId)!.expr;

describe('Servers page', () => {
  it('sits after Tools, for readers, on the metric variables', () => {
    expect(PAGES.map((p) => p.id).indexOf('servers')).toBe(PAGES.map((p) => p.id).indexOf('tools') + 1);
    expect(visiblePages({ read: true, audit: false })).toContain(servers);
    expect(servers.variables).toEqual(['metrics', 'service', 'server', 'tool', 'observer']);
  });

  it('shows semconv’s server queries, counts rounded', () => {
    expect(expr('server-failure-rate')).toBe(serverQueries.serverToolFailureRate(RANGE, ['server']));
    expect(expr('definition-tokens-per-server')).toBe(serverQueries.definitionTokensPerServer(RANGE));
    expect(expr('server-latency-p95')).toBe(serverQueries.serverOperationLatency(0.95, TREND));
    expect(expr('tool-latency-p99')).toBe(serverQueries.serverToolLatency(0.99, TREND));
    expect(expr('definition-tokens')).toBe(serverQueries.definitionTokens(RANGE));
    expect(expr('never-called-tools')).toBe(queries.roundedCount(serverQueries.neverCalledTools(RANGE)));
    expect(expr('definition-cost-vs-calls', 'B')).toBe(queries.roundedCount(serverQueries.serverToolCalls(RANGE, ['server', 'tool'])));
    expect(expr('server-outcomes')).toBe(queries.roundedCount(serverQueries.serverToolCallsByOutcome(TREND, ['server'])));
    expect(expr('tool-errors')).toBe(queries.roundedCount(serverQueries.serverToolErrors(RANGE, ['tool'])));
    expect(expr('result-tokens')).toBe(queries.roundedCount(serverQueries.serverResultTokens(RANGE, ['tool'])));
  });

  it('colours the failure rate at the server target and the definition cost at the budget', () => {
    expect(panel('server-failure-rate').thresholds).toEqual([
      { value: null, color: TARGET_COLORS.pass },
      { value: TARGET_SERVER_TOOL_FAILURE_RATE.threshold, color: TARGET_COLORS.fail },
    ]);
    const budget = panel('definition-tokens-per-server').thresholds!;
    expect(budget[1]!.value).toBeGreaterThan(DEFAULT_DEFINITION_TOKEN_BUDGET);
    expect(budget[1]!.value).toBeLessThan(DEFAULT_DEFINITION_TOKEN_BUDGET + 1e-6);
  });

  it('says what listings served undercounts wherever it multiplies definition tokens', () => {
    for (const id of ['never-called-tools', 'definition-cost-vs-calls']) {
      expect(panel(id).description).toMatch(/undercounts.*clients cache listings.*stateless server cannot count hosts/);
    }
  });

  it('lists servers and tools that servers report, not only clients', () => {
    const server = VARIABLES.server;
    const tool = VARIABLES.tool;
    expect(server.kind === 'query' && server.query).toContain('mcp_server_operation_duration_seconds_count');
    expect(tool.kind === 'query' && tool.query).toContain('mcp_conservation_server_tool_calls_total');
  });
});
