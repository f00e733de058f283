import { diag, metrics, type Counter, type MeterProvider } from '@opentelemetry/api';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_DROP_REASON, DROP_REASON_VALUES, EVENT_AUDIT_OPERATION, EVENT_AUDIT_SESSION_END, METRIC_AUDIT_DROPPED, SCHEMA_URL, type DropReason } from '@mcp-conservation/semconv';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

export interface AuditLogRecordProcessorOptions {
  /** Records held before new ones are dropped (and counted). Default 2048. */
  maxQueueSize?: number;
  /** Records per export call. Default 512. */
  maxExportBatchSize?: number;
  /** Delay between scheduled exports. Default 1000 ms. */
  scheduledDelayMillis?: number;
  /** Meter provider for the dropped counter. Default: the global one at first drop. */
  meterProvider?: MeterProvider;
  /**
   * Whose pending records to wait for before a flush or shutdown, typically
   * the McpInstrumentation, so that the provider's shutdown exports every record.
   */
  flushFirst?: readonly { forceFlush(): Promise<void> }[];
}

const AUDIT_EVENTS = new Set([EVENT_AUDIT_OPERATION, EVENT_AUDIT_SESSION_END]);

/**
 * A batching log processor that never loses an audit record silently:
 * records dropped because the queue is full, an export failed or the
 * provider shut down with records unexported are counted in
 * `mcp_conservation.audit.dropped` by reason. Other log records pass through
 * the same batching but are not counted.
 */
function auditCount(records: readonly ReadableLogRecord[]): number {
  let n = 0;
  for (const r of records) if (r.eventName !== undefined && AUDIT_EVENTS.has(r.eventName)) n++;
  return n;
}

export class AuditLogRecordProcessor implements LogRecordProcessor {
  private queue: ReadableLogRecord[] = [];
  /** Audit records in the batch being exported now. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> = Promise.resolve();
  private dropped: Counter | undefined;
  private isShutdown = false;
  private readonly maxQueueSize: number;
  private readonly maxBatch: number;
  private readonly delay: number;

  constructor(
    private readonly exporter: LogRecordExporter,
    private readonly options: AuditLogRecordProcessorOptions = {},
  ) {
    this.maxQueueSize = options.maxQueueSize ?? 2048;
    this.maxBatch = options.maxExportBatchSize ?? 512;
    this.delay = options.scheduledDelayMillis ?? 1000;
  }

  /**
   * The dropped counter, created at the first record (by then the SDK has
   * registered its meter provider) with every reason at zero, so that an
   * alert on it sees a series before the first drop.
   */
  private droppedCounter(): Counter {
    if (!this.dropped) {
      this.dropped = (this.options.meterProvider ?? metrics.getMeterProvider())
        .getMeter(PACKAGE_NAME, PACKAGE_VERSION, { schemaUrl: SCHEMA_URL })
        .createCounter(METRIC_AUDIT_DROPPED.name, { unit: METRIC_AUDIT_DROPPED.unit, description: METRIC_AUDIT_DROPPED.description });
      for (const reason of Object.values(DROP_REASON_VALUES)) this.dropped.add(0, { [ATTR_DROP_REASON]: reason });
    }
    return this.dropped;
  }

  /**
   * Audit records taken and not yet exported (queued, or in an export
   * still running): what a process exiting now would lose. For the
   * diagnostic of a shutdown that runs out of time.
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
    if (this.queue.length >= this.maxBatch) this.exportNow();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.exportNow(), this.delay);
      this.timer.unref();
    }
  }

  private exportNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.exporting = this.exporting.then(async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.inFlight = auditCount(batch);
        await new Promise<void>((resolve) => {
          try {
            this.exporter.export(batch, (result) => {
              if (result.code !== 0) this.countDropped(batch, DROP_REASON_VALUES.exportFailed);
              this.inFlight = 0;
              resolve();
            });
          } catch (error) {
            diag.error('mcp-conservation: log export threw', error);
            this.countDropped(batch, DROP_REASON_VALUES.exportFailed);
            this.inFlight = 0;
            resolve();
          }
        });
      }
    });
    return this.exporting;
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled((this.options.flushFirst ?? []).map((f) => f.forceFlush()));
    await this.exportNow();
    await this.exporter.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    await this.forceFlush();
    this.isShutdown = true;
    await this.exporter.shutdown();
  }
}
