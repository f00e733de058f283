/**
 * A workload with no instrumentation: the real OTel JS SDK emits our
 * metrics (named and shaped from semconv) with known values, plus audit
 * records sealed with semconv's `sealRecord`, so every figure downstream has
 * a ground truth. Two services: `shop` carries the faults, `calm` is healthy.
 * Both protocol eras are mixed: every `MODERN_EVERY`th tick's operations carry
 * the modern era (2026-07-28), the others the legacy era, and each service's
 * session has one era (shop legacy, calm modern). Totals are era-blind.
 */
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  ATTR_DROP_REASON,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_PROTOCOL_ERA,
  ATTR_SERVER_NAME,
  ATTR_TOKEN_DISPOSITION,
  ATTR_CONTEXT_SOURCE,
  AUDIT_FIELDS,
  AUDIT_FORMAT_VERSION,
  AUDIT_KIND_VALUES,
  EVENT_AUDIT_OPERATION,
  EVENT_AUDIT_SESSION_END,
  GENESIS_LINK,
  METRIC_AUDIT_DROPPED,
  METRIC_AUDIT_RECORDS,
  METRIC_CONTEXT_TOKENS,
  METRIC_RESPONSES_CANCELLED,
  METRIC_RESPONSES_EXPECTED,
  METRIC_RESPONSES_LOST,
  METRIC_SESSIONS_OVER_LIMIT,
  METRIC_SESSION_REQUESTS,
  METRIC_TOOL_CALLS,
  INSTRUMENTATION_SCOPE_NAME,
  PROTOCOL_ERA_VALUES,
  type MetricDefinition,
  type ProtocolEra,
} from '@mcp-conservation/semconv';
import { sealRecord, type AuditRecord } from '@mcp-conservation/semconv/audit';
import { freePort } from '@mcp-conservation/e2e/harness';

/** Per tick, per service: what each counter gets. */
export interface Profile {
  readonly service: string;
  readonly success: number;
  readonly toolError: number;
  readonly cancelledCalls: number;
  readonly meaningful: number;
  readonly redundant: number;
  readonly unused: number;
  readonly expected: number;
  readonly cancelledResponses: number;
  readonly lostTimeout: number;
  /** Added once, at tick 5 (the series exists at 0 before, so increase() sees it). */
  readonly overLimit: number;
  readonly dropped: number;
  /** Requests of the one session this service ends. */
  readonly sessionRequests: number;
  /** Audit records (operations) per tick, in one session. */
  readonly auditPerTick: number;
  /** Ordinary application log records (not audit records) per tick, on the same logs pipeline. */
  readonly appLogsPerTick: number;
  /** The era of the service's session (its requests histogram and over-limit counter). */
  readonly sessionEra: ProtocolEra;
}

/** Every `MODERN_EVERY`th tick (i % MODERN_EVERY === MODERN_EVERY - 1) is in the modern era, the rest legacy. */
export const MODERN_EVERY = 4;
export function eraOfTick(i: number): ProtocolEra {
  return i % MODERN_EVERY === MODERN_EVERY - 1 ? PROTOCOL_ERA_VALUES.modern : PROTOCOL_ERA_VALUES.legacy;
}
export const ERAS: readonly ProtocolEra[] = [PROTOCOL_ERA_VALUES.legacy, PROTOCOL_ERA_VALUES.modern];

export const SHOP: Profile = { service: 'shop', success: 9, toolError: 1, cancelledCalls: 0, meaningful: 300, redundant: 100, unused: 100, expected: 10, cancelledResponses: 0, lostTimeout: 1, overLimit: 1, dropped: 1, sessionRequests: 120, auditPerTick: 3, appLogsPerTick: 2, sessionEra: PROTOCOL_ERA_VALUES.legacy };
export const CALM: Profile = { service: 'calm', success: 10, toolError: 0, cancelledCalls: 1, meaningful: 1000, redundant: 0, unused: 0, expected: 11, cancelledResponses: 1, lostTimeout: 0, overLimit: 0, dropped: 0, sessionRequests: 50, auditPerTick: 2, appLogsPerTick: 1, sessionEra: PROTOCOL_ERA_VALUES.modern };

export const SERVER = 'catalog';
export const TOOL = 'search';

export interface ServiceTruth {
  toolCalls: number; // cancelled excluded
  toolSuccess: number;
  renderedTokens: number;
  meaningfulTokens: number;
  responsesExpected: number;
  responsesCancelled: number;
  responsesLost: number;
  overLimit: number;
  dropped: number;
  sessionsEnded: number;
  auditRecords: number;
  appLogs: number;
  /** Tool calls (cancelled excluded) by era. */
  toolCallsByEra: Record<ProtocolEra, number>;
  /** Rendered tokens by era. */
  renderedTokensByEra: Record<ProtocolEra, number>;
  /** Sessions ended by era. */
  sessionsEndedByEra: Record<ProtocolEra, number>;
}

export function truthOf(p: Profile, ticks: number): ServiceTruth {
  const modernTicks = Array.from({ length: ticks }, (_, i) => eraOfTick(i)).filter((e) => e === PROTOCOL_ERA_VALUES.modern).length;
  const byEra = (perTick: number): Record<ProtocolEra, number> => ({ legacy: perTick * (ticks - modernTicks), modern: perTick * modernTicks });
  return {
    toolCalls: (p.success + p.toolError) * ticks,
    toolSuccess: p.success * ticks,
    renderedTokens: (p.meaningful + p.redundant + p.unused) * ticks,
    meaningfulTokens: p.meaningful * ticks,
    responsesExpected: p.expected * ticks,
    responsesCancelled: p.cancelledResponses * ticks,
    responsesLost: p.lostTimeout * ticks,
    overLimit: p.overLimit,
    dropped: p.dropped,
    sessionsEnded: 1,
    // the warm-up session's one record, then operations plus the session_end record
    auditRecords: 1 + p.auditPerTick * ticks + 1,
    appLogs: p.appLogsPerTick * ticks,
    toolCallsByEra: byEra(p.success + p.toolError),
    renderedTokensByEra: byEra(p.meaningful + p.redundant + p.unused),
    sessionsEndedByEra: { legacy: 0, modern: 0, [p.sessionEra]: 1 },
  };
}

function counter(meter: Meter, def: MetricDefinition): Counter {
  return meter.createCounter(def.name, { unit: def.unit, description: def.description });
}

function histogram(meter: Meter, def: MetricDefinition): Histogram {
  return meter.createHistogram(def.name, { unit: def.unit, description: def.description, advice: { explicitBucketBoundaries: [...(def.buckets ?? [])] } });
}

/** One service's SDK: OTLP to the agent plus an in-process Prometheus exporter. */
export class SyntheticService {
  readonly profile: Profile;
  readonly promPort: number;
  readonly meterProvider: MeterProvider;
  readonly loggerProvider: LoggerProvider;
  /** The warm-up session (one record) and the workload session. */
  readonly sessionIds: readonly [string, string];
  /** Every audit record emitted, in order. */
  readonly emitted: AuditRecord[] = [];
  /** The body of every application (non-audit) log record emitted, in order. */
  readonly appLogBodies: string[] = [];
  private sessionId: string;
  private prev = GENESIS_LINK;
  private seq = 0;
  private readonly c;

  private constructor(profile: Profile, otlpUrl: string, promPort: number, extraOtlpMetricsUrls: readonly string[]) {
    this.profile = profile;
    this.promPort = promPort;
    this.sessionIds = [`${profile.service}-warm-up`, `${profile.service}-session-1`];
    this.sessionId = this.sessionIds[0];
    const resource = resourceFromAttributes({ 'service.name': profile.service, 'service.instance.id': `${profile.service}-1` });
    this.meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${otlpUrl}/v1/metrics` }), exportIntervalMillis: 500 }),
        new PrometheusExporter({ host: '127.0.0.1', port: promPort }),
        // e.g. Prometheus 3's native OTLP receiver, a fourth path
        ...extraOtlpMetricsUrls.map((url) => new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url }), exportIntervalMillis: 500 })),
      ],
    });
    this.loggerProvider = new LoggerProvider({
      resource,
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${otlpUrl}/v1/logs` }), scheduledDelayMillis: 200 })],
    });
    const meter = this.meterProvider.getMeter(INSTRUMENTATION_SCOPE_NAME);
    this.c = {
      tools: counter(meter, METRIC_TOOL_CALLS),
      tokens: counter(meter, METRIC_CONTEXT_TOKENS),
      expected: counter(meter, METRIC_RESPONSES_EXPECTED),
      cancelled: counter(meter, METRIC_RESPONSES_CANCELLED),
      lost: counter(meter, METRIC_RESPONSES_LOST),
      overLimit: counter(meter, METRIC_SESSIONS_OVER_LIMIT),
      dropped: counter(meter, METRIC_AUDIT_DROPPED),
      records: counter(meter, METRIC_AUDIT_RECORDS),
      sessionRequests: histogram(meter, METRIC_SESSION_REQUESTS),
    };
  }

  static async create(profile: Profile, otlpUrl: string, extraOtlpMetricsUrls: readonly string[] = []): Promise<SyntheticService> {
    return new SyntheticService(profile, otlpUrl, await freePort(), extraOtlpMetricsUrls);
  }

  private common() {
    return { [ATTR_SERVER_NAME]: SERVER, [ATTR_OBSERVER]: 'sdk' };
  }

  /** What the session's own series carry: the common attributes and the session's era. */
  private sessionAttributes() {
    return { ...this.common(), [ATTR_PROTOCOL_ERA]: this.profile.sessionEra };
  }

  /** One tick's operation counters in `era`, each profile figure times `k` (0 creates the series). */
  private operations(era: ProtocolEra, k: number): void {
    const p = this.profile;
    const c = this.c;
    const base = { ...this.common(), [ATTR_PROTOCOL_ERA]: era, [ATTR_GEN_AI_TOOL_NAME]: TOOL };
    c.tools.add(p.success * k, { ...base, [ATTR_OUTCOME]: 'success' });
    if (p.toolError) c.tools.add(p.toolError * k, { ...base, [ATTR_OUTCOME]: 'tool_error' });
    if (p.cancelledCalls) c.tools.add(p.cancelledCalls * k, { ...base, [ATTR_OUTCOME]: 'cancelled' });
    const tokenBase = { ...base, [ATTR_MCP_METHOD_NAME]: 'tools/call', [ATTR_CONTEXT_SOURCE]: 'tool_result' };
    c.tokens.add(p.meaningful * k, { ...tokenBase, [ATTR_TOKEN_DISPOSITION]: 'meaningful' });
    if (p.redundant) c.tokens.add(p.redundant * k, { ...tokenBase, [ATTR_TOKEN_DISPOSITION]: 'redundant' });
    if (p.unused) c.tokens.add(p.unused * k, { ...tokenBase, [ATTR_TOKEN_DISPOSITION]: 'unused' });
    const respBase = { ...base, [ATTR_MCP_METHOD_NAME]: 'tools/call' };
    c.expected.add(p.expected * k, respBase);
    c.cancelled.add(p.cancelledResponses * k, respBase);
    if (p.lostTimeout) c.lost.add(p.lostTimeout * k, { ...respBase, [ATTR_LOSS_CAUSE]: 'timeout' });
  }

  /**
   * Creates every series before the workload, so its increments count as
   * increases: counters at zero, and a one-record audit session, so that the
   * emitted counter and the gateway's received count both start at 1 (the
   * count connector cannot start a series at zero; starting both alike keeps
   * their increase() comparable).
   */
  warmUp(): void {
    const c = this.c;
    // Both eras' per-operation series, at zero: the same attribute sets the ticks add to.
    for (const era of ERAS) this.operations(era, 0);
    c.overLimit.add(0, this.sessionAttributes());
    c.dropped.add(0, { [ATTR_DROP_REASON]: 'export_failed' });
    this.emitAudit({ [AUDIT_FIELDS.kind]: AUDIT_KIND_VALUES.sessionEnd, [AUDIT_FIELDS.outcome]: 'success', [AUDIT_FIELDS.sessionRequests]: 0, [AUDIT_FIELDS.sessionRecords]: 1 }, EVENT_AUDIT_SESSION_END);
    this.sessionId = this.sessionIds[1];
    this.prev = GENESIS_LINK;
    this.seq = 0;
  }

  private emitAudit(fields: Record<string, string | number | boolean>, eventName: string): void {
    this.seq++;
    const record = sealRecord(
      {
        [AUDIT_FIELDS.version]: AUDIT_FORMAT_VERSION,
        [AUDIT_FIELDS.session]: this.sessionId,
        [AUDIT_FIELDS.seq]: this.seq,
        [AUDIT_FIELDS.time]: new Date().toISOString(),
        [AUDIT_FIELDS.observer]: 'sdk',
        [AUDIT_FIELDS.server]: SERVER,
        [AUDIT_FIELDS.contextValid]: true,
        ...fields,
      },
      this.prev,
    );
    this.prev = record[AUDIT_FIELDS.link] as string;
    this.emitted.push(record);
    // A payload attribute rides along (as if capture were opted in): the
    // agent's redaction must remove it without touching the record.
    this.loggerProvider.getLogger(INSTRUMENTATION_SCOPE_NAME).emit({ eventName, attributes: { ...record, [ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: '{"card":"4111 1111 1111 1111"}' } });
    this.c.records.add(1, this.common());
  }

  tick(i: number): void {
    const p = this.profile;
    const c = this.c;
    this.operations(eraOfTick(i), 1);
    if (i === 5) {
      if (p.overLimit) c.overLimit.add(p.overLimit, this.sessionAttributes());
      if (p.dropped) c.dropped.add(p.dropped, { [ATTR_DROP_REASON]: 'export_failed' });
    }
    for (let k = 0; k < p.appLogsPerTick; k++) {
      // What an app logs beside the instrumentation: it must reach the OTLP
      // backend, and must not be counted as, or archived with, audit records.
      const body = `${p.service} app log ${i}.${k}`;
      this.appLogBodies.push(body);
      this.loggerProvider.getLogger(`${p.service}-app`).emit({ severityText: 'INFO', body, attributes: { [ATTR_SERVER_NAME]: SERVER } });
    }
    for (let k = 0; k < p.auditPerTick; k++) {
      this.emitAudit({ [AUDIT_FIELDS.kind]: AUDIT_KIND_VALUES.operation, [AUDIT_FIELDS.method]: 'tools/call', [AUDIT_FIELDS.tool]: TOOL, [AUDIT_FIELDS.outcome]: k === 0 && p.toolError ? 'tool_error' : 'success' }, EVENT_AUDIT_OPERATION);
    }
  }

  /** Ends the session: histogram sample and the session_end record. */
  end(): void {
    this.c.sessionRequests.record(this.profile.sessionRequests, this.sessionAttributes());
    this.emitAudit(
      { [AUDIT_FIELDS.kind]: AUDIT_KIND_VALUES.sessionEnd, [AUDIT_FIELDS.outcome]: 'success', [AUDIT_FIELDS.sessionRequests]: this.profile.sessionRequests, [AUDIT_FIELDS.sessionRecords]: this.seq + 1 },
      EVENT_AUDIT_SESSION_END,
    );
  }

  async flush(): Promise<void> {
    await this.loggerProvider.forceFlush();
    await this.meterProvider.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.loggerProvider.shutdown();
    await this.meterProvider.shutdown();
  }
}
