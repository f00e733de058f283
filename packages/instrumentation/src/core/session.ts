/**
 * One observed MCP session: from connect to close. It sees JSON-RPC
 * messages in both directions, pairs requests with responses, decides each
 * operation's outcome and loss from wire facts, and accounts tokens,
 * metrics, spans and audit records. Nothing here outlives the session.
 */
import { randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import {
  ATTR_CONTEXT_SOURCE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_NAME,
  ATTR_SERVER_PORT,
  ATTR_TOKEN_DISPOSITION,
  CONTEXT_SOURCE_VALUES as SRC,
  ERROR_TYPE_TOOL_ERROR,
  EVENT_AUDIT_OPERATION,
  EVENT_AUDIT_SESSION_END,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  LOSS_CAUSE_VALUES as CAUSE,
  OBSERVER_VALUES,
  OUTCOME_VALUES as OUT,
  VOLUME_EXCLUDED_METHODS,
  spanName,
  type LossCause,
  type Outcome,
  type TokenDisposition,
} from '@mcp-conservation/semconv';
import { AUDIT_FIELDS as F, AUDIT_KIND_VALUES, canonicalJson, digest } from '@mcp-conservation/semconv/audit';
import { renderedJob, type Analysis, type AnalyzedBlock } from './analysis.js';
import { AuditWriter } from './audit-writer.js';
import { DigestSet, Tombstones } from './bounded.js';
import type { ObserverRuntime, TransportInfo } from './runtime.js';

type Msg = Record<string, unknown>;

interface Pending {
  readonly id: string;
  readonly method: string;
  readonly tool: string | undefined;
  readonly prompt: string | undefined;
  readonly uri: string | undefined;
  readonly fresh: boolean;
  readonly startPerf: number;
  readonly span: Span;
  /** Kept only with an audit key, for the payload digest. */
  readonly params: unknown;
  /** The MCP session id when the request was sent (a transport forgets it on termination). */
  readonly mcpSessionId: string | undefined;
  /**
   * Set when an unparseable message arrived while this was the one request
   * pending: it was most likely the response, lost as `unparseable` if no
   * answer comes (a server's stray stdout line is followed by the answer).
   */
  unparseable?: string;
}

interface Decision {
  readonly outcome: Outcome;
  /** A loss decided now (counted at once). */
  readonly lostNow?: LossCause;
  /** The cause written in the audit record (may differ: a timeout's loss is decided later). */
  readonly auditCause?: LossCause;
  readonly errorType?: string;
  readonly statusCode?: string;
  readonly statusMessage?: string;
  readonly contextValid: boolean;
}

interface Tombstone {
  readonly pending: Pending;
  /** timeout: a loss decided when the response arrives late or never; cancelled: no loss; decided: already counted. */
  readonly kind: 'timeout' | 'cancelled' | 'decided';
  readonly outcome: Outcome;
}

/** The SDK client's validation of one callTool result (bound by request id). */
interface Validation {
  settled: boolean;
  /** Watchers (the SDK's request and its callTool) yet to settle. */
  watchers: number;
  invalidReason?: string;
}

/** What the SDK client's promise for a request said when it settled. */
export interface Settled {
  /** The SDK rejected the result: its own result schema, or a tool's output schema. */
  readonly invalidReason?: string;
  /** The SDK gave up on the request (a timeout), possibly without telling the server. */
  readonly timedOut?: string;
}

/**
 * One piece of accounting, run in the session's order. It runs once it is
 * ready (its analysis is back) and the observer's tick (a macrotask, see
 * ConservationObserver.needTick) has passed since it was queued: by then the
 * SDK's own handling of the response (output-schema validation included) is
 * over and the caller has its result, so the accounting happens off the
 * caller's path. A long backlog is drained without waiting for the tick
 * (see pump).
 */
interface Work {
  readonly tick: number;
  ready: boolean;
  readonly pending?: Pending;
  /** Set on a tools/call arrival whose callTool is watched. */
  readonly validation?: Validation;
  invalidReason?: string;
  run(): void;
}

/** Distinct used keys a session notes beyond its listed definitions (see markUsed). */
const MAX_USED = 4096;

/** Past this many queued items, a session drains what it can at each arrival. */
const MAX_BACKLOG = 64;
/** Accounting runs in slices of about this long, then yields to the event loop. */
const SLICE_MS = 0.25;

interface Definition {
  readonly source: string;
  readonly method: string;
  readonly key: string;
  readonly digest: string;
  readonly tokens: number;
}

const DEFINITION_LISTS: Record<string, { source: string; use: string }> = {
  'tools/list': { source: SRC.toolDefinition, use: 'tools/call' },
  'prompts/list': { source: SRC.promptDefinition, use: 'prompts/get' },
  'resources/list': { source: SRC.resourceDefinition, use: 'resources/read' },
};

/** Where a method's result goes in the context: the source of its binary content. */
const RESULT_SOURCE: Record<string, string> = {
  'tools/call': SRC.toolResult,
  'resources/read': SRC.resourceContent,
  'prompts/get': SRC.promptMessages,
};

const ANALYZED_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get', 'tools/list', 'prompts/list', 'resources/list']);

function isObject(v: unknown): v is Msg {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A timeout, as the SDK and most hosts word it in `notifications/cancelled`. */
function isTimeoutReason(reason: unknown): boolean {
  return typeof reason === 'string' && (/-32001\b/.test(reason) || /timed?\s*out/i.test(reason));
}

function isParseError(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'SyntaxError' || name === 'ZodError' || /pars|JSON|invalid_union|invalid_type/i.test(String((error as Error)?.message ?? ''));
}

export class McpSession {
  readonly sessionId = randomUUID();
  private readonly startPerf = performance.now();
  private readonly pending = new Map<string, Pending>();
  private readonly tombstones: Tombstones<Tombstone>;
  private readonly digests: DigestSet;
  private readonly work: Work[] = [];
  private workHead = 0;
  private pumping = false;
  private readonly validations = new Map<string, Validation>();
  /** Requests sent so far, and the last one: binds a watched callTool to its request. */
  private sent = 0;
  private lastSent: Pending | undefined;
  private readonly definitions = new Map<string, Definition>();
  private readonly used = new Set<string>();
  /** The listing in progress per definition source: the keys of its pages so far. */
  private readonly listings = new Map<string, { readonly fromFirstPage: boolean; readonly keys: Set<string> }>();
  private readonly audit: AuditWriter;
  private sweepTimer: NodeJS.Timeout | undefined;
  private requests = 0;
  private closed = false;
  private serverName: string | undefined;
  private protocolVersion: string | undefined;
  private user: string | undefined;
  private readonly totals = { meaningful: 0, redundant: 0, unused: 0, lost: 0 };
  private reportedEvictions = 0;

  constructor(
    private readonly rt: ObserverRuntime,
    private readonly transport: TransportInfo,
  ) {
    const o = rt.options;
    this.tombstones = new Tombstones(o.maxTombstones ?? 1000, o.lateWindowMs ?? 60_000);
    this.digests = new DigestSet(o.maxDigests ?? 4096);
    this.audit = new AuditWriter({
      logger: rt.logger,
      key: rt.auditKey,
      sessionId: this.sessionId,
      observer: rt.observer,
      onEmit: () => rt.instruments().auditRecords.add(1, this.baseAttrs()),
    });
    if (o.userFromBaggage) this.user = propagation.getBaggage(context.active())?.getEntry('enduser.id')?.value;
  }

  /** True once the session's transport closed: nothing more is observed in it. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The server's name, when known before initialize (an already connected client). */
  setServerName(name: string | undefined): void {
    if (name) this.serverName = name;
  }

  // --- Attributes -----------------------------------------------------------

  // Attribute sets are built once per server and kind of data point, and
  // reused: metric calls with the same object skip rebuilding (and SumCounter
  // finds its series by identity).
  private attrsFor: 'built' | undefined;
  private base: Attributes = {};
  private readonly attrCache = new Map<string, Attributes>();

  private attrsServer: string | undefined;
  private attrsProtocol: string | undefined;

  private baseAttrs(): Attributes {
    if (this.attrsFor === undefined || this.attrsServer !== this.serverName || this.attrsProtocol !== this.protocolVersion) {
      this.attrsFor = 'built';
      this.attrsServer = this.serverName;
      this.attrsProtocol = this.protocolVersion;
      this.attrCache.clear();
      const server = this.rt.capServer(this.serverName);
      this.base = { ...(server ? { [ATTR_SERVER_NAME]: server } : {}), [ATTR_OBSERVER]: this.rt.observer };
    }
    return this.base;
  }

  /** What every span of the session carries: transport and server. */
  private spanBase(): Attributes {
    return this.cached('span', () => ({ ...this.networkAttrs(), ...this.base }));
  }

  /** The cached attribute set under `key`, built once. Bounded: its parts are few or capped. */
  private cached(key: string, build: () => Attributes): Attributes {
    this.baseAttrs();
    let attrs = this.attrCache.get(key);
    if (!attrs) {
      attrs = build();
      if (this.attrCache.size < 1024) this.attrCache.set(key, attrs);
    }
    return attrs;
  }

  private opAttrs(p: Pending): Attributes {
    return this.cached(`op\u0000${p.method}\u0000${p.tool ?? ''}`, () => {
      const tool = this.rt.capTool(p.tool);
      return { ...this.base, [ATTR_MCP_METHOD_NAME]: p.method, ...(tool ? { [ATTR_GEN_AI_TOOL_NAME]: tool } : {}) };
    });
  }

  private networkAttrs(): Attributes {
    const t = this.transport;
    return {
      [ATTR_NETWORK_TRANSPORT]: t.networkTransport,
      ...(t.serverAddress ? { [ATTR_SERVER_ADDRESS]: t.serverAddress } : {}),
      ...(t.serverPort ? { [ATTR_SERVER_PORT]: t.serverPort } : {}),
      ...(this.protocolVersion ? { [ATTR_MCP_PROTOCOL_VERSION]: this.protocolVersion } : {}),
    };
  }

  // --- Outgoing ---------------------------------------------------------------

  /** Observes a message the client sends; returns the message to send (a request gains trace context in `_meta`). */
  outgoing(message: unknown): unknown {
    if (this.closed || !isObject(message) || typeof message.method !== 'string') return message;
    if (message.id !== undefined && message.id !== null) return this.request(message, message.method);
    if (message.method === 'notifications/cancelled') this.cancelled(message.params);
    return message;
  }

  private request(message: Msg, method: string): Msg {
    // A transport that sends a request again (the SDK's HTTP transport after
    // an OAuth refresh) passes it through send() twice: it is the same
    // request, already observed and already carrying its trace context.
    if (this.pending.has(String(message.id))) return message;
    const params = isObject(message.params) ? message.params : undefined;
    const name = typeof params?.name === 'string' ? params.name : undefined;
    const tool = method === 'tools/call' ? name : undefined;
    const prompt = method === 'prompts/get' ? name : undefined;
    const uri = typeof params?.uri === 'string' ? params.uri : undefined;
    const id = String(message.id);
    const mcpSessionId = this.currentMcpSessionId();
    // Assigned one by one: this runs on the caller's path, before the request leaves.
    const attributes: Attributes = { ...this.spanBase() };
    attributes[ATTR_MCP_METHOD_NAME] = method;
    attributes[ATTR_JSONRPC_REQUEST_ID] = id;
    if (tool !== undefined) {
      attributes[ATTR_GEN_AI_TOOL_NAME] = tool;
      attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_EXECUTE_TOOL;
    }
    if (prompt !== undefined) attributes[ATTR_GEN_AI_PROMPT_NAME] = prompt;
    if (uri !== undefined && method.startsWith('resources/')) attributes[ATTR_MCP_RESOURCE_URI] = uri;
    if (mcpSessionId) attributes[ATTR_MCP_SESSION_ID] = mcpSessionId;
    if (tool !== undefined && this.rt.captureContent && params?.arguments !== undefined) {
      attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = JSON.stringify(params.arguments);
    }
    const parent = context.active();
    const span = this.rt.tracer().startSpan(spanName(method, this.rt.capTool(tool ?? prompt)), { kind: SpanKind.CLIENT, attributes }, parent);
    const pending: Pending = {
      id,
      method,
      tool,
      prompt,
      uri,
      fresh: params?.cursor === undefined,
      startPerf: performance.now(),
      span,
      params: this.rt.auditKey !== undefined ? (params ?? null) : undefined,
      mcpSessionId,
    };
    this.pending.set(id, pending);
    this.sent++;
    this.lastSent = pending;
    if (tool !== undefined) this.markUsed(`${SRC.toolDefinition}|${tool}`);
    if (prompt !== undefined) this.markUsed(`${SRC.promptDefinition}|${prompt}`);
    if (uri !== undefined && method === 'resources/read') this.markUsed(`${SRC.resourceDefinition}|${uri}`);
    if (!VOLUME_EXCLUDED_METHODS.includes(method)) {
      this.requests++;
      if (this.requests === this.rt.requestLimit + 1) this.rt.instruments().overLimit.add(1, this.baseAttrs());
    }
    return this.inject(message, params, trace.setSpan(parent, span));
  }

  /**
   * Notes a definition as used. Past MAX_USED distinct keys only listed
   * definitions are noted: a long session reading thousands of distinct
   * URIs must not grow without bound (a key read before its listing is then
   * missed, and that definition counted unused).
   */
  private markUsed(key: string): void {
    if (this.used.size < MAX_USED || this.definitions.has(key)) this.used.add(key);
  }

  private inject(message: Msg, params: Msg | undefined, ctx: Context): Msg {
    const carrier: Record<string, string> = {};
    propagation.inject(ctx, carrier);
    if (!this.rt.options.propagateBaggage) delete carrier.baggage;
    if (Object.keys(carrier).length === 0) return message;
    const meta = isObject(params?._meta) ? params._meta : {};
    // A copy: the caller's params object is never changed.
    return { ...message, params: { ...(params ?? {}), _meta: { ...meta, ...carrier } } };
  }

  private cancelled(params: unknown): void {
    if (!isObject(params)) return;
    const p = this.pending.get(String(params.requestId));
    if (p) this.gaveUp(p, params.reason);
  }

  /** The caller gave up on a request: a timeout (its own outcome, a loss decided later) or a cancellation. */
  private gaveUp(p: Pending, reason: unknown): void {
    this.pending.delete(p.id);
    const now = performance.now();
    if (p.unparseable !== undefined && isTimeoutReason(reason)) {
      // The caller waited in vain for a response that came unparseable.
      this.lostUnparseable(p, now);
    } else if (isTimeoutReason(reason)) {
      this.bury(p, 'timeout', OUT.timeout, now);
      this.finish(p, now, { outcome: OUT.timeout, auditCause: CAUSE.timeout, errorType: 'timeout', statusMessage: String(reason), contextValid: false });
    } else {
      this.bury(p, 'cancelled', OUT.cancelled, now);
      this.finish(p, now, { outcome: OUT.cancelled, errorType: 'cancelled', statusMessage: String(reason ?? 'cancelled'), contextValid: false });
    }
  }

  /** The transport failed to send a message. */
  sendFailed(message: unknown, error: unknown): void {
    if (this.closed || !isObject(message) || message.id === undefined) return;
    const id = String(message.id);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.finish(p, performance.now(), {
      outcome: OUT.transportError,
      lostNow: CAUSE.transportClosed,
      auditCause: CAUSE.transportClosed,
      errorType: 'transport_error',
      statusMessage: String((error as Error)?.message ?? error),
      contextValid: false,
    });
  }

  // --- Incoming ---------------------------------------------------------------

  /** Observes a message the client receives. `wireBytes` when the observer saw raw bytes. */
  incoming(message: unknown, wireBytes?: number): void {
    if (this.closed || !isObject(message)) return;
    if (message.method !== undefined || message.id === undefined || message.id === null) return;
    if (!('result' in message) && !('error' in message)) return;
    const id = this.responseId(message.id);
    const now = performance.now();
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      this.arrived(p, message, now, wireBytes);
      return;
    }
    const tomb = this.tombstones.take(id);
    if (tomb) this.late(tomb, message, wireBytes);
  }

  /**
   * The request id a response answers. The SDK client matches responses
   * by `Number(id)`: a server answering request 5 with id "05" still
   * reaches its caller, so the SDK observer pairs the same way. The proxy
   * relays for hosts that match ids exactly, and does too.
   */
  private responseId(raw: unknown): string {
    const id = String(raw);
    if (this.pending.has(id) || typeof raw !== 'string' || this.rt.observer !== OBSERVER_VALUES.sdk) return id;
    const n = Number(raw);
    return Number.isInteger(n) ? String(n) : id;
  }

  /** Starts the analysis of a response when it is rendered; calls `done` (later) with it, or returns false. */
  private analyze(method: string, message: Msg, wireBytes: number | undefined, done: (a: Analysis) => void): boolean {
    if (!('result' in message) || this.rt.options.tokens === false) return false;
    // Only rendered methods are analyzed, whoever observes: the SDK patch and the proxy count the same.
    if (!ANALYZED_METHODS.has(method)) return false;
    const rendered = this.rt.options.renderer === undefined ? renderedJob(method, message, wireBytes) : undefined;
    this.rt.analyzer.analyze(rendered ?? { method, message, ...(wireBytes !== undefined ? { wireBytes } : {}) }, done);
    return true;
  }

  private arrived(p: Pending, message: Msg, now: number, wireBytes?: number): void {
    if (p.method === 'initialize' && isObject(message.result)) {
      const info = message.result.serverInfo;
      if (isObject(info) && typeof info.name === 'string') this.serverName = info.name;
      // Server-controlled, and a metric attribute: capped like names (the SDK rejects unknown versions only after this).
      if (typeof message.result.protocolVersion === 'string') this.protocolVersion = this.rt.capProtocolVersion(message.result.protocolVersion);
      this.rt.zeroInit(this.serverName);
    }
    const validation = this.validations.get(p.id);
    let analysis: Analysis | undefined;
    const work: Work = {
      tick: this.rt.tick,
      ready: true,
      pending: p,
      ...(validation ? { validation } : {}),
      run: () => this.account(p, now, message, analysis, validation?.invalidReason ?? work.invalidReason),
    };
    this.queueAnalyzed(work, p.method, message, wireBytes, (a) => (analysis = a));
    if (this.work.length - this.workHead > MAX_BACKLOG) {
      // The host has not yielded for a while (a tight loop over an in-memory
      // transport): account what is ready now rather than hold it all.
      this.rt.analyzer.poll();
      this.pump(true);
    }
  }

  /** Queues work that becomes ready when the response's analysis (if it has one) is back. */
  private queueAnalyzed(work: Work, method: string, message: Msg, wireBytes: number | undefined, keep: (a: Analysis) => void): void {
    const analyzing = this.analyze(method, message, wireBytes, (a) => {
      keep(a);
      work.ready = true;
      this.pump();
    });
    if (analyzing) work.ready = false;
    this.push(work);
  }

  /**
   * Binds a request the SDK client is running (its `request`, or a
   * `callTool`, which runs one) to the request it just sent, so that what
   * the SDK decides above the transport is known before the outcome is:
   * a result its schema rejects, or a timeout it does not announce (its
   * `maxTotalTimeout` sends no cancellation). `sentBefore` is the request
   * count read before the call; `tool`, for a callTool, must match.
   * Returns the function to call when the SDK's promise settles, or
   * undefined when the call did not send exactly one matching request.
   */
  bindRequest(sentBefore: number, tool?: string): ((settled: Settled) => void) | undefined {
    const p = this.lastSent;
    if (this.sent !== sentBefore + 1 || !p || !this.pending.has(p.id)) return undefined;
    if (tool !== undefined && (p.method !== 'tools/call' || p.tool !== tool)) return undefined;
    let validation = this.validations.get(p.id);
    if (!validation) {
      validation = { settled: false, watchers: 0 };
      this.validations.set(p.id, validation);
    }
    validation.watchers++;
    const v = validation;
    return ({ invalidReason, timedOut }) => {
      if (invalidReason !== undefined) v.invalidReason ??= invalidReason;
      if (timedOut !== undefined && this.pending.get(p.id) === p) this.gaveUp(p, timedOut);
      if (--v.watchers === 0) {
        v.settled = true;
        if (this.validations.get(p.id) === v) this.validations.delete(p.id);
      }
      if (this.work.length > this.workHead) this.pump();
    };
  }

  /** Requests sent so far (read before a request or callTool, for bindRequest). */
  get requestsSent(): number {
    return this.sent;
  }

  /** SDK-level output-schema validation rejected the latest result of this tool (an unbound callTool). */
  invalidResult(tool: string, reason: string): void {
    // The latest arrival of the tool is the one its caller just validated; a second report (two hooks) changes nothing.
    for (let i = this.work.length - 1; i >= this.workHead; i--) {
      const w = this.work[i] as Work;
      if (w.pending?.method === 'tools/call' && w.pending.tool === tool && !w.validation) {
        w.invalidReason ??= reason;
        return;
      }
    }
  }

  /**
   * A transport-level error. A parse error while exactly one request is
   * pending most likely carried its response; it is lost as `unparseable`
   * when the request ends without an answer (a timeout or the transport's
   * close). If its answer comes after all, the unparseable message was
   * something else, a stray line on a stdio server's stdout, and nothing is
   * lost.
   */
  transportError(error: unknown): void {
    if (this.closed || !isParseError(error)) return;
    const message = String((error as Error)?.message ?? error).slice(0, 500);
    if (this.pending.size !== 1) {
      this.rt.warn(`unparseable message with ${this.pending.size} requests pending; not attributed: ${message.slice(0, 200)}`);
      return;
    }
    const p = this.pending.values().next().value as Pending;
    p.unparseable ??= message;
  }

  /** A request whose response most likely came unparseable ended without one. */
  private lostUnparseable(p: Pending, now: number): void {
    this.bury(p, 'decided', OUT.protocolError, now);
    this.finish(p, now, {
      outcome: OUT.protocolError,
      lostNow: CAUSE.unparseable,
      auditCause: CAUSE.unparseable,
      errorType: 'unparseable',
      statusMessage: p.unparseable,
      contextValid: false,
    });
  }

  private late(tomb: Tombstone, message: Msg, wireBytes?: number): void {
    const p = tomb.pending;
    let analysis: Analysis | undefined;
    const work: Work = {
      tick: this.rt.tick,
      ready: true,
      run: () => {
        const tokens = (analysis?.blocks ?? []).reduce((n, b) => n + b.tokens, 0);
        const attrs = { ...this.opAttrs(p), [ATTR_LOSS_CAUSE]: CAUSE.late };
        if (tokens) this.rt.instruments().lostTokens.add(tokens, attrs);
        this.totals.lost += tokens;
        // A late answer to a timed-out request is its loss; after a cancellation, nobody was waiting.
        if (tomb.kind === 'timeout') this.rt.instruments().lost.add(1, attrs);
        this.writeOperation(p, performance.now(), tomb.outcome, CAUSE.late, false, { meaningful: 0, redundant: 0, unused: 0, lost: tokens }, undefined, undefined);
      },
    };
    this.queueAnalyzed(work, p.method, message, wireBytes, (a) => (analysis = a));
  }

  // --- Tombstones ---------------------------------------------------------------

  private bury(p: Pending, kind: Tombstone['kind'], outcome: Outcome, now: number): void {
    const evicted = this.tombstones.add(p.id, { pending: p, kind, outcome }, now);
    if (evicted) this.expired(evicted);
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    if (this.sweepTimer || this.tombstones.size === 0) return;
    const next = this.tombstones.nextExpiry() ?? performance.now();
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      try {
        for (const t of this.tombstones.expire(performance.now())) this.expired(t);
        this.scheduleSweep();
      } catch (error) {
        this.rt.warn(`tombstone sweep failed: ${String(error)}`);
      }
    }, Math.max(0, next - performance.now()) + 1);
    this.sweepTimer.unref();
  }

  /** No response came within the late window: a timeout's loss is decided now. */
  private expired(t: Tombstone): void {
    if (t.kind === 'timeout') this.rt.instruments().lost.add(1, { ...this.opAttrs(t.pending), [ATTR_LOSS_CAUSE]: CAUSE.timeout });
  }

  // --- Accounting -----------------------------------------------------------------

  private push(work: Work): void {
    this.work.push(work);
    this.rt.busy(this);
    this.rt.needTick(this);
  }

  /** Queues accounting that needs nothing more than its turn. */
  private enqueue(run: () => void): void {
    this.push({ tick: this.rt.tick, ready: true, run });
  }

  /**
   * Runs the queued accounting that may run now, in order. `drain` lets
   * items run before their tick has passed (a long backlog, or a flush),
   * once the SDK has settled their callTool if it was watched.
   */
  pump(drain = false): void {
    if (this.pumping) return;
    this.pumping = true;
    // A slice at a time: a batch of results must not hold the event loop
    // while a response waits to be read.
    const until = drain ? Infinity : performance.now() + SLICE_MS;
    try {
      while (this.workHead < this.work.length) {
        const w = this.work[this.workHead] as Work;
        if (!w.ready) break;
        if ((w.tick >= this.rt.tick && !(drain && (w.validation?.settled ?? true))) || performance.now() > until) {
          this.rt.needTick(this);
          break;
        }
        this.work[this.workHead++] = undefined as unknown as Work;
        try {
          w.run();
        } catch (error) {
          this.rt.warn(`accounting failed: ${String(error)}`);
        }
      }
      if (this.workHead === this.work.length) {
        this.work.length = 0;
        this.workHead = 0;
        this.rt.idle(this);
      } else if (this.workHead > 1024 && this.workHead * 2 > this.work.length) {
        this.work.splice(0, this.workHead);
        this.workHead = 0;
      }
    } finally {
      this.pumping = false;
    }
  }

  private finish(p: Pending, now: number, d: Decision): void {
    this.enqueue(() => this.record(p, now, d, { meaningful: 0, redundant: 0, unused: 0, lost: 0 }, undefined));
  }

  /** Decides and records the outcome of a response that arrived. */
  private account(p: Pending, now: number, message: Msg, analysis: Analysis | undefined, invalidReason: string | undefined): void {
    const error = isObject(message.error) ? message.error : undefined;
    const result = isObject(message.result) ? message.result : undefined;
    const tokens = { meaningful: 0, redundant: 0, unused: 0, lost: 0 };
    let d: Decision;
    if (error) {
      const code = String(error.code ?? '');
      d = { outcome: OUT.protocolError, errorType: code || 'protocol_error', statusCode: code, statusMessage: String(error.message ?? ''), contextValid: true };
    } else if (invalidReason !== undefined) {
      d = { outcome: OUT.invalidResult, lostNow: CAUSE.invalid, auditCause: CAUSE.invalid, errorType: 'invalid_result', statusMessage: invalidReason, contextValid: false };
    } else if (p.method === 'tools/call' && result?.isError === true) {
      d = { outcome: OUT.toolError, errorType: ERROR_TYPE_TOOL_ERROR, contextValid: true };
    } else {
      d = { outcome: OUT.success, contextValid: true };
    }
    if (analysis && result) {
      const truncated = this.dispose(p, analysis, d.outcome === OUT.invalidResult ? CAUSE.invalid : undefined, tokens, typeof result.nextCursor !== 'string');
      if (truncated && d.outcome !== OUT.invalidResult) {
        d = { ...d, lostNow: CAUSE.truncated, auditCause: CAUSE.truncated, contextValid: false };
      }
      const overhead = analysis.wireBytes - analysis.renderBytes;
      if (overhead > 0) this.rt.instruments().wireOverhead.add(overhead, this.opAttrs(p));
    }
    if (this.rt.captureContent && p.method === 'tools/call' && result && d.outcome !== OUT.invalidResult) {
      p.span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, JSON.stringify(result));
    }
    this.record(p, now, d, tokens, message);
  }

  /**
   * Gives each rendered block its disposition. Returns true when the host
   * limit truncated the response (blocks past the limit are lost tokens).
   */
  private dispose(p: Pending, analysis: Analysis, lostCause: LossCause | undefined, tokens: typeof this.totals, lastPage: boolean): boolean {
    const inst = this.rt.instruments();
    const base = this.opAttrs(p);
    if (analysis.binaryBytes > 0) inst.binaryBytes.add(analysis.binaryBytes, { ...base, [ATTR_CONTEXT_SOURCE]: RESULT_SOURCE[p.method] ?? SRC.other });
    const list = DEFINITION_LISTS[p.method];
    if (list && !lostCause) {
      this.listed(p, list.source, analysis.blocks, tokens, lastPage);
      return false;
    }
    const limit = this.rt.options.maxResultTokens;
    let delivered = 0;
    let truncated = false;
    // Summed per disposition and source, then added once each: a result of a
    // million blocks must not cost a million metric calls.
    const sums = new Map<string, { disposition: TokenDisposition; source: string; tokens: number }>();
    const add = (disposition: TokenDisposition, source: string, n: number) => {
      const key = `${disposition}\u0000${source}`;
      const sum = sums.get(key);
      if (sum) sum.tokens += n;
      else sums.set(key, { disposition, source, tokens: n });
    };
    let lost = 0;
    for (const b of analysis.blocks) {
      if (lostCause) {
        lost += b.tokens;
        continue;
      }
      if (limit !== undefined && delivered + b.tokens > limit) {
        // The host keeps the first tokens up to its limit: the part past it is lost.
        truncated = true;
        const kept = Math.max(0, limit - delivered);
        delivered += kept;
        lost += b.tokens - kept;
        // The part kept repeats content only if the whole block was delivered before; it is not the block, so its digest is not added.
        if (kept > 0) add(b.secondRepresentation || this.digests.has(b.digest) ? 'redundant' : 'meaningful', b.source, kept);
        continue;
      }
      delivered += b.tokens;
      const repeated = this.digests.seenBefore(b.digest);
      add(b.secondRepresentation || repeated ? 'redundant' : 'meaningful', b.source, b.tokens);
    }
    for (const sum of sums.values()) this.countTokens(sum.disposition, sum, base, tokens);
    if (lost > 0) {
      tokens.lost += lost;
      inst.lostTokens.add(lost, { ...base, [ATTR_LOSS_CAUSE]: lostCause ?? CAUSE.truncated });
    }
    this.reportEvictions();
    this.totals.lost += tokens.lost;
    return truncated;
  }

  private countTokens(disposition: TokenDisposition, b: { source: string; tokens: number }, attrs: Attributes, tokens: typeof this.totals): void {
    tokens[disposition] += b.tokens;
    this.totals[disposition] += b.tokens;
    if (!b.tokens) return;
    const key = `tokens\u0000${String(attrs[ATTR_MCP_METHOD_NAME])}\u0000${String(attrs[ATTR_GEN_AI_TOOL_NAME] ?? '')}\u0000${disposition}\u0000${b.source}`;
    this.rt.instruments().tokens.add(b.tokens, this.cached(key, () => ({ ...attrs, [ATTR_TOKEN_DISPOSITION]: disposition, [ATTR_CONTEXT_SOURCE]: b.source })));
  }

  private reportEvictions(): void {
    const n = this.digests.evictions - this.reportedEvictions;
    if (n > 0) {
      this.rt.instruments().dedupEvictions.add(n, this.baseAttrs());
      this.reportedEvictions = this.digests.evictions;
    }
  }

  /**
   * Definitions from one page of a listing: repeats are redundant now; the
   * rest wait until use is known. A listing from its first page (no cursor)
   * to its last (no nextCursor) supersedes the definitions it no longer
   * carries, once its last page is in: a definition on a later page is
   * still current while the first pages come.
   */
  private listed(p: Pending, source: string, blocks: readonly AnalyzedBlock[], tokens: typeof this.totals, lastPage: boolean): void {
    let listing = this.listings.get(source);
    if (p.fresh || !listing) {
      listing = { fromFirstPage: p.fresh, keys: new Set() };
      this.listings.set(source, listing);
    }
    for (const b of blocks) {
      if (b.key === undefined) continue;
      const key = `${source}|${b.key}`;
      listing.keys.add(key);
      if (this.digests.seenBefore(b.digest)) {
        this.countTokens('redundant', b, this.defAttrs(p.method, source, b.key), tokens);
        continue;
      }
      const previous = this.definitions.get(key);
      if (previous) this.decide(previous);
      this.definitions.set(key, { source, method: p.method, key: b.key, digest: b.digest, tokens: b.tokens });
      if (source === SRC.toolDefinition) this.rt.zeroInitTool(this.serverName, b.key);
    }
    if (lastPage) {
      this.listings.delete(source);
      if (listing.fromFirstPage) {
        for (const [key, def] of this.definitions) {
          if (def.source === source && !listing.keys.has(key)) this.decide(def);
        }
      }
    }
    this.reportEvictions();
  }

  private defAttrs(method: string, source: string, key: string): Attributes {
    const tool = source === SRC.toolDefinition ? this.rt.capTool(key) : undefined;
    return { ...this.baseAttrs(), [ATTR_MCP_METHOD_NAME]: method, ...(tool ? { [ATTR_GEN_AI_TOOL_NAME]: tool } : {}) };
  }

  private decide(def: Definition): void {
    const key = `${def.source}|${def.key}`;
    if (this.definitions.get(key) !== def) return;
    this.definitions.delete(key);
    const disposition: TokenDisposition = this.used.has(key) ? 'meaningful' : 'unused';
    this.countTokens(disposition, def, this.defAttrs(def.method, def.source, def.key), { meaningful: 0, redundant: 0, unused: 0, lost: 0 });
  }

  /** Metrics, span end and audit record of one decided operation. */
  private record(p: Pending, now: number, d: Decision, tokens: typeof this.totals, message: Msg | undefined): void {
    const inst = this.rt.instruments();
    const attrs = this.opAttrs(p);
    if (d.outcome === OUT.cancelled) inst.cancelled.add(1, attrs);
    inst.expected.add(1, attrs);
    if (d.lostNow) inst.lost.add(1, { ...attrs, [ATTR_LOSS_CAUSE]: d.lostNow });
    if (p.method === 'tools/call') {
      const callAttrs = this.cached(`call\u0000${p.tool ?? ''}\u0000${d.outcome}`, () => ({
        ...this.base,
        ...(attrs[ATTR_GEN_AI_TOOL_NAME] ? { [ATTR_GEN_AI_TOOL_NAME]: attrs[ATTR_GEN_AI_TOOL_NAME] } : {}),
        [ATTR_OUTCOME]: d.outcome,
      }));
      inst.toolCalls.add(1, callAttrs);
    }
    const failed = d.errorType !== undefined;
    // Server-chosen error codes are capped on metrics; spans and audit records keep them as they came.
    const errorType = d.statusCode !== undefined && d.errorType === d.statusCode ? this.rt.capErrorCode(d.errorType) : d.errorType;
    const statusCode = this.rt.capErrorCode(d.statusCode);
    const durationAttrs = this.cached(`duration\u0000${p.method}\u0000${p.tool ?? ''}\u0000${p.prompt ?? ''}\u0000${errorType ?? ''}\u0000${statusCode ?? ''}`, () => ({
      ...attrs,
      ...this.networkAttrs(),
      ...(p.method === 'tools/call' ? { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL } : {}),
      ...(p.prompt ? { [ATTR_GEN_AI_PROMPT_NAME]: this.rt.capTool(p.prompt) } : {}),
      ...(failed ? { [ATTR_ERROR_TYPE]: errorType } : {}),
      ...(statusCode ? { [ATTR_RPC_RESPONSE_STATUS_CODE]: statusCode } : {}),
    }));
    inst.operationDuration.record(Math.max(0, now - p.startPerf) / 1000, durationAttrs);
    const span = p.span;
    span.setAttributes({ [ATTR_OUTCOME]: d.outcome, ...(this.serverName ? { [ATTR_SERVER_NAME]: this.serverName } : {}) });
    if (d.auditCause) span.setAttribute(ATTR_LOSS_CAUSE, d.auditCause);
    if (failed) {
      span.setAttribute(ATTR_ERROR_TYPE, d.errorType as string);
      if (d.statusCode) span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, d.statusCode);
      // The message is the server's (or the host's) own text and may carry payload: exported only with content capture.
      span.setStatus({ code: SpanStatusCode.ERROR, ...(d.statusMessage && this.rt.captureContent ? { message: d.statusMessage } : {}) });
    }
    span.end(performance.timeOrigin + now);
    this.writeOperation(p, now, d.outcome, d.auditCause, d.contextValid, tokens, message, d.errorType);
  }

  private writeOperation(p: Pending, now: number, outcome: Outcome, cause: LossCause | undefined, valid: boolean, tokens: typeof this.totals, message: Msg | undefined, errorType: string | undefined): void {
    this.audit.write(EVENT_AUDIT_OPERATION, p.span, performance.timeOrigin + now, () => ({
      fields: {
        [F.kind]: AUDIT_KIND_VALUES.operation,
        ...this.sessionFields(p),
        [F.method]: p.method,
        [F.tool]: p.tool,
        [F.prompt]: p.prompt,
        [F.resourceUri]: p.method.startsWith('resources/') ? p.uri : undefined,
        [F.requestId]: p.id,
        [F.outcome]: outcome,
        [F.cause]: cause,
        [F.errorType]: errorType,
        [F.durationUs]: Math.round(Math.max(0, now - p.startPerf) * 1000),
        [F.tokensMeaningful]: tokens.meaningful,
        [F.tokensRedundant]: tokens.redundant,
        [F.tokensUnused]: tokens.unused,
        [F.tokensLost]: tokens.lost,
        [F.contextValid]: valid,
        // Keyed only: an unkeyed digest of a short payload is guessable.
        [F.payloadDigest]:
          this.rt.auditKey !== undefined && message
            ? digest(canonicalJson({ params: p.params ?? null, result: message.result ?? null, error: message.error ?? null }), this.rt.auditKey)
            : undefined,
      },
      summary: `${spanName(p.method, p.tool ?? p.prompt)} ${outcome}${cause ? ` (${cause})` : ''}`,
    }));
  }

  private lastMcpSessionId: string | undefined;

  private currentMcpSessionId(): string | undefined {
    const id = this.transport.mcpSessionId?.();
    if (id) this.lastMcpSessionId = id;
    return id ?? this.lastMcpSessionId;
  }

  private sessionFields(p?: Pending): Record<string, string | undefined> {
    if (this.user === undefined && this.rt.options.resolveUser) {
      try {
        this.user = this.rt.options.resolveUser({
          sessionId: this.sessionId,
          ...(this.lastMcpSessionId ? { mcpSessionId: this.lastMcpSessionId } : {}),
          ...(this.serverName ? { serverName: this.serverName } : {}),
        });
      } catch (error) {
        this.rt.warn(`resolveUser threw: ${String(error)}`);
      }
    }
    return { [F.mcpSessionId]: p?.mcpSessionId ?? this.currentMcpSessionId(), [F.user]: this.user, [F.server]: this.serverName };
  }

  // --- End --------------------------------------------------------------------------

  /**
   * The transport closed: pending requests are lost, definitions decided,
   * the session ends, at `endedAt` (a `performance.now()` time) when the
   * end is known only later (an HTTP session found idle).
   */
  close(endedAt?: number): void {
    if (this.closed) return;
    const now = endedAt ?? performance.now();
    for (const p of this.pending.values()) {
      if (p.unparseable !== undefined) {
        this.lostUnparseable(p, now);
        continue;
      }
      this.finish(p, now, {
        outcome: OUT.transportError,
        lostNow: CAUSE.transportClosed,
        auditCause: CAUSE.transportClosed,
        errorType: 'transport_error',
        statusMessage: 'transport closed with the request pending',
        contextValid: false,
      });
    }
    this.pending.clear();
    this.validations.clear();
    this.lastSent = undefined;
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.enqueue(() => {
      for (const t of this.tombstones.drain()) this.expired(t);
      for (const def of [...this.definitions.values()]) this.decide(def);
      const inst = this.rt.instruments();
      const attrs = this.baseAttrs();
      inst.sessionRequests.record(this.requests, attrs);
      inst.sessionDuration.record((now - this.startPerf) / 1000, { ...attrs, ...this.networkAttrs() });
      this.audit.write(EVENT_AUDIT_SESSION_END, undefined, performance.timeOrigin + now, () => ({
        fields: {
          [F.kind]: AUDIT_KIND_VALUES.sessionEnd,
          ...this.sessionFields(),
          [F.outcome]: OUT.success,
          [F.durationUs]: Math.round((now - this.startPerf) * 1000),
          [F.sessionRequests]: this.requests,
          [F.sessionRecords]: this.audit.records + 1,
          [F.tokensMeaningful]: this.totals.meaningful,
          [F.tokensRedundant]: this.totals.redundant,
          [F.tokensUnused]: this.totals.unused,
          [F.tokensLost]: this.totals.lost,
          [F.contextValid]: true,
        },
        summary: `session end: ${this.requests} requests`,
      }));
    });
  }
}
