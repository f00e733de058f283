/**
 * Writes audit records into files the way the pipeline does, with the real
 * OpenTelemetry JS SDK: records are emitted through a `LoggerProvider`
 * (sdk-logs) and serialized with `@opentelemetry/otlp-transformer`'s
 * `JsonLogsSerializer` (the OTLP/JSON body an OTLP HTTP exporter sends), one
 * ExportLogsServiceRequest per line, as the Collector's file exporter
 * writes JSON lines. The Collector re-encodes int64 values as strings; the
 * reader accepts both, and a test covers the string form separately.
 */
import { appendFileSync } from 'node:fs';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AUDIT_FIELDS, AUDIT_KIND_VALUES, EVENT_AUDIT_OPERATION, EVENT_AUDIT_SESSION_END } from '@mcp-conservation/semconv';
import type { AuditRecord } from '@mcp-conservation/semconv/audit';

/** Serialized OTLP/JSON messages, one per export call. */
export class JsonLinesExporter implements LogRecordExporter {
  readonly messages: string[] = [];
  export(logs: ReadableLogRecord[], resultCallback: (result: { code: number }) => void): void {
    const bytes = JsonLogsSerializer.serializeRequest(logs);
    if (bytes) this.messages.push(Buffer.from(bytes).toString('utf8'));
    resultCallback({ code: 0 });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Emits each record as an audit log event through the real Logs SDK; returns one JSON message per record. */
export async function serializeRecords(records: readonly AuditRecord[]): Promise<string[]> {
  const exporter = new JsonLinesExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'cli-test' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('@mcp-conservation/instrumentation');
  for (const record of records) {
    const ended = record[AUDIT_FIELDS.kind] === AUDIT_KIND_VALUES.sessionEnd;
    logger.emit({ eventName: ended ? EVENT_AUDIT_SESSION_END : EVENT_AUDIT_OPERATION, attributes: { ...record } });
  }
  await provider.forceFlush();
  await provider.shutdown();
  return exporter.messages;
}

export async function writeJsonLines(path: string, records: readonly AuditRecord[]): Promise<void> {
  const messages = await serializeRecords(records);
  appendFileSync(path, messages.map((m) => `${m}\n`).join(''));
}
