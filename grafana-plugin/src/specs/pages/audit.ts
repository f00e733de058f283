import { queries } from '@mcp-conservation/semconv';
import { legend } from '../legend';
import { AUDIT_KEYS, auditRecords, auditRecordsByOutcome } from '../logql';
import { RANGE, TREND } from '../scope';
import { neutral, zeroIsGood } from '../thresholds';
import { withApproximateCounts } from '../counts';
import type { PageSpec } from '../types';

const auditPanels: PageSpec = {
  id: 'audit',
  title: 'Audit',
  subtitle: 'The audit trail of every MCP interaction, and the health of its pipeline.',
  variables: ['metrics', 'logs', 'traces', 'service', 'server', 'observer', 'session', 'user', 'outcome', 'cause'],
  panels: [
    {
      id: 'records-emitted',
      title: 'Records emitted',
      description: 'Audit records the SDKs handed to the Logs SDK in the range.',
      kind: 'stat',
      datasource: 'metrics',
      audit: true,
      unit: 'short',
      thresholds: neutral(),
      queries: [{ refId: 'A', expr: queries.auditRecordsEmitted(RANGE), instant: true }],
      width: 6,
      height: 4,
    },
    {
      id: 'records-received',
      title: 'Records received',
      description: 'Audit records the gateway Collector counted in the range.',
      kind: 'stat',
      datasource: 'metrics',
      audit: true,
      unit: 'short',
      thresholds: neutral(),
      queries: [{ refId: 'A', expr: queries.auditRecordsReceived(RANGE), instant: true }],
      width: 6,
      height: 4,
    },
    {
      id: 'records-dropped',
      title: 'Records dropped',
      description: 'Audit records dropped before export (queue full, export failed, shutdown): gaps in the trail.',
      kind: 'stat',
      datasource: 'metrics',
      audit: true,
      unit: 'short',
      thresholds: zeroIsGood(),
      queries: [{ refId: 'A', expr: queries.auditRecordsDropped(RANGE), instant: true }],
      width: 6,
      height: 4,
    },
    {
      id: 'records-unreceived',
      title: 'Records emitted, not received',
      description: 'Emitted by the SDKs but not counted at the gateway. Briefly positive while batches are in flight.',
      kind: 'stat',
      datasource: 'metrics',
      audit: true,
      unit: 'short',
      thresholds: zeroIsGood(),
      queries: [{ refId: 'A', expr: queries.auditRecordsUnreceived(RANGE), instant: true }],
      width: 6,
      height: 4,
    },
    {
      id: 'dropped-by-reason',
      title: 'Dropped records by reason',
      description: 'Audit records dropped per interval, by reason.',
      kind: 'timeseries',
      datasource: 'metrics',
      audit: true,
      unit: 'short',
      stacked: true,
      queries: [{ refId: 'A', expr: queries.auditRecordsDropped(TREND, ['dropReason']), legend: legend('dropReason') }],
      width: 12,
      height: 7,
    },
    {
      id: 'records-by-outcome',
      title: 'Operations by outcome (audit log)',
      description: 'Operation records matching the filters, per interval, by outcome.',
      kind: 'timeseries',
      datasource: 'logs',
      audit: true,
      unit: 'short',
      stacked: true,
      queries: [{ refId: 'A', expr: auditRecordsByOutcome(), legend: `{{${AUDIT_KEYS.outcome}}}` }],
      width: 12,
      height: 7,
    },
    {
      id: 'records',
      title: 'Audit records',
      description:
        'Every audit record matching the filters, newest first. The trace link opens the request in the traces data source.',
      kind: 'table',
      datasource: 'logs',
      audit: true,
      traceIdField: AUDIT_KEYS.traceId,
      queries: [{ refId: 'A', expr: auditRecords() }],
      width: 24,
      height: 14,
    },
  ],
};

/** The panels that show counts: approximate in PromQL (counts.ts). */
export const audit: PageSpec = withApproximateCounts(auditPanels, ['records-emitted', 'records-received', 'records-dropped', 'records-unreceived', 'dropped-by-reason']);
