/**
 * Builds, chains and emits the audit records of one session. Records are
 * sealed in the order they are written, so sequence numbers and links
 * follow the session's order of events.
 */
import { ROOT_CONTEXT, SeverityNumber, trace, type Logger, type Span } from '@opentelemetry/api';
import { AUDIT_FIELDS as F, AUDIT_FORMAT_VERSION, GENESIS_LINK, sealRecord, type AuditRecord, type AuditValue } from '@mcp-conservation/semconv/audit';

export interface AuditContext {
  readonly logger: () => Logger;
  readonly key: string | undefined;
  readonly sessionId: string;
  readonly observer: string;
  /** Called for each record emitted, to count it. */
  readonly onEmit: () => void;
  /** True while the chain covers a stretch of time, not a session: each record says so. */
  readonly coversTime?: () => boolean;
}

export class AuditWriter {
  private seq = 0;
  private prev = GENESIS_LINK;

  constructor(private readonly ctx: AuditContext) {}

  get records(): number {
    return this.seq;
  }

  /**
   * Seals and emits one record, built by `build` only when the logger takes
   * it; returns it. Undefined fields are left out.
   */
  write(eventName: string, span: Span | undefined, timeMs: number, build: () => { fields: Record<string, AuditValue | undefined>; summary: string }): AuditRecord | undefined {
    const logger = this.ctx.logger();
    const context = span ? trace.setSpan(ROOT_CONTEXT, span) : ROOT_CONTEXT;
    // Nothing receives records (no LoggerProvider, or one that declines them):
    // none is built, and the chain stays contiguous over the records emitted.
    if (logger.enabled?.({ context, eventName, severityNumber: SeverityNumber.INFO }) === false) return undefined;
    const { fields, summary } = build();
    this.seq++;
    // sealRecord leaves undefined fields out.
    fields[F.version] = AUDIT_FORMAT_VERSION;
    fields[F.session] = this.ctx.sessionId;
    fields[F.seq] = this.seq;
    fields[F.time] = new Date(timeMs).toISOString();
    fields[F.observer] = this.ctx.observer;
    if (this.ctx.coversTime?.()) fields[F.chainCovers] = 'time';
    const record = sealRecord(fields as AuditRecord, this.prev, this.ctx.key);
    this.prev = record[F.link] as string;
    logger.emit({
      eventName,
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: summary,
      // Written-at time: records leave a process in timestamp order, so a
      // Collector's count connector, which spans each delta over its batch's
      // timestamps, never produces overlapping deltas (delta_to_cumulative drops
      // those). The operation's own time is the record's `time` field.
      timestamp: Date.now(),
      attributes: record,
      context,
    });
    this.ctx.onEmit();
    return record;
  }
}
