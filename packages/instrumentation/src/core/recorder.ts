/**
 * The last step of the pipeline: a decided operation becomes metric
 * points, the end of its span and the next audit record of the session's
 * chain. Attribute sets are built once per server and kind of data point
 * and reused: metric calls with the same object skip rebuilding (and
 * SumCounter finds its series by identity). It is also the token ledger's
 * sink.
 */
import { SpanStatusCode, type Attributes, type Logger } from '@opentelemetry/api';
import {
  ATTR_CALL_ID,
  ATTR_CALL_LEGS,
  ATTR_CALL_UNLINKED,
  ATTR_CONTEXT_DELIVERY,
  ATTR_CONTEXT_SOURCE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_LEG_INDEX,
  ATTR_LOSS_CAUSE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT,
  ATTR_OUTCOME,
  ATTR_RESULT_TYPE,
  ATTR_TOOL_LISTED,
  ATTR_LEG_REASON,
  ERROR_CONDITION_VALUES,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_NAME,
  ATTR_SERVER_PORT,
  ATTR_TOKEN_DISPOSITION,
  CONTEXT_DELIVERY_VALUES,
  EVENT_AUDIT_OPERATION,
  EVENT_AUDIT_CHAIN_END,
  EVENT_AUDIT_SESSION_END,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  isSpanError,
  LOSS_CAUSE_VALUES as CAUSE,
  SPAN_KIND_VALUES,
  OUTCOME_VALUES as OUT,
  spanName,
  type LossCause,
  type Observer,
  type Outcome,
  type ProtocolEra,
  type TokenDisposition,
} from '@mcp-conservation/semconv';
import { AUDIT_FIELDS as F, AUDIT_KIND_VALUES, canonicalJson, digest, type AuditValue } from '@mcp-conservation/semconv/audit';
import type { SessionInfo } from '../types.js';
import { AuditWriter } from './audit-writer.js';
import type { Instruments } from './instruments.js';
import { emptyTally, type ChainCover, type Decision, type LogicalCall, type Pending, type SessionIdentity, type TokenTally, type Tombstone, type WireFacts } from './model.js';
import type { TokenSink } from './token-ledger.js';

/** What the core knows of the transport a session runs over. */
export interface TransportInfo {
  /** `network.transport`: pipe (stdio), tcp (HTTP) or inproc. */
  readonly networkTransport: string;
  readonly serverAddress?: string;
  readonly serverPort?: number;
  /** The MCP session id, once the transport has one. */
  readonly mcpSessionId?: () => string | undefined;
  /**
   * True while the traffic is no session on the wire (the proxy's stateless
   * HTTP, many clients together): its calls count as sessionless, never
   * towards a session's volume or limit, and its chain covers a stretch of time.
   */
  readonly sessionless?: () => boolean;
}

/** What the recorder reads of the core: telemetry, caps and the options that shape records. */
export interface RecorderContext {
  readonly observer: Observer;
  readonly auditKey: string | undefined;
  readonly captureContent: boolean;
  readonly resolveUser: ((info: SessionInfo) => string | undefined) | undefined;
  instruments(): Instruments;
  logger(): Logger;
  capServer(name: string | undefined): string | undefined;
  capTool(name: string | undefined): string | undefined;
  capErrorCode(code: string | undefined): string | undefined;
  zeroInitTool(serverName: string | undefined, era: ProtocolEra | undefined, toolName: string): void;
  /** What every data point of a session carries: server, observer, era. */
  baseAttributes(serverName: string | undefined, era: ProtocolEra | undefined): Attributes;
  /**
   * The attribute sets built for sessions that share a scope (the same server,
   * version, era and transport), shared by all of them: what sets a session
   * builds are the same for every session of its scope.
   */
  attributeScope(scope: string): Map<string, Attributes>;
  warn(message: string): void;
  /** Warns once per `key` (bounded): a hostile server repeating a fault gets counted, not a flood of messages. */
  warnOnce(key: string, message: string): void;
}

/**
 * The shared classification (semconv, keyed by span kind) for a client
 * span: every JSON-RPC error fails it, and so does every other decided error
 * (a tool error, a timeout, a lost answer).
 */
function clientSpanFailed(d: Decision): boolean {
  return d.statusCode === undefined || isSpanError(SPAN_KIND_VALUES.client, { errorCode: d.statusCode });
}

/** Most attribute sets one scope keeps built. Bounded: their parts are few or capped. */
const MAX_CACHED_ATTRS = 1024;
/** Tool names a session remembers as listed, for `toolListed` on its call records. */
const MAX_LISTED_TOOLS = 4096;

/** Not found, whichever code said it: `-32002` (2025) or `-32602` with `data.uri` (2026-07-28) on a read. */
function errorCondition(method: string, facts: WireFacts | undefined): string | undefined {
  const error = facts?.error;
  if (method !== 'resources/read' || !error) return undefined;
  return error.code === '-32002' || (error.code === '-32602' && error.dataUri) ? ERROR_CONDITION_VALUES.resourceNotFound : undefined;
}

export class Recorder implements TokenSink {
  private readonly audit: AuditWriter;
  private builtFor: { server: string | undefined; protocol: string | undefined; era: ProtocolEra | undefined } | undefined;
  private base: Attributes = {};
  /** Shared with the sessions of the same scope (see RecorderContext.attributeScope); replaced, never cleared, when the scope changes. */
  private attrCache: Map<string, Attributes> | undefined;
  /** Made at the first listed tool: an empty Set costs an open session about 120 bytes. */
  private listedTools: Set<string> | undefined;

  constructor(
    private readonly core: RecorderContext,
    private readonly identity: SessionIdentity,
    private readonly transport: TransportInfo,
  ) {
    this.audit = new AuditWriter({
      logger: core.logger,
      key: core.auditKey,
      sessionId: identity.sessionId,
      observer: core.observer,
      onEmit: () => core.instruments().auditRecords.add(1, this.baseAttrs()),
      ...(transport.sessionless ? { coversTime: transport.sessionless } : {}),
    });
  }

  // --- Attributes -------------------------------------------------------------

  /** Server, observer and era: on every data point. Rebuilt, with every cached set, when the server or version becomes known. */
  baseAttrs(): Attributes {
    const { serverName, protocolVersion, era } = this.identity;
    const built = this.builtFor;
    if (built === undefined || built.server !== serverName || built.protocol !== protocolVersion || built.era !== era) {
      this.builtFor = { server: serverName, protocol: protocolVersion, era };
      const t = this.transport;
      this.attrCache = this.core.attributeScope(`${serverName ?? ''}\u0000${protocolVersion ?? ''}\u0000${era ?? ''}\u0000${t.networkTransport}\u0000${t.serverAddress ?? ''}\u0000${t.serverPort ?? ''}`);
      this.base = this.core.baseAttributes(serverName, era);
    }
    return this.base;
  }

  /** What every span of the session carries: transport and server. */
  spanBase(): Attributes {
    return this.cached('span', () => ({ ...this.networkAttrs(), ...this.base }));
  }

  /** A request's span attributes. Assigned one by one: this runs on the caller's path, before the request leaves. */
  requestAttributes(method: string, id: string, r: { tool?: string; prompt?: string; uri?: string; mcpSessionId?: string; args?: unknown; call: LogicalCall; reason?: string }): Attributes {
    const attributes: Attributes = { ...this.spanBase() };
    attributes[ATTR_MCP_METHOD_NAME] = method;
    if (id) attributes[ATTR_JSONRPC_REQUEST_ID] = id;
    attributes[ATTR_CALL_ID] = r.call.id;
    attributes[ATTR_LEG_INDEX] = r.call.legs;
    if (r.reason !== undefined) attributes[ATTR_LEG_REASON] = r.reason;
    if (r.tool !== undefined) {
      attributes[ATTR_GEN_AI_TOOL_NAME] = r.tool;
      attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_EXECUTE_TOOL;
    }
    if (r.prompt !== undefined) attributes[ATTR_GEN_AI_PROMPT_NAME] = r.prompt;
    if (r.uri !== undefined && method.startsWith('resources/')) attributes[ATTR_MCP_RESOURCE_URI] = r.uri;
    if (r.mcpSessionId) attributes[ATTR_MCP_SESSION_ID] = r.mcpSessionId;
    if (r.tool !== undefined && this.core.captureContent && r.args !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = JSON.stringify(r.args);
    return attributes;
  }

  /** The cached attribute set under `key`, built once. */
  private cached(key: string, build: () => Attributes): Attributes {
    this.baseAttrs();
    const cache = this.attrCache!;
    let attrs = cache.get(key);
    if (!attrs) {
      attrs = build();
      if (cache.size < MAX_CACHED_ATTRS) cache.set(key, attrs);
    }
    return attrs;
  }

  private opAttrs(method: string, tool: string | undefined): Attributes {
    return this.cached(`op\u0000${method}\u0000${tool ?? ''}`, () => {
      const capped = this.core.capTool(tool);
      return { ...this.base, [ATTR_MCP_METHOD_NAME]: method, ...(capped ? { [ATTR_GEN_AI_TOOL_NAME]: capped } : {}) };
    });
  }

  private networkAttrs(): Attributes {
    const t = this.transport;
    const version = this.identity.protocolVersion;
    return {
      [ATTR_NETWORK_TRANSPORT]: t.networkTransport,
      ...(t.serverAddress ? { [ATTR_SERVER_ADDRESS]: t.serverAddress } : {}),
      ...(t.serverPort ? { [ATTR_SERVER_PORT]: t.serverPort } : {}),
      ...(version ? { [ATTR_MCP_PROTOCOL_VERSION]: version } : {}),
    };
  }

  // --- Token points (the ledger's sink) ------------------------------------------

  tokens(disposition: TokenDisposition, source: string, n: number, method: string, tool: string | undefined, cached = false): void {
    const attrs = this.opAttrs(method, tool);
    const key = `tokens\u0000${method}\u0000${String(attrs[ATTR_GEN_AI_TOOL_NAME] ?? '')}\u0000${disposition}\u0000${source}\u0000${cached ? 'c' : ''}`;
    this.core.instruments().tokens.add(
      n,
      this.cached(key, () => ({
        ...attrs,
        [ATTR_TOKEN_DISPOSITION]: disposition,
        [ATTR_CONTEXT_SOURCE]: source,
        // Wire deliveries carry no delivery attribute: their series are the ones created at zero.
        ...(cached ? { [ATTR_CONTEXT_DELIVERY]: CONTEXT_DELIVERY_VALUES.cache } : {}),
      })),
    );
  }

  lostTokens(n: number, cause: LossCause, method: string, tool: string | undefined): void {
    this.core.instruments().lostTokens.add(n, { ...this.opAttrs(method, tool), [ATTR_LOSS_CAUSE]: cause });
  }

  binaryBytes(n: number, source: string, method: string, tool: string | undefined): void {
    this.core.instruments().binaryBytes.add(n, { ...this.opAttrs(method, tool), [ATTR_CONTEXT_SOURCE]: source });
  }

  estimatedTokens(n: number, source: string, method: string, tool: string | undefined): void {
    this.core.instruments().estimatedTokens.add(n, this.cached(`est\u0000${method}\u0000${tool ?? ''}\u0000${source}`, () => ({ ...this.opAttrs(method, tool), [ATTR_CONTEXT_SOURCE]: source })));
  }

  evictions(n: number): void {
    this.core.instruments().dedupEvictions.add(n, this.baseAttrs());
  }

  toolListed(name: string): void {
    const listed = (this.listedTools ??= new Set());
    if (listed.size < MAX_LISTED_TOOLS) listed.add(name);
    this.core.zeroInitTool(this.identity.serverName, this.identity.era, name);
  }

  /** Whether `tool` was listed in the session; unknown (undefined) once more tools were listed than are remembered. */
  private wasListed(tool: string | undefined): boolean | undefined {
    if (tool !== undefined && this.listedTools?.has(tool)) return true;
    return (this.listedTools?.size ?? 0) < MAX_LISTED_TOOLS ? false : undefined;
  }

  // --- Operations -------------------------------------------------------------------

  /** Envelope bytes of a response beyond its rendering. */
  wireOverhead(p: Pending, bytes: number): void {
    this.core.instruments().wireOverhead.add(bytes, this.opAttrs(p.method, p.tool));
  }

  /** The request that made the session cross its request limit. */
  overLimit(): void {
    this.core.instruments().overLimit.add(1, this.baseAttrs());
  }

  /** A logical call in no observable session. */
  sessionlessCall(): void {
    this.core.instruments().sessionlessRequests.add(1, this.baseAttrs());
  }

  /** A multi-round-trip retry that could not be linked to its call: marked on its span, counted. */
  unlinkedRetry(p: Pending): void {
    p.span.setAttribute(ATTR_CALL_UNLINKED, true);
    this.core.instruments().unlinkedRetries.add(1, { ...this.baseAttrs(), [ATTR_MCP_METHOD_NAME]: p.method });
  }

  /**
   * A leg that is not its call's last: an `input_required` answer, a
   * `-32020` the client recovers from, the re-listing after it. Its
   * duration point and span end (with the error `d` when it is one), its
   * bytes as wire overhead of `source`. No outcome: the call goes on.
   */
  legEnded(p: Pending, now: number, facts: WireFacts, bytes: number, source: string | undefined, d: Decision | undefined): void {
    const errorType = d?.errorType === d?.statusCode ? this.core.capErrorCode(d?.errorType) : d?.errorType;
    this.core.instruments().operationDuration.record(Math.max(0, now - p.startPerf) / 1000, this.durationAttrs(p, errorType, this.core.capErrorCode(d?.statusCode)));
    if (bytes > 0 && source !== undefined) {
      const attrs = this.cached(`leg\u0000${p.method}\u0000${p.tool ?? ''}\u0000${source}`, () => ({ ...this.opAttrs(p.method, p.tool), [ATTR_CONTEXT_SOURCE]: source }));
      this.core.instruments().wireOverhead.add(bytes, attrs);
    }
    if (facts.resultType !== undefined) p.span.setAttribute(ATTR_RESULT_TYPE, facts.resultType);
    if (d?.errorType !== undefined) {
      p.span.setAttribute(ATTR_ERROR_TYPE, d.errorType);
      if (d.statusCode) p.span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, d.statusCode);
      if (clientSpanFailed(d)) p.span.setStatus({ code: SpanStatusCode.ERROR, ...(d.statusMessage && this.core.captureContent ? { message: d.statusMessage } : {}) });
    }
    p.span.end(now); // a performance time: on the clock the span started on
  }

  /** Metrics, span end and audit record of one decided call, on its final leg (whose span `spanEnded` when it was an interim answer). */
  operation(p: Pending, now: number, d: Decision, tally: TokenTally, facts: WireFacts | undefined, spanEnded = false): void {
    const inst = this.core.instruments();
    const attrs = this.opAttrs(p.method, p.tool);
    inst.callLegs.record(p.call.legs, this.cached(`legs\u0000${p.method}`, () => ({ ...this.base, [ATTR_MCP_METHOD_NAME]: p.method })));
    // A call served from the cache expected no response: it is outside loss.
    if (!p.cached) {
      if (d.outcome === OUT.cancelled) inst.cancelled.add(1, attrs);
      inst.expected.add(1, attrs);
      if (d.lostNow) inst.lost.add(1, { ...attrs, [ATTR_LOSS_CAUSE]: d.lostNow });
    }
    if (p.method === 'tools/call') {
      const callAttrs = this.cached(`call\u0000${p.tool ?? ''}\u0000${d.outcome}`, () => ({
        ...this.base,
        ...(attrs[ATTR_GEN_AI_TOOL_NAME] ? { [ATTR_GEN_AI_TOOL_NAME]: attrs[ATTR_GEN_AI_TOOL_NAME] } : {}),
        [ATTR_OUTCOME]: d.outcome,
      }));
      inst.toolCalls.add(1, callAttrs);
    }
    if (p.cached) this.endSpan(p, now, d, facts);
    else if (!spanEnded) {
      // Server-chosen error codes are capped on metrics; spans and audit records keep them as they came.
      const errorType = d.statusCode !== undefined && d.errorType === d.statusCode ? this.core.capErrorCode(d.errorType) : d.errorType;
      inst.operationDuration.record(Math.max(0, now - p.startPerf) / 1000, this.durationAttrs(p, errorType, this.core.capErrorCode(d.statusCode)));
      this.endSpan(p, now, d, facts);
    }
    if (d.outcome === OUT.invalidResult) {
      const server = this.identity.serverName ?? 'unnamed server';
      this.core.warnOnce(`invalid\u0000${server}\u0000${p.method}`, `${spanName(p.method, p.tool ?? p.prompt)} from ${server}: the client rejected the result (${(d.statusMessage ?? 'invalid').slice(0, 200)}); counted as invalid_result and lost as invalid. Further ones of this method from this server are counted without a message.`);
    }
    this.writeOperation(p, now, d.outcome, d.auditCause, d.contextValid, tally, facts, d.errorType);
  }

  /** The attributes of a leg's `mcp.client.operation.duration` point. */
  private durationAttrs(p: Pending, errorType: string | undefined, statusCode: string | undefined): Attributes {
    return this.cached(`duration\u0000${p.method}\u0000${p.tool ?? ''}\u0000${p.prompt ?? ''}\u0000${errorType ?? ''}\u0000${statusCode ?? ''}`, () => ({
      ...this.opAttrs(p.method, p.tool),
      ...this.networkAttrs(),
      ...(p.method === 'tools/call' ? { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL } : {}),
      ...(p.prompt ? { [ATTR_GEN_AI_PROMPT_NAME]: this.core.capTool(p.prompt) } : {}),
      ...(errorType !== undefined ? { [ATTR_ERROR_TYPE]: errorType } : {}),
      ...(statusCode ? { [ATTR_RPC_RESPONSE_STATUS_CODE]: statusCode } : {}),
    }));
  }

  /** The final leg's span: the call's outcome, loss and error on it. */
  private endSpan(p: Pending, now: number, d: Decision, facts: WireFacts | undefined): void {
    const failed = d.errorType !== undefined;
    const span = p.span;
    const serverName = this.identity.serverName;
    span.setAttributes({ [ATTR_OUTCOME]: d.outcome, ...(serverName ? { [ATTR_SERVER_NAME]: serverName } : {}) });
    if (d.auditCause) span.setAttribute(ATTR_LOSS_CAUSE, d.auditCause);
    if (this.core.captureContent && p.method === 'tools/call' && facts?.hasResult && d.outcome !== OUT.invalidResult) {
      span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, JSON.stringify(facts.payload?.result));
    }
    if (failed) {
      span.setAttribute(ATTR_ERROR_TYPE, d.errorType as string);
      if (d.statusCode) span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, d.statusCode);
      // The message is the server's (or the host's) own text and may carry payload: exported only with content capture.
      if (clientSpanFailed(d)) span.setStatus({ code: SpanStatusCode.ERROR, ...(d.statusMessage && this.core.captureContent ? { message: d.statusMessage } : {}) });
    }
    if (facts?.resultType !== undefined) span.setAttribute(ATTR_RESULT_TYPE, facts.resultType);
    if (p.method === 'tools/call') {
      const listed = this.wasListed(p.tool);
      if (listed !== undefined) span.setAttribute(ATTR_TOOL_LISTED, listed);
    }
    if (p.call.legs > 1) span.setAttribute(ATTR_CALL_LEGS, p.call.legs);
    span.end(now);
  }

  /** A late answer (see lateAnswer): its tokens were counted lost by the ledger already. */
  late(p: Pending, d: Decision, lostTokens: number, estimated = false): void {
    if (d.lostNow) this.core.instruments().lost.add(1, { ...this.opAttrs(p.method, p.tool), [ATTR_LOSS_CAUSE]: d.lostNow });
    this.writeOperation(p, performance.now(), d.outcome, d.auditCause, d.contextValid, { ...emptyTally(), lost: lostTokens, ...(estimated ? { estimated } : {}) }, undefined, undefined);
  }

  /** No answer came within the late window: a timeout's loss is decided now. */
  expired(t: Tombstone): void {
    if (t.kind === 'timeout') this.core.instruments().lost.add(1, { ...this.opAttrs(t.pending.method, t.pending.tool), [ATTR_LOSS_CAUSE]: CAUSE.timeout });
  }

  private writeOperation(p: Pending, now: number, outcome: Outcome, cause: LossCause | undefined, valid: boolean, tally: TokenTally, facts: WireFacts | undefined, errorType: string | undefined): void {
    const key = this.core.auditKey;
    const condition = errorCondition(p.method, facts);
    this.audit.write(EVENT_AUDIT_OPERATION, p.span, performance.timeOrigin + now, () => ({
      fields: this.withSessionFields(p, {
        [F.kind]: AUDIT_KIND_VALUES.operation,
        // Every field is a key of this literal, those filled in later as
        // placeholders: adding a dozen keys to an object of twenty turns it
        // into a dictionary, which made building and sealing a record about
        // a third slower. withSessionFields fills these seven...
        [F.mcpSessionId]: undefined,
        [F.user]: undefined,
        [F.server]: undefined,
        [F.serverVersion]: undefined,
        [F.clientName]: undefined,
        [F.clientVersion]: undefined,
        [F.protocolVersion]: undefined,
        // ...and the audit writer these five.
        [F.version]: undefined,
        [F.session]: undefined,
        [F.seq]: undefined,
        [F.time]: undefined,
        [F.observer]: undefined,
        [F.method]: p.method,
        [F.tool]: p.tool,
        [F.prompt]: p.prompt,
        [F.resourceUri]: p.method.startsWith('resources/') ? p.uri : undefined,
        [F.requestId]: (p.wireId ?? p.id) || undefined,
        [F.callId]: p.call.id,
        [F.legs]: p.call.legs,
        [F.toolListed]: p.method === 'tools/call' ? this.wasListed(p.tool) : undefined,
        [F.errorCondition]: condition,
        [F.outcome]: outcome,
        [F.cause]: cause,
        [F.errorType]: errorType,
        [F.durationUs]: Math.round(Math.max(0, now - p.call.startPerf) * 1000),
        [F.tokensMeaningful]: tally.meaningful,
        [F.tokensRedundant]: tally.redundant,
        [F.tokensUnused]: tally.unused,
        [F.tokensLost]: tally.lost,
        [F.tokensEstimated]: tally.estimated ? true : undefined,
        [F.contextValid]: valid,
        // Keyed only: an unkeyed digest of a short payload is guessable.
        [F.payloadDigest]:
          key !== undefined && facts?.payload
            ? digest(canonicalJson({ params: p.params ?? null, result: facts.payload.result ?? null, error: facts.payload.error ?? null }), key)
            : undefined,
      }),
      summary: `${spanName(p.method, p.tool ?? p.prompt)} ${outcome}${cause ? ` (${cause})` : ''}`,
    }));
  }

  /**
   * The session's end: its histogram points and the record that closes its
   * chain. A chain that covers a stretch of time rather than a session (the
   * proxy's stateless HTTP traffic, many clients together) records no
   * per-session point, and its chain ends with `chain_end`.
   */
  sessionEnd(now: number, startPerf: number, requests: number, totals: TokenTally, covers: ChainCover = 'session'): void {
    const perSession = covers === 'session';
    if (perSession) {
      const inst = this.core.instruments();
      const attrs = this.baseAttrs();
      inst.sessionRequests.record(requests, attrs);
      inst.sessionDuration.record((now - startPerf) / 1000, { ...attrs, ...this.networkAttrs() });
    }
    this.audit.write(perSession ? EVENT_AUDIT_SESSION_END : EVENT_AUDIT_CHAIN_END, undefined, performance.timeOrigin + now, () => ({
      fields: this.withSessionFields(undefined, {
        [F.kind]: perSession ? AUDIT_KIND_VALUES.sessionEnd : AUDIT_KIND_VALUES.chainEnd,
        // Placeholders, filled in place (see writeOperation).
        [F.mcpSessionId]: undefined,
        [F.user]: undefined,
        [F.server]: undefined,
        [F.serverVersion]: undefined,
        [F.clientName]: undefined,
        [F.clientVersion]: undefined,
        [F.protocolVersion]: undefined,
        [F.version]: undefined,
        [F.session]: undefined,
        [F.seq]: undefined,
        [F.time]: undefined,
        [F.observer]: undefined,
        [F.outcome]: OUT.success,
        [F.durationUs]: Math.round((now - startPerf) * 1000),
        [F.sessionRequests]: requests,
        [F.sessionRecords]: this.audit.records + 1,
        [F.tokensMeaningful]: totals.meaningful,
        [F.tokensRedundant]: totals.redundant,
        [F.tokensUnused]: totals.unused,
        [F.tokensLost]: totals.lost,
        [F.tokensEstimated]: totals.estimated ? true : undefined,
        [F.contextValid]: true,
      }),
      summary: `${perSession ? 'session' : 'chain'} end: ${requests} requests`,
    }));
  }

  /**
   * Who the record is about, written into its fields (sealing orders them:
   * written in place, not spread into the record, which would copy it once more
   * per record); the user is resolved once, when the first record is written.
   */
  private withSessionFields(p: Pending | undefined, fields: Record<string, AuditValue | undefined>): Record<string, AuditValue | undefined> {
    const id = this.identity;
    if (id.user === undefined && this.core.resolveUser) {
      const mcpSessionId = id.lastMcpSessionId;
      try {
        id.user = this.core.resolveUser({
          sessionId: id.sessionId,
          ...(mcpSessionId ? { mcpSessionId } : {}),
          ...(id.serverName ? { serverName: id.serverName } : {}),
        });
      } catch (error) {
        this.core.warn(`resolveUser threw: ${String(error)}`);
      }
    }
    fields[F.mcpSessionId] = p?.mcpSessionId ?? id.mcpSessionId();
    fields[F.user] = id.user;
    fields[F.server] = id.serverName;
    fields[F.serverVersion] = p?.call.serverVersion ?? id.serverVersion;
    fields[F.clientName] = id.clientName;
    fields[F.clientVersion] = id.clientVersion;
    fields[F.protocolVersion] = id.protocolVersion;
    return fields;
  }
}
