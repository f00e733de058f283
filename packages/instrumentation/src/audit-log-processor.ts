import { diag, metrics, type Counter, type MeterProvider } from '@opentelemetry/api';
import { BindOnceFuture, callWithTimeout, ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_DROP_REASON, DROP_REASON_VALUES, AUDIT_EVENT_NAMES, METRIC_AUDIT_DROPPED, SCHEMA_URL, type DropReason } from '@mcp-conservation/semconv';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

export interface AuditLogRecordProcessorOptions {
  /** Records held before new ones are dropped (and counted). Default 2048. */
  maxQueueSize?: number;
  /** Records per export call, at most maxQueueSize. Default 512. */
  maxExportBatchSize?: number;
  /** Delay between scheduled exports. Default 1000 ms. */
  scheduledDelayMillis?: number;
  /**
   * How long one export may take before the processor stops waiting for it
   * (its records stay counted in `unexported` until the exporter answers).
   * Default 30000 ms, as the SDK's batch processor.
   */
  exportTimeoutMillis?: number;
  /** Meter provider for the dropped counter. Default: the global one at first drop. */
  meterProvider?: MeterProvider;
  /**
   * Whose pending records to wait for before a flush or shutdown, typically
   * the McpInstrumentation, so that the provider's shutdown exports every record.
   */
  flushFirst?: readonly { forceFlush(): Promise<void> }[];
}

const AUDIT_EVENTS = new Set(AUDIT_EVENT_NAMES);

function auditCount(records: readonly ReadableLogRecord[]): number {
  let n = 0;
  for (const r of records) if (r.eventName !== undefined && AUDIT_EVENTS.has(r.eventName)) n++;
  return n;
}

/**
 * A batching log processor that never loses an audit record silently:
 * records dropped because the queue is full, an export failed or the
 * provider shut down with records unexported are counted in
 * `mcp_conservation.audit.dropped` by reason. Other log records pass through
 * the same batching but are not counted. Written after the SDK's
 * BatchLogRecordProcessorBase: defaults set here, a timeout around every
 * export, results compared with ExportResultCode, a shutdown that runs once.
 */
export class AuditLogRecordProcessor implements LogRecordProcessor {
  private queue: ReadableLogRecord[] = [];
  /** Audit records in exports the exporter has not answered yet, timed out or not. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> = Promise.resolve();
  private dropped: Counter | undefined;
  /**
   * Set once shutdown has flushed, not when it starts: the flush waits for
   * `flushFirst`, which writes its last audit records while it runs.
   */
  private isShutdown = false;
  private readonly shutdownOnce: BindOnceFuture<void>;
  private readonly maxQueueSize: number;
  private readonly maxBatch: number;
  private readonly delay: number;
  private readonly exportTimeout: number;
  /** Undefined means the global provider, looked up at the first record. */
  private readonly meterProvider: MeterProvider | undefined;
  private readonly flushFirst: readonly { forceFlush(): Promise<void> }[];

  constructor(
    private readonly exporter: LogRecordExporter,
    options: AuditLogRecordProcessorOptions = {},
  ) {
    this.maxQueueSize = options.maxQueueSize ?? 2048;
    this.maxBatch = options.maxExportBatchSize ?? 512;
    this.delay = options.scheduledDelayMillis ?? 1000;
    this.exportTimeout = options.exportTimeoutMillis ?? 30_000;
    this.meterProvider = options.meterProvider;
    this.flushFirst = options.flushFirst ?? [];
    if (this.maxBatch > this.maxQueueSize) {
      diag.warn('mcp-conservation: AuditLogRecordProcessor maxExportBatchSize is larger than maxQueueSize; using maxQueueSize');
      this.maxBatch = this.maxQueueSize;
    }
    this.shutdownOnce = new BindOnceFuture(this.shutdownNow, this);
  }

  /**
   * The dropped counter, created at the first record (by then the SDK has
   * registered its meter provider) with every reason at zero, so that an
   * alert on it sees a series before the first drop.
   */
  private droppedCounter(): Counter {
    if (!this.dropped) {
      this.dropped = (this.meterProvider ?? metrics.getMeterProvider())
        .getMeter(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL })
        .createCounter(METRIC_AUDIT_DROPPED.name, { unit: METRIC_AUDIT_DROPPED.unit, description: METRIC_AUDIT_DROPPED.description });
      for (const reason of Object.values(DROP_REASON_VALUES)) this.dropped.add(0, { [ATTR_DROP_REASON]: reason });
    }
    return this.dropped;
  }

  /**
   * Audit records taken and not yet exported (queued, or in an export the
   * exporter has not answered, including one that timed out): what a process
   * exiting now would lose. For the diagnostic of a shutdown that runs out of time.
   */
  get unexported(): number {
    return auditCount(this.queue) + this.inFlight;
  }

  private countDropped(records: readonly ReadableLogRecord[], reason: DropReason): void {
    const audit = auditCount(records);
    if (audit === 0) return;
    diag.warn(`mcp-conservation: ${audit} audit record(s) dropped (${reason})`);
    this.droppedCounter().add(audit, { [ATTR_DROP_REASON]: reason });
  }

  onEmit(record: ReadWriteLogRecord): void {
    if (!this.dropped) this.droppedCounter();
    if (this.isShutdown) {
      this.countDropped([record], DROP_REASON_VALUES.shutdown);
      return;
    }
    if (this.queue.length >= this.maxQueueSize) {
      this.countDropped([record], DROP_REASON_VALUES.queueFull);
      return;
    }
    this.queue.push(record);
    if (this.queue.length >= this.maxBatch) void this.exportNow();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.exportNow(), this.delay);
      this.timer.unref();
    }
  }

  /** Exports the queue, one batch at a time, after any export already running. */
  private exportNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.exporting = this.exporting.then(async () => {
      while (this.queue.length > 0) await this.exportBatch(this.queue.splice(0, this.maxBatch));
    });
    return this.exporting;
  }

  /**
   * One export, waited for at most exportTimeoutMillis. A late answer still
   * settles the batch: its records leave `unexported` then, and are counted
   * as dropped if it is a failure.
   */
  private async exportBatch(batch: ReadableLogRecord[]): Promise<void> {
    const audit = auditCount(batch);
    this.inFlight += audit;
    let answered = false;
    const done = new Promise<void>((resolve) => {
      const settle = (result: ExportResult): void => {
        // An exporter that answers twice must not count the batch twice.
        if (answered) return;
        answered = true;
        this.inFlight -= audit;
        if (result.code !== ExportResultCode.SUCCESS) this.countDropped(batch, DROP_REASON_VALUES.exportFailed);
        resolve();
      };
      try {
        this.exporter.export(batch, settle);
      } catch (error) {
        diag.error('mcp-conservation: log export threw', error);
        settle({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
    try {
      await callWithTimeout(done, this.exportTimeout);
    } catch {
      // `done` never rejects, so this is the timeout.
      diag.warn(`mcp-conservation: log export not answered within ${this.exportTimeout} ms; ${audit} audit record(s) not exported yet`);
    }
  }

  private async flush(): Promise<void> {
    await Promise.allSettled(this.flushFirst.map((f) => f.forceFlush()));
    await this.exportNow();
    await this.exporter.forceFlush?.();
  }

  forceFlush(): Promise<void> {
    // After shutdown the exporter is closed: wait for the shutdown instead, as the SDK does.
    if (this.shutdownOnce.isCalled) return this.shutdownOnce.promise;
    return this.flush();
  }

  /** The same promise for every call, so the exporter is shut down once. */
  shutdown(): Promise<void> {
    return this.shutdownOnce.call();
  }

  private async shutdownNow(): Promise<void> {
    await this.flush();
    this.isShutdown = true;
    await this.exporter.shutdown();
  }
}
