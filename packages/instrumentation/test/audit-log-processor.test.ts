/** The audit processor as the SDK's batch processor behaves: an export timeout, results by ExportResultCode, one shutdown. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diag, DiagLogLevel, SeverityNumber } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AuditLogRecordProcessor } from '@mcp-conservation/instrumentation';
import { createTelemetry, sumOf } from './helpers.ts';

/** Holds every export's callback; answers only when the test says so. */
class HeldExporter implements LogRecordExporter {
  held: ((r: ExportResult) => void)[] = [];
  shutdowns = 0;
  export(_logs: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    this.held.push(done);
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
  async forceFlush(): Promise<void> {}
}

/** Answers every export at once with the result it is set to. */
class AnsweringExporter implements LogRecordExporter {
  result: ExportResult = { code: ExportResultCode.SUCCESS };
  exported = 0;
  shutdowns = 0;
  export(logs: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    if (this.result.code === ExportResultCode.SUCCESS) this.exported += logs.length;
    done(this.result);
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
  async forceFlush(): Promise<void> {}
}

function emitAudit(provider: LoggerProvider): void {
  provider.getLogger('t').emit({ eventName: 'mcp_conservation.audit.operation', severityNumber: SeverityNumber.INFO, attributes: { a: 1 } });
}

const dropped = (rm: Awaited<ReturnType<ReturnType<typeof createTelemetry>['collect']>>, reason: string) =>
  sumOf(rm, 'mcp_conservation.audit.dropped', { 'mcp_conservation.audit.drop_reason': reason });

// The timeout is what is under test, so a short one here; the guard fails the test instead of hanging it.
test('an export never answered: forceFlush returns after exportTimeoutMillis, the record stays unexported and is diagnosed', { timeout: 10_000 }, async () => {
  const tel = createTelemetry();
  const warnings: string[] = [];
  diag.setLogger({ verbose() {}, debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} }, DiagLogLevel.WARN);
  try {
    const exporter = new HeldExporter();
    const processor = new AuditLogRecordProcessor(exporter, { exportTimeoutMillis: 50, scheduledDelayMillis: 60_000, meterProvider: tel.meterProvider });
    const provider = new LoggerProvider({ processors: [processor] });
    emitAudit(provider);
    emitAudit(provider);
    assert.equal(processor.unexported, 2, 'queued');
    const started = performance.now();
    await processor.forceFlush();
    assert.ok(performance.now() - started >= 45, 'forceFlush waited for the timeout');
    assert.equal(exporter.held.length, 1, 'one export call for both records');
    assert.equal(processor.unexported, 2, 'not answered: still unexported');
    assert.deepEqual(
      warnings.filter((w) => w.includes('not answered')),
      ['mcp-conservation: log export not answered within 50 ms; 2 audit record(s) not exported yet'],
    );
    // A late answer settles the batch; a second answer from the same exporter changes nothing.
    exporter.held[0]!({ code: ExportResultCode.SUCCESS });
    exporter.held[0]!({ code: ExportResultCode.FAILED });
    assert.equal(processor.unexported, 0);
    const rm = await tel.collect();
    assert.equal(dropped(rm, 'export_failed'), 0);
    await provider.shutdown();
  } finally {
    diag.disable();
    await tel.shutdown();
  }
});

test('a FAILED result is counted as dropped, not as exported; SUCCESS is not', async () => {
  const tel = createTelemetry();
  const exporter = new AnsweringExporter();
  const processor = new AuditLogRecordProcessor(exporter, { scheduledDelayMillis: 60_000, meterProvider: tel.meterProvider });
  const provider = new LoggerProvider({ processors: [processor] });
  emitAudit(provider);
  await processor.forceFlush();
  exporter.result = { code: ExportResultCode.FAILED, error: new Error('collector down') };
  emitAudit(provider);
  emitAudit(provider);
  await processor.forceFlush();
  assert.equal(exporter.exported, 1);
  assert.equal(processor.unexported, 0, 'a failed export is settled: its records are dropped, not pending');
  const rm = await tel.collect();
  assert.equal(dropped(rm, 'export_failed'), 2);
  assert.equal(sumOf(rm, 'mcp_conservation.audit.dropped'), 2);
  await provider.shutdown();
  await tel.shutdown();
});

test('two concurrent shutdowns share one promise and shut the exporter down once', async () => {
  const tel = createTelemetry();
  const exporter = new AnsweringExporter();
  const processor = new AuditLogRecordProcessor(exporter, { scheduledDelayMillis: 60_000, meterProvider: tel.meterProvider });
  const provider = new LoggerProvider({ processors: [processor] });
  emitAudit(provider);
  const first = processor.shutdown();
  const second = processor.shutdown();
  assert.equal(first, second, 'the same promise');
  await Promise.all([first, second]);
  await processor.shutdown();
  await processor.forceFlush();
  assert.equal(exporter.shutdowns, 1);
  assert.equal(exporter.exported, 1, 'the shutdown flushed the queued record');
  emitAudit(provider); // the processor is shut down, the provider is not
  assert.equal(dropped(await tel.collect(), 'shutdown'), 1, 'a record reaching a shut-down processor is counted');
  await tel.shutdown();
});
