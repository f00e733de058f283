/**
 * The server-side observer: one per instrumentation (or options object of
 * instrumentServer). It sees each request a server receives and the answer
 * it sends, at the transport, and turns the pair into a SERVER span, the
 * server metrics and an audit record. Every hook is guarded: the server's
 * messages flow unchanged whatever happens in here.
 */
import { randomUUID } from 'node:crypto';
import { context as api, diag, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Logger, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_CALL_ID,
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_ERROR_ORIGIN,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_LEG_INDEX,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT,
  ATTR_OBSERVER,
  ATTR_OUTCOME,
  ATTR_PROTOCOL_ERA,
  ATTR_RESULT_TYPE,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_NAME,
  ERROR_ORIGIN_VALUES,
  ERROR_TYPE_TOOL_ERROR,
  EVENT_AUDIT_OPERATION,
  EVENT_AUDIT_CHAIN_END,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  isCallerErrorCode,
  isSpanError,
  META_PROTOCOL_VERSION,
  OBSERVER_VALUES,
  OTHER_VALUE,
  OUTCOME_VALUES as OUT,
  protocolEra,
  SPAN_KIND_VALUES,
  ERROR_TYPE_VALUES,
  spanName,
  type ErrorOrigin,
  type Outcome,
} from '@mcp-conservation/semconv';
import { AUDIT_FIELDS as F, AUDIT_KIND_VALUES, canonicalJson, digest } from '@mcp-conservation/semconv/audit';
import { AuditWriter } from '../core/audit-writer.js';
import { CappedValues } from '../core/bounded.js';
import { isObject } from '../core/json.js';
import type { LogicalCall } from '../core/model.js';
import { meterRecords } from '../core/telemetry.js';
import { createServerInstruments, type ServerInstruments } from './instruments.js';
import { DefinitionPrices } from './definitions.js';
import { ResultTokens } from './result-tokens.js';
import { InterimCalls } from './rounds.js';
import type { ToolCallWatch } from './tool-gate.js';
import { extractFromMeta } from './trace-context.js';
import { forwardedClient, requestHeader, socketPeer } from './request-headers.js';
import { markReached } from './entry-scope.js';
import type { ServerInfoForUser, ServerObserverOptions } from './types.js';

/** Methods that open a stream rather than answer: kept out of the operation duration. */
const STREAMS = new Set(['subscriptions/listen']);
const LISTINGS = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']);
/** The methods whose answer may be `input_required` (basic/patterns/mrtr): each request is a leg of a logical call. */
const MULTI_ROUND = new Set(['tools/call', 'prompts/get', 'resources/read']);
const INPUT_REQUIRED = 'input_required';
/** How long an interim answer waits for the client's retry before its call counts as abandoned (as the client side's late window). */
const LATE_WINDOW_MS = 60_000;
/** Most requests one connection keeps open at once; beyond, new ones go unobserved (and are not hurt). */
const MAX_PENDING = 4096;

/** What the observer reads of the server behind a transport. */
export interface ServerFacts {
  readonly name: () => string | undefined;
  /** Names of the tools the server registered, when it keeps a registry (McpServer). */
  readonly registeredTools: () => ReadonlySet<string> | undefined;
  /** Watches a tools/call for a refusal the server answers as `isError` (McpServer; see tool-gate.ts). */
  readonly watchToolCall?: (name: string, params: Record<string, unknown> | undefined, requestId: string) => ToolCallWatch | undefined;
}

/** What the observer knows of one connection: its transport kind, session and negotiated version. */
export interface Connection {
  readonly networkTransport: string;
  readonly sessionId: () => string | undefined;
  protocolVersion?: string;
  readonly pending: Map<string, Pending>;
  readonly server: ServerFacts;
  readonly openedPerf: number;
  requests: number;
}

interface Pending {
  readonly span: Span;
  readonly method: string;
  readonly tool?: string;
  readonly prompt?: string;
  readonly startPerf: number;
  /** The logical call a multi-round method's request is a leg of. */
  readonly call?: LogicalCall;
  readonly params: unknown;
  readonly user?: string;
  readonly protocolVersion?: string;
  /** A tools/call's watch for a refusal answered as `isError`. */
  readonly toolWatch?: ToolCallWatch;
}

export class ServerObserver {
  private readonly tools: CappedValues;
  private readonly names = new Set<string>();
  private audit: AuditWriter;
  private readonly auditKey: string | undefined;
  private inst: { meter: Meter; instruments: ServerInstruments } | undefined;
  private readonly definitions: DefinitionPrices;
  private readonly results: ResultTokens;
  /** Interim answers waiting for their next leg; a call no leg followed is decided abandoned, with its connection. */
  private readonly interims: InterimCalls<{ c: Connection; p: Pending }>;
  /** The current audit chain: its id, when it began, the calls it recorded. */
  private chain = { id: `server-${randomUUID()}`, startPerf: performance.now(), calls: 0 };
  /** The metric attributes of the record being written (a chain's end takes its last call's). */
  private recordAttrs: Attributes = { [ATTR_OBSERVER]: OBSERVER_VALUES.sdk };

  constructor(
    private readonly tracer: () => Tracer,
    private readonly meter: () => Meter,
    private readonly logger: () => Logger,
    private readonly options: ServerObserverOptions,
  ) {
    this.tools = new CappedValues(options.maxDistinctValues ?? 200, OTHER_VALUE);
    this.results = new ResultTokens(options);
    this.definitions = new DefinitionPrices(options.tokenizer);
    this.interims = new InterimCalls(options.lateWindowMs ?? LATE_WINDOW_MS, (_call, { c, p }) => this.finish(c, p, OUT.inputUnresolved, undefined, undefined, false));
    const key = options.auditKey ?? process.env.MCP_CONSERVATION_AUDIT_KEY;
    this.auditKey = key ? key : undefined;
    this.audit = this.writerFor(this.chain.id);
  }

  /** The id of the audit chain records are written to now. */
  get chainId(): string {
    return this.chain.id;
  }

  private writerFor(chainId: string): AuditWriter {
    return new AuditWriter({ logger: this.logger, key: this.auditKey, sessionId: chainId, observer: OBSERVER_VALUES.sdk, onEmit: () => this.instruments().auditRecords.add(1, this.recordAttrs) });
  }

  /**
   * Closes the current audit chain with its `chain_end` record (a chain of
   * time, not a session: no per-session measure reads it), so that
   * `audit verify` finds it complete, and begins a new one. A chain with no
   * record needs no end. Called at rotation and by `shutdown()`.
   */
  endChain(now = performance.now()): void {
    const { id, startPerf, calls } = this.chain;
    const audit = this.audit;
    this.chain = { id: `server-${randomUUID()}`, startPerf: now, calls: 0 };
    this.audit = this.writerFor(this.chain.id);
    if (audit.records === 0) return;
    try {
      audit.write(EVENT_AUDIT_CHAIN_END, undefined, performance.timeOrigin + now, () => ({
        fields: {
          [F.kind]: AUDIT_KIND_VALUES.chainEnd,
          [F.direction]: 'server',
          [F.outcome]: OUT.success,
          [F.durationUs]: Math.round(Math.max(0, now - startPerf) * 1000),
          [F.sessionRequests]: calls,
          [F.sessionRecords]: audit.records + 1,
          [F.contextValid]: true,
        },
        summary: `server audit chain ${id} end: ${calls} calls`,
      }));
    } catch (error) {
      diag.warn(`mcp-conservation: a server audit chain could not be closed: ${String(error)}`);
    }
  }

  /** Ends the audit chain and waits for what is in flight: call it before shutting the providers down. */
  async shutdown(): Promise<void> {
    await this.entryReads();
    this.interims.decideAll();
    this.endChain();
    await this.forceFlush();
  }

  private instruments(): ServerInstruments {
    const meter = this.meter();
    if (this.inst?.meter !== meter) {
      this.inst = { meter, instruments: createServerInstruments(meter) };
      this.definitions.observeOn(meter);
    }
    return this.inst.instruments;
  }

  /** The tool name as a metric value: a registered (or listed) tool, else `_OTHER`. A client can ask for any name. */
  private boundedTool(name: string | undefined, server: ServerFacts): string | undefined {
    if (name === undefined) return undefined;
    const registered = server.registeredTools();
    const known = registered ? registered.has(name) : this.names.has(name);
    return known ? (this.tools.get(name) ?? OTHER_VALUE) : OTHER_VALUE;
  }

  private base(c: Connection, version: string | undefined): Attributes {
    const name = c.server.name();
    const era = protocolEra(version);
    return {
      ...(name ? { [ATTR_SERVER_NAME]: name.slice(0, 128) } : {}),
      [ATTR_OBSERVER]: OBSERVER_VALUES.sdk,
      ...(era ? { [ATTR_PROTOCOL_ERA]: era } : {}),
    };
  }

  /** A request arrived: its span starts. Returns the context the handler must run in. */
  requestIn(c: Connection, message: Record<string, unknown>, extra: unknown, startedAt?: number): Context | undefined {
    markReached();
    const method = message.method as string;
    const id = message.id as string | number;
    const params = isObject(message.params) ? message.params : undefined;
    const meta = params && isObject(params._meta) ? params._meta : undefined;
    const metaVersion = meta && typeof meta[META_PROTOCOL_VERSION] === 'string' ? (meta[META_PROTOCOL_VERSION] as string) : undefined;
    if (method === 'initialize' && typeof params?.protocolVersion === 'string') c.protocolVersion = params.protocolVersion;
    const version = (metaVersion ?? c.protocolVersion ?? headerVersion(extra))?.slice(0, 32);
    const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
    const prompt = method === 'prompts/get' && typeof params?.name === 'string' ? params.name : undefined;
    const ambient = api.active();
    const ambientSpan = trace.getSpan(ambient);
    const { parent, fromMeta } = extractFromMeta(meta, ambient);
    const links: Link[] = fromMeta && ambientSpan && trace.isSpanContextValid(ambientSpan.spanContext()) ? [{ context: ambientSpan.spanContext() }] : [];
    const era = protocolEra(version);
    const sessionId = era !== 'modern' ? c.sessionId() : undefined;
    const boundedName = tool ?? prompt;
    const startPerf = startedAt ?? performance.now();
    const call = MULTI_ROUND.has(method) ? this.interims.legOf(method, tool ?? prompt ?? uriOf(params), params, startPerf) : undefined;
    const client = forwardedClient(extra) ?? socketPeer();
    const attributes: Attributes = {
      [ATTR_MCP_METHOD_NAME]: method,
      [ATTR_JSONRPC_REQUEST_ID]: String(id),
      [ATTR_NETWORK_TRANSPORT]: c.networkTransport,
      ...this.base(c, version),
      ...(version ? { [ATTR_MCP_PROTOCOL_VERSION]: version } : {}),
      ...(sessionId ? { [ATTR_MCP_SESSION_ID]: sessionId } : {}),
      ...(tool !== undefined ? { [ATTR_GEN_AI_TOOL_NAME]: tool.slice(0, 128), [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL } : {}),
      ...(prompt !== undefined ? { [ATTR_GEN_AI_PROMPT_NAME]: prompt.slice(0, 128) } : {}),
      ...(call ? { [ATTR_CALL_ID]: call.id, [ATTR_LEG_INDEX]: call.legs } : {}),
      ...(client ? { [ATTR_CLIENT_ADDRESS]: client.address, ...(client.port !== undefined ? { [ATTR_CLIENT_PORT]: client.port } : {}) } : {}),
    };
    const span = this.tracer().startSpan(spanName(method, boundedName?.slice(0, 128)), { kind: SpanKind.SERVER, attributes, links, ...(startedAt !== undefined ? { startTime: startedAt } : {}) }, parent);
    if (c.pending.size < MAX_PENDING) {
      const toolWatch = tool !== undefined ? c.server.watchToolCall?.(tool, params, String(id)) : undefined;
      c.pending.set(String(id), { span, method, startPerf, params, protocolVersion: version, user: this.user(extra, parent), ...(call ? { call } : {}), ...(tool !== undefined ? { tool } : {}), ...(prompt !== undefined ? { prompt } : {}), ...(toolWatch ? { toolWatch } : {}) });
    } else {
      span.end();
    }
    c.requests++;
    return trace.setSpan(parent, span);
  }

  /** Who called: from the SDK's authInfo through `resolveUser`, or (opt-in) from baggage. */
  private user(extra: unknown, ctx: Context): string | undefined {
    const authInfo = isObject(extra) && isObject(extra.authInfo) ? extra.authInfo : undefined;
    try {
      const resolved = this.options.resolveServerUser?.({ ...(authInfo ? { authInfo } : {}) } satisfies ServerInfoForUser);
      if (resolved !== undefined) return resolved;
    } catch (error) {
      diag.warn(`mcp-conservation: resolveUser threw: ${String(error)}`);
    }
    if (this.options.userFromBaggage) return propagation.getBaggage(ctx)?.getEntry('enduser.id')?.value;
    return undefined;
  }

  /** The caller cancelled: the SDK sends no answer. */
  cancelled(c: Connection, requestId: unknown): void {
    const p = c.pending.get(String(requestId));
    if (!p) return;
    c.pending.delete(String(requestId));
    this.finish(c, p, OUT.cancelled, { errorType: ERROR_TYPE_VALUES.cancelled, origin: ERROR_ORIGIN_VALUES.caller }, undefined);
  }

  /** An answer is sent (at `endedAt`, a performance.now() time, when it was sent before being observed). */
  responseOut(c: Connection, message: Record<string, unknown>, endedAt?: number): void {
    const key = String(message.id);
    const p = c.pending.get(key);
    if (!p) return;
    c.pending.delete(key);
    const result = isObject(message.result) ? message.result : undefined;
    if (p.method === 'tools/list' && Array.isArray(result?.tools)) {
      for (const t of result.tools) if (isObject(t) && typeof t.name === 'string' && this.names.size < 10_000) this.names.add(t.name);
    }
    if (isObject(message.error)) {
      const code = message.error.code as number | string | undefined;
      const origin = isCallerErrorCode(code) ? ERROR_ORIGIN_VALUES.caller : ERROR_ORIGIN_VALUES.server;
      this.finish(c, p, OUT.protocolError, { errorType: String(code), statusCode: String(code), origin }, message, true, endedAt);
    } else if (p.call && result?.resultType === INPUT_REQUIRED) {
      this.interim(c, p, result);
    } else if (p.method === 'tools/call' && result?.isError === true) {
      // A call the server refused before its tool ran is the caller's mistake, with the code a JSON-RPC error would carry.
      const refusal = p.toolWatch?.refusal();
      if (refusal !== undefined) this.finish(c, p, OUT.protocolError, { errorType: String(refusal), statusCode: String(refusal), origin: ERROR_ORIGIN_VALUES.caller }, message);
      else this.finish(c, p, OUT.toolError, { errorType: ERROR_TYPE_TOOL_ERROR, origin: ERROR_ORIGIN_VALUES.server }, message);
    } else {
      this.finish(c, p, OUT.success, undefined, message);
    }
  }

  /** The transport closed with requests unanswered: the caller went away. */
  closed(c: Connection): void {
    for (const p of c.pending.values()) this.finish(c, p, OUT.transportError, { errorType: ERROR_TYPE_VALUES.transportError, origin: ERROR_ORIGIN_VALUES.caller }, undefined);
    c.pending.clear();
    if (c.sessionId() !== undefined && protocolEra(c.protocolVersion) !== 'modern') {
      this.instruments().sessionDuration.record((performance.now() - c.openedPerf) / 1000, {
        ...this.base(c, c.protocolVersion),
        [ATTR_NETWORK_TRANSPORT]: c.networkTransport,
        ...(c.protocolVersion ? { [ATTR_MCP_PROTOCOL_VERSION]: c.protocolVersion } : {}),
      });
    }
  }

  /** An `input_required` answer: a leg of its call, which waits for the client's retry. */
  private interim(c: Connection, p: Pending, result: Record<string, unknown>): void {
    const now = performance.now();
    p.toolWatch?.end();
    p.span.setAttribute(ATTR_RESULT_TYPE, INPUT_REQUIRED);
    p.span.end();
    this.recordDuration(c, p, now, undefined, false);
    this.interims.park(p.call!, p.method, p.tool ?? p.prompt ?? uriOf(p.params), result.requestState, now, { c, p });
  }

  private recordDuration(c: Connection, p: Pending, now: number, error: { errorType: string; statusCode?: string } | undefined, failed: boolean): void {
    if (STREAMS.has(p.method)) return;
    const tool = this.boundedTool(p.tool, c.server);
    this.instruments().operationDuration.record((now - p.startPerf) / 1000, {
      ...this.base(c, p.protocolVersion),
      [ATTR_MCP_METHOD_NAME]: p.method,
      [ATTR_NETWORK_TRANSPORT]: c.networkTransport,
      ...(p.protocolVersion ? { [ATTR_MCP_PROTOCOL_VERSION]: p.protocolVersion } : {}),
      ...(tool ? { [ATTR_GEN_AI_TOOL_NAME]: tool, [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL } : {}),
      ...(p.prompt !== undefined ? { [ATTR_GEN_AI_PROMPT_NAME]: this.boundedPrompt(p.prompt) } : {}),
      ...(failed && error ? { [ATTR_ERROR_TYPE]: boundedCode(error.errorType) } : {}),
      ...(error?.statusCode ? { [ATTR_RPC_RESPONSE_STATUS_CODE]: boundedCode(error.statusCode) } : {}),
    });
  }

  /**
   * The call `p` is the final leg of is decided: its span (unless the leg
   * already ended, as an abandoned call's last interim answer has), its
   * duration, its call metrics and its audit record.
   */
  private finish(c: Connection, p: Pending, outcome: Outcome, error: { errorType: string; statusCode?: string; origin: ErrorOrigin } | undefined, message: Record<string, unknown> | undefined, legOpen = true, endedAt?: number): void {
    const now = endedAt ?? performance.now();
    p.toolWatch?.end();
    if (legOpen) {
      const span = p.span;
      span.setAttribute(ATTR_OUTCOME, outcome);
      // semconv (semantic-conventions-genai #389, #404): a caller's mistake keeps its status code but sets neither error.type nor ERROR.
      const failed = error !== undefined && (error.statusCode !== undefined ? isSpanError(SPAN_KIND_VALUES.server, { errorCode: error.statusCode }) : error.origin === ERROR_ORIGIN_VALUES.server);
      if (error?.statusCode) span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, error.statusCode);
      if (failed) {
        span.setAttribute(ATTR_ERROR_TYPE, error.errorType);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      const resultType = message && isObject(message.result) ? message.result.resultType : undefined;
      if (typeof resultType === 'string') span.setAttribute(ATTR_RESULT_TYPE, resultType.slice(0, 32));
      if (endedAt !== undefined) span.end(endedAt);
      else span.end();
      this.recordDuration(c, p, now, error, failed);
    }
    this.callDecided(c, p, outcome, error?.origin, message);
    this.writeAudit(p, now, outcome, error?.errorType, message, this.base(c, p.protocolVersion));
  }

  /** A logical call's figures: one tool call, its legs, its result tokens, the definitions of a listing. */
  private callDecided(c: Connection, p: Pending, outcome: Outcome, origin: ErrorOrigin | undefined, message: Record<string, unknown> | undefined): void {
    const inst = this.instruments();
    const base = this.base(c, p.protocolVersion);
    const tool = this.boundedTool(p.tool, c.server);
    if (p.method === 'tools/call') inst.toolCalls.add(1, { ...base, [ATTR_GEN_AI_TOOL_NAME]: tool ?? OTHER_VALUE, [ATTR_OUTCOME]: outcome, ...(origin ? { [ATTR_ERROR_ORIGIN]: origin } : {}) });
    if (p.call) inst.callLegs.record(p.call.legs, { ...base, [ATTR_MCP_METHOD_NAME]: p.method });
    // A refusal answered as a result (isError) enters the host's context as any result does.
    if (message && (outcome === OUT.success || outcome === OUT.toolError || isObject(message.result)) && meterRecords(this.meter())) {
      const attributes = { ...base, [ATTR_MCP_METHOD_NAME]: p.method, ...(tool ? { [ATTR_GEN_AI_TOOL_NAME]: tool } : {}) };
      this.results.count(p.method, message, inst.resultTokens, attributes, c.server.name(), tool);
    }
    if (LISTINGS.has(p.method) && outcome === OUT.success) {
      inst.listings.add(1, { ...base, [ATTR_MCP_METHOD_NAME]: p.method });
      const result = message && isObject(message.result) ? message.result : undefined;
      // Priced only where a gauge would report them, as result tokens are.
      if (result && this.options.tokens !== false && meterRecords(this.meter())) {
        try {
          this.definitions.listed(p.method, result, base);
        } catch (error) {
          diag.warn(`mcp-conservation: definitions could not be priced: ${String(error)}`);
        }
      }
    }
  }

  /** Resolves once the definitions listed and the results sent so far are priced and counted. */
  async forceFlush(): Promise<void> {
    await this.entryReads();
    await Promise.all([this.definitions.flush(), this.results.flush()]);
  }

  /** Refusals at a handler's entry still being read from their copy (see entry-refusals.ts). */
  private readonly reads = new Set<Promise<void>>();
  /** Lets forceFlush() and shutdown() wait for `read`, the reading of a refusal. */
  reading(read: Promise<void>): void {
    this.reads.add(read);
    void read.finally(() => this.reads.delete(read));
  }
  private async entryReads(): Promise<void> {
    if (this.reads.size > 0) await Promise.allSettled([...this.reads]);
  }

  private readonly prompts = new CappedValues(200, OTHER_VALUE);
  private boundedPrompt(name: string): string {
    return this.prompts.get(name) ?? OTHER_VALUE;
  }

  private writeAudit(p: Pending, now: number, outcome: Outcome, errorType: string | undefined, message: Record<string, unknown> | undefined, attrs: Attributes): void {
    const key = this.auditKey;
    if (now - this.chain.startPerf >= (this.options.auditChainMaxAgeMs ?? CHAIN_MAX_AGE_MS)) this.endChain(now);
    this.recordAttrs = attrs;
    this.chain.calls++;
    try {
      this.audit.write(EVENT_AUDIT_OPERATION, p.span, performance.timeOrigin + now, () => ({
        fields: {
          [F.kind]: AUDIT_KIND_VALUES.operation,
          [F.direction]: 'server',
          [F.user]: p.user,
          [F.method]: p.method,
          [F.tool]: p.tool?.slice(0, 128),
          [F.prompt]: p.prompt?.slice(0, 128),
          [F.protocolVersion]: p.protocolVersion,
          [F.outcome]: outcome,
          [F.errorType]: errorType,
          [F.durationUs]: Math.round(Math.max(0, now - (p.call?.startPerf ?? p.startPerf)) * 1000),
          [F.callId]: p.call?.id,
          [F.legs]: p.call?.legs,
          [F.contextValid]: answeredIntact(outcome),
          // Keyed only: an unkeyed digest of a short payload is guessable.
          [F.payloadDigest]: key !== undefined ? digest(canonicalJson({ params: p.params ?? null, result: message?.result ?? null, error: message?.error ?? null }), key) : undefined,
        },
        summary: `server ${spanName(p.method, p.tool ?? p.prompt)} ${outcome}`,
      }));
    } catch (error) {
      diag.warn(`mcp-conservation: a server audit record could not be written: ${String(error)}`);
    }
  }
}

/** A server's audit chain is closed and a new one begun after an hour by default. */
const CHAIN_MAX_AGE_MS = 3_600_000;

/** Distinct error codes on metrics: JSON-RPC and MCP define about a dozen, a server may invent more. */
const codes = new CappedValues(32, OTHER_VALUE, 32);
function boundedCode(code: string): string {
  return codes.get(code) ?? OTHER_VALUE;
}

/** The `uri` of a resources/read: its target among parked interim answers (never on metrics). */
function uriOf(params: unknown): string | undefined {
  return isObject(params) && typeof params.uri === 'string' ? params.uri.slice(0, 1024) : undefined;
}

/** The version a 2025-era HTTP client sends in its `mcp-protocol-version` header. */
function headerVersion(extra: unknown): string | undefined {
  return requestHeader(extra, 'mcp-protocol-version');
}

/**
 * `context_valid` as the client side decides it: the answer went out whole,
 * whatever it says (a result, a tool error, a JSON-RPC error, the last
 * `input_required` of a call never resumed). A call cancelled or cut off by the
 * transport sent nothing.
 */
function answeredIntact(outcome: Outcome): boolean {
  return outcome === OUT.success || outcome === OUT.toolError || outcome === OUT.protocolError || outcome === OUT.inputUnresolved;
}
