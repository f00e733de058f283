/**
 * The measuring core: one per instrumentation (or proxy). It owns the
 * analyzer, the accounting queue that forceFlush() drains, the capped
 * attribute values and the series created at zero, and opens a session per
 * connected client. Sessions read it through SessionContext: it imports
 * them, they never import it.
 */
import { diag, SeverityNumber, type Attributes, type Logger, type Tracer } from '@opentelemetry/api';
import {
  ATTR_CONTEXT_SOURCE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_PROTOCOL_ERA,
  ATTR_SERVER_NAME,
  ATTR_TOKEN_DISPOSITION,
  CONTEXT_SOURCE_VALUES as SRC,
  EVENT_AUDIT_OPERATION,
  LOSS_CAUSE_VALUES,
  MCP_METHODS,
  OTHER_VALUE,
  OUTCOME_VALUES,
  TARGET_REQUESTS_PER_SESSION,
  TOKEN_DISPOSITION_VALUES,
  type Observer,
  type ProtocolEra,
} from '@mcp-conservation/semconv';
import type { ConservationOptions, SessionInfo } from '../types.js';
import { AccountingQueue } from './accounting-queue.js';
import { createAnalyzer, type Analyzer } from './analyzer.js';
import { CappedValues } from './bounded.js';
import type { Instruments } from './instruments.js';
import type { SessionDirection } from './model.js';
import type { CoreTelemetry } from './telemetry.js';
import type { TransportInfo } from './recorder.js';
import { McpSession, type SessionContext } from './session.js';


/** Distinct JSON-RPC error codes kept as metric attribute values; JSON-RPC and MCP define about a dozen. */
const MAX_ERROR_CODES = 32;

/**
 * Caps are process-wide, like the meter provider whose series they bound:
 * a host that instruments each client with options of its own (a core per
 * client) must not get a fresh allowance of distinct values per client.
 */
const caps = new Map<string, CappedValues>();
function sharedCap(kind: string, max: number, maxLength?: number): CappedValues {
  const key = `${kind}|${max}|${maxLength ?? ''}`;
  let cap = caps.get(key);
  if (!cap) caps.set(key, (cap = new CappedValues(max, OTHER_VALUE, maxLength)));
  return cap;
}

/** Distinct protocol versions kept as attribute values; MCP has a few dated revisions. */
const MAX_PROTOCOL_VERSIONS = 16;

/** The accounting backlog's default budget (see ConservationOptions.accountingBudgetBytes). */
export const DEFAULT_ACCOUNTING_BUDGET_BYTES = 4 * 1024 * 1024;

/** Distinct once-only diagnostics per process: past it, faults are counted in metrics only. */
const MAX_WARNED = 256;
/** Most scopes (server, version, era, transport) whose attribute sets are kept, shared by their sessions. */
const MAX_ATTRIBUTE_SCOPES = 256;

/** The budget from `MCP_CONSERVATION_ACCOUNTING_BUDGET`: bytes, or `unlimited`; the default when unset or unreadable. */
export function budgetFromEnv(): number {
  const raw = (process.env.MCP_CONSERVATION_ACCOUNTING_BUDGET ?? '').trim().toLowerCase();
  if (raw === 'unlimited' || raw === 'infinity') return Infinity;
  const n = Number(raw);
  return raw !== '' && n >= 0 ? n : DEFAULT_ACCOUNTING_BUDGET_BYTES;
}

/** Read once: an env var the user set for GenAI content capture. */
function captureFromEnv(): boolean {
  return (process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT ?? '').trim().toLowerCase() === 'true';
}

export class MeasuringCore implements SessionContext {
  readonly analyzer: Analyzer;
  readonly queue: AccountingQueue;
  readonly auditKey: string | undefined;
  readonly captureContent: boolean;
  readonly requestLimit: number;
  readonly accountingBudget: number;
  readonly resolveUser: ((info: SessionInfo) => string | undefined) | undefined;
  private readonly servers: CappedValues;
  private readonly names: CappedValues;
  private readonly errorCodes: CappedValues;
  private readonly protocolVersions: CappedValues;
  /** Series created at zero, per set of instruments: a new meter provider (a late global registration) gets them again. */
  private readonly initialized = new WeakMap<Instruments, Set<string>>();

  /** The instruments, and whether `key`'s zero series still have to be created on them. */
  private firstTime(key: string): Instruments | undefined {
    const inst = this.instruments();
    let done = this.initialized.get(inst);
    if (!done) this.initialized.set(inst, (done = new Set()));
    if (done.has(key)) return undefined;
    done.add(key);
    return inst;
  }

  constructor(
    private readonly telemetry: CoreTelemetry,
    readonly options: ConservationOptions,
    readonly observer: Observer,
  ) {
    this.analyzer = createAnalyzer(options);
    this.queue = new AccountingQueue(this.analyzer, (message) => this.warn(message));
    this.resolveUser = options.resolveUser;
    const key = options.auditKey ?? process.env.MCP_CONSERVATION_AUDIT_KEY;
    this.auditKey = key ? key : undefined;
    this.captureContent = options.captureContent ?? captureFromEnv();
    this.requestLimit = options.requestLimit ?? TARGET_REQUESTS_PER_SESSION.max;
    const budget = options.accountingBudgetBytes;
    this.accountingBudget = typeof budget === 'number' && budget >= 0 ? budget : budgetFromEnv();
    const max = options.maxDistinctValues ?? 200;
    this.servers = sharedCap('servers', max);
    this.names = sharedCap('names', max);
    this.errorCodes = sharedCap('error codes', MAX_ERROR_CODES, 32);
    this.protocolVersions = sharedCap('protocol versions', MAX_PROTOCOL_VERSIONS, 32);
  }

  readonly tracer = (): Tracer => this.telemetry.tracer();
  readonly instruments = (): Instruments => this.telemetry.instruments();
  readonly logger = (): Logger => this.telemetry.logger();

  /**
   * Whether anything would record a response's tokens now: live metrics, or
   * a logger that takes audit records. Asked at each response, not once:
   * NodeSDK and hosts register providers after instrumentations start.
   * When nothing would, no rendering or counting is done.
   */
  tokensRecorded(): boolean {
    if (this.telemetry.metricsRecorded()) return true;
    return this.logger().enabled?.({ eventName: EVENT_AUDIT_OPERATION, severityNumber: SeverityNumber.INFO }) !== false;
  }

  openSession(transport: TransportInfo, direction: SessionDirection = 'client'): McpSession {
    return new McpSession(this, transport, direction);
  }

  capServer(name: string | undefined): string | undefined {
    return this.servers.get(name);
  }

  /** Tool and prompt names share one cap: both are server-controlled. */
  capTool(name: string | undefined): string | undefined {
    return this.names.get(name);
  }

  /**
   * JSON-RPC error codes as metric attribute values (`error.type`,
   * `rpc.response.status_code`): the server chooses them, so their distinct
   * values are capped like names.
   */
  capErrorCode(code: string | undefined): string | undefined {
    return this.errorCodes.get(code);
  }

  /** The protocol version a server announced, as a metric attribute value: capped (a handful exist). */
  capProtocolVersion(version: string): string {
    return this.protocolVersions.get(version) as string;
  }

  warn(message: string): void {
    diag.warn(`mcp-conservation: ${message}`);
  }

  private readonly warned = new Set<string>();
  warnOnce(key: string, message: string): void {
    if (this.warned.has(key) || this.warned.size >= MAX_WARNED) return;
    this.warned.add(key);
    this.warn(message);
  }

  /** Attribute sets by scope, shared by the sessions of each (see RecorderContext.attributeScope). */
  private readonly attributeScopes = new Map<string, Map<string, Attributes>>();
  attributeScope(scope: string): Map<string, Attributes> {
    let sets = this.attributeScopes.get(scope);
    if (!sets) {
      sets = new Map();
      // Bounded: past it, a new scope's sets are built for its sessions alone.
      if (this.attributeScopes.size < MAX_ATTRIBUTE_SCOPES) this.attributeScopes.set(scope, sets);
    }
    return sets;
  }

  /** What every data point of a session carries: its server (capped), the observer and the era once known. */
  baseAttributes(serverName: string | undefined, era: ProtocolEra | undefined): Attributes {
    const server = this.capServer(serverName);
    return { ...(server ? { [ATTR_SERVER_NAME]: server } : {}), [ATTR_OBSERVER]: this.observer, ...(era ? { [ATTR_PROTOCOL_ERA]: era } : {}) };
  }

  /**
   * Creates the known series at zero, so that their first increment is
   * visible to rate(). Once per server.
   */
  zeroInit(serverName: string | undefined, era: ProtocolEra | undefined): void {
    const inst = this.firstTime(`s|${this.capServer(serverName) ?? ''}|${era ?? ''}`);
    if (!inst) return;
    const base = this.baseAttributes(serverName, era);
    inst.overLimit.add(0, base);
    inst.auditRecords.add(0, base);
    inst.dedupEvictions.add(0, base);
    for (const { method } of MCP_METHODS) {
      const m = { ...base, [ATTR_MCP_METHOD_NAME]: method };
      inst.expected.add(0, m);
      inst.cancelled.add(0, m);
      for (const cause of Object.values(LOSS_CAUSE_VALUES)) inst.lost.add(0, { ...m, [ATTR_LOSS_CAUSE]: cause });
    }
    for (const { source, method } of MCP_METHODS) {
      inst.estimatedTokens.add(0, { ...base, [ATTR_MCP_METHOD_NAME]: method, [ATTR_CONTEXT_SOURCE]: source });
      for (const d of Object.values(TOKEN_DISPOSITION_VALUES)) {
        inst.tokens.add(0, { ...base, [ATTR_MCP_METHOD_NAME]: method, [ATTR_CONTEXT_SOURCE]: source, [ATTR_TOKEN_DISPOSITION]: d });
      }
    }
  }

  /** Series of one tool at zero, once per server and tool. */
  zeroInitTool(serverName: string | undefined, era: ProtocolEra | undefined, toolName: string): void {
    const tool = this.capTool(toolName);
    const inst = this.firstTime(`t|${this.capServer(serverName) ?? ''}|${era ?? ''}|${tool}`);
    if (!inst) return;
    const base = { ...this.baseAttributes(serverName, era), [ATTR_GEN_AI_TOOL_NAME]: tool };
    for (const outcome of Object.values(OUTCOME_VALUES)) inst.toolCalls.add(0, { ...base, [ATTR_OUTCOME]: outcome });
    const call = { ...base, [ATTR_MCP_METHOD_NAME]: 'tools/call' };
    inst.expected.add(0, call);
    inst.cancelled.add(0, call);
    for (const cause of Object.values(LOSS_CAUSE_VALUES)) inst.lost.add(0, { ...call, [ATTR_LOSS_CAUSE]: cause });
    for (const d of Object.values(TOKEN_DISPOSITION_VALUES)) {
      inst.tokens.add(0, { ...call, [ATTR_CONTEXT_SOURCE]: SRC.toolResult, [ATTR_TOKEN_DISPOSITION]: d });
      inst.tokens.add(0, { ...base, [ATTR_MCP_METHOD_NAME]: 'tools/list', [ATTR_CONTEXT_SOURCE]: SRC.toolDefinition, [ATTR_TOKEN_DISPOSITION]: d });
    }
  }

  /** Waits until every pending count and audit record is done. */
  forceFlush(): Promise<void> {
    return this.queue.drain();
  }

  /** Flushes. The analyzer is shared with other cores and stays: its worker never keeps the process alive. */
  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}
