import { TARGET_REQUESTS_PER_SESSION, queries } from '@mcp-conservation/semconv';
import { sessionsOverLimit } from '../logql';
import { RANGE, TREND } from '../scope';
import { bandThresholds, neutral, zeroIsGood } from '../thresholds';
import { withApproximateCounts } from '../counts';
import type { PageSpec } from '../types';
import { METRIC_VARIABLES } from '../variables';

const { min, max } = TARGET_REQUESTS_PER_SESSION;
const QUANTILES = [0.5, 0.95, 0.99] as const;

const sessionsPanels: PageSpec = {
  id: 'sessions',
  title: 'Sessions',
  subtitle: `Requests per session against the ${min} to ${max} band, and session duration.`,
  variables: [...METRIC_VARIABLES, 'logs'],
  panels: [
    {
      id: 'requests-distribution',
      title: 'Requests per session',
      description:
        'Sessions that ended in the range, by the number of client requests they made (histogram buckets, upper bound shown).',
      kind: 'bargauge',
      datasource: 'metrics',
      unit: 'short',
      thresholds: neutral(),
      // Prometheus's own histogram label, not an attribute.
      queries: [
        {
          refId: 'A',
          expr: queries.requestsPerSessionBuckets(RANGE),
          legend: '{{le}}',
          instant: true,
          format: 'heatmap',
        },
      ],
      width: 12,
      height: 9,
    },
    {
      id: 'sessions-within-band',
      title: `Sessions with ${min} to ${max} requests`,
      description: 'Share of ended sessions whose request count is within the target band.',
      kind: 'stat',
      datasource: 'metrics',
      unit: 'percentunit',
      thresholds: neutral(),
      queries: [{ refId: 'A', expr: queries.sessionsWithinBand(RANGE), instant: true }],
      width: 6,
      height: 4,
    },
    {
      id: 'mean-requests',
      title: 'Mean requests per session',
      description: `Mean client requests per ended session. Target band: ${min} to ${max}.`,
      kind: 'stat',
      datasource: 'metrics',
      unit: 'short',
      thresholds: bandThresholds(TARGET_REQUESTS_PER_SESSION),
      queries: [{ refId: 'A', expr: queries.meanRequestsPerSession(RANGE), instant: true }],
      width: 6,
      height: 4,
    },
    {
      id: 'sessions-ended',
      title: 'Sessions ended',
      description: 'Sessions that ended in the range.',
      kind: 'stat',
      datasource: 'metrics',
      unit: 'short',
      thresholds: neutral(),
      queries: [{ refId: 'A', expr: queries.sessionsEnded(RANGE), instant: true }],
      width: 4,
      height: 5,
    },
    {
      id: 'sessions-over-limit',
      title: `Sessions crossing ${max} requests`,
      description: `Sessions counted live at their ${max + 1}st request: an agent loop or a runaway client.`,
      kind: 'stat',
      datasource: 'metrics',
      unit: 'short',
      thresholds: zeroIsGood(),
      queries: [{ refId: 'A', expr: queries.sessionsOverLimit(RANGE), instant: true }],
      width: 4,
      height: 5,
    },
    {
      id: 'sessionless-requests',
      title: 'Requests in no session',
      description:
        'Calls the proxy relayed over stateless HTTP (2026-07-28, no Mcp-Session-Id): many clients share it, so there is no session to count them in. Requests per session is not observable over stateless HTTP; these calls are in none of the figures beside this one.',
      kind: 'stat',
      datasource: 'metrics',
      unit: 'short',
      thresholds: neutral(),
      queries: [{ refId: 'A', expr: queries.sessionlessRequests(RANGE), instant: true }],
      width: 4,
      height: 5,
    },
    {
      id: 'session-duration',
      title: 'Session duration',
      description: 'Quantiles of MCP session duration as the client saw it.',
      kind: 'timeseries',
      datasource: 'metrics',
      unit: 's',
      queries: QUANTILES.map((q, i) => ({
        refId: String.fromCharCode(65 + i),
        expr: queries.sessionDuration(q, TREND),
        legend: `p${q * 100}`,
      })),
      width: 12,
      height: 8,
    },
    {
      id: 'sessions-over-limit-list',
      title: `Sessions over ${max} requests (audit log)`,
      description:
        'Session-end audit records of sessions over the limit. Prometheus keeps no session label, so the sessions themselves come from the audit trail.',
      kind: 'table',
      datasource: 'logs',
      audit: true,
      queries: [{ refId: 'A', expr: sessionsOverLimit() }],
      width: 12,
      height: 8,
    },
  ],
};

/** The panels that show counts: approximate in PromQL (counts.ts). */
export const sessions: PageSpec = withApproximateCounts(sessionsPanels, ['requests-distribution', 'sessions-ended', 'sessions-over-limit', 'sessionless-requests']);
