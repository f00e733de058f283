/**
 * @mcp-conservation/e2e/harness: real services for end-to-end suites.
 * See test/README.md for the API.
 */
export { startStack, prepare, type Stack, type StackOptions } from './stack.js';
export { createCollector, CollectorService, type CollectorOptions } from './collector.js';
export { createPrometheus, PrometheusService, type PrometheusOptions, type PromSample, type PromRule, type ScrapeTarget } from './prometheus.js';
export { createAlertmanager, AlertmanagerService, type ReceivedAlert } from './alertmanager.js';
export { createOtlpBackend, OtlpBackend, type ReceivedSpan } from './otlp-backend.js';
export { readArchive, auditRecords, isAuditRecord, type ArchivedLogRecord } from './audit-archive.js';
export { ManagedProcess } from './process.js';
export { freePort } from './ports.js';
export { waitFor, waitForHttpOk, type WaitOptions } from './wait.js';
export { phase, phaseTimings, type PhaseTiming } from './timing.js';
export { CumulativeReader, sumOf } from './sdk-totals.js';
