/**
 * One observed MCP session, from connect to close, read in the order a
 * request lives: it is sent (a span starts, trace context goes into
 * `_meta`), the SDK's promise for it is bound, its answer arrives and is
 * paired by id (or recognized as late by a tombstone), its analysis goes
 * out, and once that is back the accounting queue runs the rest of the
 * pipeline: the decision (outcome.ts), the tokens (token-ledger.ts) and
 * the records (recorder.ts). At close, what is pending is lost and the
 * session-end record closes the chain. Nothing here outlives the session.
 *
 * Longer than 400 lines on purpose: it is the one place a request's life is
 * read top to bottom, in order (a call of several legs, a cache delivery
 * and a late answer included); every decision and record it hands on
 * lives in its own file.
 */
import { context, propagation, SpanKind, trace, type Context, type Tracer } from '@opentelemetry/api';
import {
  LOSS_CAUSE_VALUES as CAUSE,
  OBSERVER_VALUES,
  ATTR_CALL_ID,
  ATTR_CONTEXT_DELIVERY,
  ATTR_LEG_INDEX,
  CONTEXT_DELIVERY_VALUES,
  LEG_REASON_VALUES as LEG,
  OUTCOME_VALUES as OUT,
  PROTOCOL_ERA_VALUES,
  CONTEXT_SOURCE_VALUES as SRC,
  VOLUME_EXCLUDED_METHODS,
  methodSpec,
  spanName,
  type LegReason,
  type Outcome,
  type ProtocolEra,
} from '@mcp-conservation/semconv';
import type { ConservationOptions } from '../types.js';
import type { AccountingQueue, Lane } from './accounting-queue.js';
import { renderedJob, type Analysis } from './analysis.js';
import type { Analyzer } from './analyzer.js';
import { Tombstones } from './bounded.js';
import { CallAssembler, isInputRetry, LISTING_METHODS, newCall, type Parked } from './calls.js';
import { jsonSize } from './json-size.js';
import { LISTEN_METHOD, ListenStreams } from './listens.js';
import { isObject } from './json.js';
import { addTally, emptyTally, type ChainCover, type Decision, type LogicalCall, type Pending, type SessionDirection, type SessionIdentity, type Settled, type TokenTally, type Tombstone, type Verdict, type WireFacts } from './model.js';
import * as decide from './outcome.js';
import { IdentityLearner, newSessionId, sessionIdentity } from './identity.js';
import { wireIdOf } from './wire-id.js';
import { Recorder, type RecorderContext, type TransportInfo } from './recorder.js';
import { TokenLedger } from './token-ledger.js';

type Msg = Record<string, unknown>;

/** JSON-RPC code of HeaderMismatch (2026-07-28): an `Mcp-Name` or `Mcp-Method` header that disagrees with the body. */
const HEADER_MISMATCH_CODE = '-32020';

/** What the client's `connect` sends: the probe (and its corrective re-probe) and the 2025 handshake. */
const CONNECT_METHODS: ReadonlySet<string> = new Set(['server/discover', 'initialize']);

/** What a session reads of the core that opened it. */
export interface SessionContext extends RecorderContext {
  readonly options: ConservationOptions;
  readonly analyzer: Analyzer;
  readonly queue: AccountingQueue;
  readonly requestLimit: number;
  /** Bytes of responses waiting to be counted past which responses are estimated (ConservationOptions.accountingBudgetBytes). */
  readonly accountingBudget: number;
  tracer(): Tracer;
  capProtocolVersion(version: string): string;
  /** Whether a response's tokens would be recorded anywhere now (see MeasuringCore.tokensRecorded). */
  tokensRecorded(): boolean;
  /** The known series of a server in an era, created at zero. */
  zeroInit(serverName: string | undefined, era: ProtocolEra | undefined): void;
}

export class McpSession {
  readonly sessionId = newSessionId();
  private readonly startPerf = performance.now();
  private readonly identity: SessionIdentity;
  private readonly pending = new Map<string, Pending>();
  private readonly tombstones: Tombstones<Tombstone>;
  /** Open `subscriptions/listen` streams: long-lived, never pending. */
  private readonly listens: ListenStreams;
  /** Multi-round-trip calls waiting for their next leg. */
  private readonly calls: CallAssembler;
  private readonly ledger: TokenLedger;
  private readonly recorder: Recorder;
  private readonly lane: Lane;
  /** Requests sent so far, and the last one's id (not the request: an answered one is not kept alive): binds a watched call to its request. */
  private sent = 0;
  private lastSentId: string | undefined;
  /** The latest unbound tools/call answer per tool, until accounted: where an unbound callTool's verdict goes. */
  private readonly unbound = new Map<string, Pending>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private requests = 0;
  /** Until the first request other than a probe or handshake: a refused probe is then a leg of `connect`. */
  private connecting = true;
  private closed = false;
  /** Learns the server and the protocol version from what crosses the wire. */
  private readonly learner: IdentityLearner;

  constructor(
    private readonly core: SessionContext,
    private readonly transport: TransportInfo,
    direction: SessionDirection = 'client',
  ) {
    const o = core.options;
    this.tombstones = new Tombstones(o.maxTombstones ?? 1000, o.lateWindowMs ?? 60_000);
    this.listens = new ListenStreams((m) => core.warn(m));
    this.calls = new CallAssembler(o.maxTombstones ?? 1000, o.lateWindowMs ?? 60_000);
    this.identity = sessionIdentity(this.sessionId, direction, transport);
    this.learner = new IdentityLearner(this.identity, core);
    if (o.userFromBaggage) this.identity.user = propagation.getBaggage(context.active())?.getEntry('enduser.id')?.value;
    this.recorder = new Recorder(core, this.identity, transport);
    this.ledger = new TokenLedger(this.recorder, o.maxDigests ?? 4096);
    this.lane = core.queue.lane();
  }

  /** True once the session's transport closed: nothing more is observed in it. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The protocol era learned from the traffic so far (`undefined` before any version is seen). */
  get era(): ProtocolEra | undefined {
    return this.identity.era;
  }

  /** The server's name, when known before initialize (an already connected client). */
  setServerName(name: string | undefined): void {
    if (name) this.identity.serverName = name;
  }

  // --- A request is sent ------------------------------------------------------------

  /** Observes a message the client sends; returns the message to send (a request gains trace context in `_meta`). */
  outgoing(message: unknown): unknown {
    if (this.closed || !isObject(message) || typeof message.method !== 'string') return message;
    if (message.id !== undefined && message.id !== null) return this.request(message, message.method);
    if (message.method === 'notifications/cancelled') {
      if (isObject(message.params)) this.listens.ended(String(message.params.requestId));
      this.cancelled(message.params);
    }
    return message;
  }

  private request(message: Msg, method: string): Msg {
    // A transport that sends a request again (the SDK's HTTP transport after
    // an OAuth refresh) passes it through send() twice: it is the same
    // request, already observed and already carrying its trace context.
    if (this.pending.has(String(message.id)) || this.listens.has(String(message.id))) return message;
    const params = isObject(message.params) ? message.params : undefined;
    if (method === LISTEN_METHOD) return this.listen(message, params);
    const name = typeof params?.name === 'string' ? params.name : undefined;
    const tool = method === 'tools/call' ? name : undefined;
    const prompt = method === 'prompts/get' ? name : undefined;
    const uri = typeof params?.uri === 'string' ? params.uri : undefined;
    const id = String(message.id);
    const wireId = wireIdOf(message) ?? id;
    this.learner.fromRequest(method, params);
    const mcpSessionId = this.identity.mcpSessionId();
    const now = performance.now();
    // A multi-round-trip retry is the next leg of the call it continues, and no call of its own.
    let reason: LegReason = LEG.initial;
    let continued: LogicalCall | undefined;
    let resumed: ReturnType<CallAssembler['resume']> | undefined;
    const reissued = this.calls.waitsForReissue() ? this.calls.reissue({ method, tool, prompt, uri }, params) : undefined;
    if (reissued) {
      [continued, reason] = [reissued.last.call, LEG.reissue];
      // The broken leg ends as a leg: its error, its span, its duration up to the break.
      this.legEnded(reissued.last, {}, reissued.brokeAt ?? now, reissued.facts ?? decide.readWireFacts({}, false), undefined, undefined, reissued.decision);
    } else if (isInputRetry(method, params)) {
      resumed = this.calls.resume({ method, tool, prompt, uri }, params?.requestState, params?.inputResponses);
      [continued, reason] = [resumed === 'unlinked' ? undefined : resumed, LEG.inputRound];
    } else if (method === 'tools/list' && this.calls.waitsForRelisting()) [continued, reason] = [this.calls.relisting(), LEG.relist];
    else if (method === 'tools/call') [continued, reason] = [this.calls.headerRetry({ method, tool }), LEG.headerRetry];
    else if (CONNECT_METHODS.has(method)) [continued, reason] = [this.calls.connectRetry(), LEG.versionRetry];
    else if (LISTING_METHODS.has(method)) [continued, reason] = [this.listingLeg(method, params?.cursor, now), LEG.nextPage];
    // `connect` is over once anything but its probe or handshake is sent.
    if (!CONNECT_METHODS.has(method)) this.connecting = false;
    const call = continued ?? newCall(now);
    if (resumed === 'unlinked') call.unlinked = true;
    call.lastLeg = id;
    const attributes = this.recorder.requestAttributes(method, wireId, { tool, prompt, uri, mcpSessionId, args: params?.arguments, call, reason: continued ? reason : LEG.initial });
    const parent = context.active();
    // A later leg links to the call's first: the legs of one call, one span per wire request each.
    const links = call.firstSpan ? [{ context: call.firstSpan, attributes: { [ATTR_CALL_ID]: call.id } }] : undefined;
    // Started and ended on the monotonic clock (the SDK anchors it to the wall clock once): a span ended at a
    // performance time but started at Date.now() is off by the two clocks' drift, or ends before it starts.
    const span = this.core.tracer().startSpan(spanName(method, this.core.capTool(tool ?? prompt)), { kind: SpanKind.CLIENT, attributes, startTime: now, ...(links ? { links } : {}) }, parent);
    call.firstSpan ??= span.spanContext();
    const pending: Pending = {
      id,
      wireId: wireId === id ? undefined : wireId,
      call,
      method,
      tool,
      prompt,
      uri,
      fresh: params?.cursor === undefined,
      startPerf: now,
      span,
      ...(continued && reason === LEG.relist ? { relist: true } : {}),
      params: this.core.auditKey !== undefined ? (params ?? null) : undefined,
      mcpSessionId,
    };
    this.pending.set(id, pending);
    this.sent++;
    this.lastSentId = id;
    this.ledger.noteUse(method, params);
    if (call.unlinked) this.recorder.unlinkedRetry(pending);
    if (!continued && !VOLUME_EXCLUDED_METHODS.includes(method)) this.countCall();
    return this.inject(message, params, trace.setSpan(parent, span));
  }

  /** A listen stream opens: a CLIENT span until its acknowledgment, and no call, pending request or record. */
  private listen(message: Msg, params: Msg | undefined): Msg {
    const id = String(message.id);
    this.learner.fromRequest(LISTEN_METHOD, params);
    const { [ATTR_CALL_ID]: _call, [ATTR_LEG_INDEX]: _leg, ...attributes } = this.recorder.requestAttributes(LISTEN_METHOD, wireIdOf(message) ?? id, { mcpSessionId: this.identity.mcpSessionId(), call: newCall(performance.now()) });
    const parent = context.active();
    const span = this.core.tracer().startSpan(spanName(LISTEN_METHOD), { kind: SpanKind.CLIENT, attributes }, parent);
    this.listens.opened(id, span);
    return this.inject(message, params, trace.setSpan(parent, span));
  }

  /**
   * A listing request: the next page of the walk whose `nextCursor` it
   * echoes. A fresh one (no cursor) ends the walks of the same method still
   * waiting: the host stopped walking them.
   */
  private listingLeg(method: string, cursor: unknown, now: number): LogicalCall | undefined {
    if (typeof cursor === 'string') return this.calls.nextPage(method, cursor);
    if (cursor === undefined) for (const walk of this.calls.walksEnded(method)) this.decideParked(walk, now);
    return undefined;
  }

  /**
   * One more logical call in the session's volume; the one past the limit is
   * counted live. Traffic that is no session has no limit to cross.
   */
  private countCall(): void {
    this.requests++;
    if (this.transport.sessionless?.()) this.recorder.sessionlessCall();
    else if (this.requests === this.core.requestLimit + 1) this.recorder.overLimit();
  }

  private inject(message: Msg, params: Msg | undefined, ctx: Context): Msg {
    const carrier: Record<string, string> = {};
    propagation.inject(ctx, carrier);
    if (!this.core.options.propagateBaggage) delete carrier.baggage;
    if (Object.keys(carrier).length === 0) return message;
    const meta = isObject(params?._meta) ? params._meta : {};
    // A copy: the caller's params object is never changed.
    return { ...message, params: { ...(params ?? {}), _meta: { ...meta, ...carrier } } };
  }

  /**
   * The transport failed to send a message. `errorType` names the failure
   * where the transport knows it, bounded by the caller (an HTTP status
   * code as a string, per the HTTP conventions' error.type); else
   * `transport_error`.
   */
  sendFailed(message: unknown, error: unknown, errorType?: string): void {
    if (this.closed || !isObject(message) || message.id === undefined) return;
    const id = String(message.id);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const d = decide.transportClosed(String((error as Error)?.message ?? error), errorType);
    // A 2025 server refuses the probe at the HTTP level (a 400 or 404 the transport throws), and the client falls back.
    if (p.method === 'server/discover' && this.connecting) this.probeRefused(p, {}, performance.now(), decide.readWireFacts({}, false), undefined, d);
    else this.finish(p, performance.now(), d);
  }

  // --- The SDK's promise for it is bound --------------------------------------------

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
    const p = this.lastSentId === undefined ? undefined : this.pending.get(this.lastSentId);
    if (this.sent !== sentBefore + 1 || !p) return undefined;
    if (tool !== undefined && (p.method !== 'tools/call' || p.tool !== tool)) return undefined;
    const call = p.call;
    const verdict = (call.verdict ??= { watchers: 0, settled: false });
    verdict.watchers++;
    return ({ invalidReason, timedOut }) => {
      if (invalidReason !== undefined) verdict.invalidReason ??= invalidReason;
      // The call's latest leg is the one waited for (a multi-round-trip call sends several).
      const leg = call.lastLeg === undefined ? undefined : this.pending.get(call.lastLeg);
      if (timedOut !== undefined && leg?.call === call) this.gaveUp(leg, timedOut);
      if (--verdict.watchers === 0) verdict.settled = true;
      this.lane.wake();
    };
  }

  /** Requests sent so far (read before a request or callTool, for bindRequest). */
  get requestsSent(): number {
    return this.sent;
  }

  /** SDK-level output-schema validation rejected the latest result of this tool (a callTool that could not be bound). */
  invalidResult(tool: string, reason: string): void {
    // The latest answer of the tool is the one its caller just validated; a second report (two hooks) changes nothing.
    const p = this.unbound.get(tool);
    if (p) (p.call.verdict ??= { watchers: 0, settled: true }).invalidReason ??= reason;
  }

  /**
   * The v2 client served a call from its cache (a listing, or a resource
   * read, while the server's `ttlMs` holds): a logical call with no leg.
   * The host asked and received the content, so it counts in volume and its
   * tokens are delivered, marked as from the cache; no response was expected.
   */
  servedFromCache(method: string, result: unknown): void {
    if (this.closed || !isObject(result)) return;
    const now = performance.now();
    const call = newCall(now);
    call.legs = 0;
    const attributes = this.recorder.requestAttributes(method, '', { call });
    const span = this.core.tracer().startSpan(spanName(method), { kind: SpanKind.INTERNAL, startTime: now, attributes: { ...attributes, [ATTR_CONTEXT_DELIVERY]: CONTEXT_DELIVERY_VALUES.cache } });
    const p: Pending = { id: '', call, method, tool: undefined, prompt: undefined, uri: undefined, fresh: true, startPerf: now, span, params: undefined, mcpSessionId: this.identity.mcpSessionId(), cached: true };
    if (!VOLUME_EXCLUDED_METHODS.includes(method)) this.countCall();
    const message = { result };
    const facts = decide.readWireFacts(message, this.core.auditKey !== undefined);
    let analysis: Analysis | undefined;
    this.queueAnalyzed(message, method, undefined, undefined, (a) => (analysis = a), () => this.account(p, now, facts, analysis), undefined);
  }

  // --- Its answer arrives ------------------------------------------------------------

  /** Observes a message the client receives. `wireBytes` when the observer saw raw bytes. */
  incoming(message: unknown, wireBytes?: number): void {
    if (this.closed || !isObject(message)) return;
    if (typeof message.method === 'string' && this.listens.size > 0) this.listens.notification(message);
    if (message.method !== undefined || message.id === undefined || message.id === null) return;
    if (!('result' in message) && !('error' in message)) return;
    if (this.listens.answered(String(message.id), message)) return;
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
    if (this.pending.has(id) || typeof raw !== 'string' || this.core.observer !== OBSERVER_VALUES.sdk) return id;
    const n = Number(raw);
    return Number.isInteger(n) ? String(n) : id;
  }

  private arrived(p: Pending, message: Msg, now: number, wireBytes?: number): void {
    if (isObject(message.result)) {
      const serverVersion = this.learner.fromResult(p.method, message.result);
      if (serverVersion !== undefined) p.call.serverVersion = serverVersion;
    }
    const keepPayload = this.core.auditKey !== undefined || (this.core.captureContent && p.method === 'tools/call');
    const facts = decide.readWireFacts(message, keepPayload);
    if (facts.interim) {
      this.interim(p, message, now, facts, wireBytes);
      return;
    }
    if (p.method === 'server/discover' && facts.error && this.connecting) {
      this.probeRefused(p, message, now, facts, wireBytes);
      return;
    }
    if (p.method === 'tools/call' && facts.error?.code === HEADER_MISMATCH_CODE && this.identity.era === PROTOCOL_ERA_VALUES.modern) {
      this.headerMismatch(p, message, now, facts, wireBytes);
      return;
    }
    if (p.relist) {
      // The client's cache gets this listing, not the host: no definition is delivered by it.
      this.legEnded(p, message, now, facts, wireBytes, SRC.toolDefinition, facts.error ? decide.decideResponse(p.method, facts, undefined) : undefined);
      return;
    }
    if (facts.nextCursor !== undefined && LISTING_METHODS.has(p.method)) {
      // Parked now, not once accounted: the SDK asks for the next page as soon as this one arrives.
      const evicted = this.calls.parkPage(p, facts.nextCursor, facts, now);
      if (evicted) this.decideParked(evicted, now);
      this.scheduleSweep();
    }
    if (p.method === 'tools/call' && p.tool !== undefined && !p.call.verdict) this.unbound.set(p.tool, p);
    let analysis: Analysis | undefined;
    this.queueAnalyzed(message, p.method, wireBytes, p.call.verdict, (a) => (analysis = a), () => {
      if (p.tool !== undefined && this.unbound.get(p.tool) === p) this.unbound.delete(p.tool);
      this.account(p, now, facts, analysis);
    }, p.tool);
    this.lane.bound();
  }

  /**
   * An `input_required` answer: one leg of a multi-round-trip call, not its
   * outcome. The call waits for its next leg; the interim result is wire
   * overhead, never context.
   */
  private interim(p: Pending, message: Msg, now: number, facts: WireFacts, wireBytes: number | undefined): void {
    const evicted = this.calls.park(p, facts.interim?.state, now, facts.interim?.keys);
    if (evicted) this.decideParked(evicted, now);
    this.scheduleSweep();
    this.legEnded(p, message, now, facts, wireBytes, SRC.inputRequired, undefined);
  }

  /**
   * A `tools/call` answered `-32020` HeaderMismatch in the modern era: the
   * v2 client re-lists and retries it, so the error is a leg, not yet the
   * outcome; it is the outcome if no retry comes.
   */
  private headerMismatch(p: Pending, message: Msg, now: number, facts: WireFacts, wireBytes: number | undefined): void {
    const d = decide.decideResponse(p.method, facts, undefined);
    const evicted = this.calls.parkForHeaderRetry(p, d, facts, now);
    if (evicted) this.decideParked(evicted, now);
    this.scheduleSweep();
    this.legEnded(p, message, now, facts, wireBytes, undefined, d);
  }

  /**
   * A probe `connect` sent, answered with an error (or refused at the HTTP
   * level): the v2 client re-probes with a version a `-32022` named, or
   * falls back to `initialize`, so the
   * error is a leg of `connect`, and its outcome only if nothing follows.
   */
  private probeRefused(p: Pending, message: Msg, now: number, facts: WireFacts, wireBytes: number | undefined, d = decide.decideResponse(p.method, facts, undefined)): void {
    const evicted = this.calls.parkForConnect(p, d, facts, now);
    if (evicted) this.decideParked(evicted, now);
    this.scheduleSweep();
    this.legEnded(p, message, now, facts, wireBytes, undefined, d);
  }

  /** A leg that decides nothing by itself: its duration, its span, and its bytes as wire overhead of `source`. */
  private legEnded(p: Pending, message: Msg, now: number, facts: WireFacts, wireBytes: number | undefined, source: string | undefined, d: Decision | undefined): void {
    this.lane.enqueue(() => {
      let bytes = wireBytes;
      try {
        bytes ??= jsonSize(message) ?? 0;
      } catch {
        bytes = 0; // unserializable: nothing to size
      }
      this.recorder.legEnded(p, now, facts, source === undefined ? 0 : bytes, source, d);
    });
  }

  /** A parked call that no leg followed: an unresolved multi-round-trip call, the `-32020` or refused probe the host then got, or a walk stopped on its last page. */
  private decideParked(parked: Parked, now: number): void {
    const call = parked.last.call;
    this.lane.enqueue(() => {
      if (call.decided) return;
      call.decided = true;
      if (parked.kind === 'page' && parked.facts) {
        // Run after the page's own accounting (the lane keeps order): its tokens are in the call's tally.
        const d = decide.decideResponse(parked.last.method, parked.facts, call.verdict?.invalidReason);
        this.recorder.operation(parked.last, now, d, call.pages ?? emptyTally(), parked.facts, true);
        return;
      }
      const d = parked.decision ?? decide.inputUnresolved();
      // A leg whose stream broke was not ended as a leg: it ends here, at the break, with the call's outcome.
      if (parked.kind === 'reissue') this.recorder.operation(parked.last, parked.brokeAt ?? now, d, emptyTally(), parked.facts, false);
      else this.recorder.operation(parked.last, now, d, emptyTally(), parked.facts, true);
    });
  }

  /** Queues `run`, ready once the response's analysis (if it has one) is back. */
  private queueAnalyzed(message: Msg, method: string, wireBytes: number | undefined, verdict: Verdict | undefined, keep: (a: Analysis) => void, run: () => void, tool: string | undefined): void {
    const item = { tick: this.lane.tick, ready: true, ...(verdict ? { verdict } : {}), run };
    const analyzing = this.analyze(method, message, wireBytes, tool, (a) => {
      keep(a);
      item.ready = true;
      this.lane.pump();
    });
    if (analyzing) item.ready = false;
    this.lane.push(item);
  }

  /** Starts the analysis of a response when it is rendered; calls `done` (later) with it, or returns false. */
  private analyze(method: string, message: Msg, wireBytes: number | undefined, tool: string | undefined, done: (a: Analysis) => void): boolean {
    if (!('result' in message) || this.core.options.tokens === false || !this.core.tokensRecorded()) return false;
    // Only rendered methods are analyzed, whoever observes: the SDK patch and the proxy count the same.
    if (!methodSpec(method)) return false;
    const rendered = this.core.options.renderer === undefined ? renderedJob(method, message, wireBytes) : undefined;
    // Past the backlog budget, counted from its bytes with a ratio calibrated per server, tool and source.
    const budget = { budgetBytes: this.core.accountingBudget, server: this.identity.serverName, tool };
    this.core.analyzer.analyze(rendered ?? { method, message, ...(wireBytes !== undefined ? { wireBytes } : {}) }, done, budget);
    return true;
  }

  /** Decides and records the outcome of a response that arrived (run by the queue, its analysis back). */
  private account(p: Pending, now: number, facts: WireFacts, analysis: Analysis | undefined): void {
    const tally = emptyTally();
    let d = decide.decideResponse(p.method, facts, p.call.verdict?.invalidReason);
    if (analysis && facts.hasResult) {
      const lostCause = d.outcome === OUT.invalidResult ? CAUSE.invalid : undefined;
      const truncated = this.ledger.deliver(p, analysis, { lostCause, lastPage: facts.lastPage, limit: this.core.options.maxResultTokens }, tally);
      if (truncated) d = decide.withTruncation(d);
      const overhead = analysis.wireBytes - analysis.renderBytes;
      if (overhead > 0) this.recorder.wireOverhead(p, overhead);
    }
    this.decided(p, now, d, tally, facts);
  }

  /**
   * Every decided leg passes here on its way to the recorder. A listing
   * page with more to come is a leg: its tokens join the call's tally and
   * the call waits for its next page. Any other leg decides its call, once.
   */
  private decided(p: Pending, now: number, d: Decision, tally: TokenTally, facts: WireFacts | undefined): void {
    const call = p.call;
    if (call.decided) return;
    const morePages = facts?.nextCursor !== undefined && LISTING_METHODS.has(p.method);
    if (morePages && d.outcome === OUT.success) {
      call.pages = addTally(call.pages, tally);
      this.recorder.legEnded(p, now, facts, 0, undefined, undefined);
      return;
    }
    if (morePages) this.calls.unpark(call);
    call.decided = true;
    this.recorder.operation(p, now, d, call.pages ? addTally(call.pages, tally) : tally, facts);
  }

  /** Queues the record of an operation decided without an answer. */
  private finish(p: Pending, now: number, d: Decision): void {
    this.lane.enqueue(() => this.decided(p, now, d, emptyTally(), undefined));
  }

  // --- Or it is given up, or lost ------------------------------------------------------

  private cancelled(params: unknown): void {
    if (!isObject(params)) return;
    const p = this.pending.get(String(params.requestId));
    if (p) this.gaveUp(p, params.reason);
    else if (this.calls.waitsForReissue()) {
      // The caller gave up on a request whose stream broke: no re-issue follows, it is decided now.
      const waiting = this.calls.reissueEnded(String(params.requestId));
      if (waiting) this.decideParked(waiting, performance.now());
    }
  }

  /** The caller gave up on a request: a timeout (its own outcome, a loss decided later) or a cancellation. */
  private gaveUp(p: Pending, reason: unknown): void {
    this.pending.delete(p.id);
    const now = performance.now();
    if (p.unparseable !== undefined && decide.isTimeoutReason(reason)) {
      // The caller waited in vain for a response that came unparseable.
      this.lostUnparseable(p, now);
    } else if (p.streamEnded !== undefined && decide.isTimeoutReason(reason)) {
      // The caller waited in vain on a stream that had ended: no answer could come, late or not.
      this.finish(p, now, decide.transportClosed(p.streamEnded));
    } else if (decide.isTimeoutReason(reason)) {
      this.bury(p, 'timeout', OUT.timeout, now);
      this.finish(p, now, decide.timedOut(reason));
    } else {
      this.bury(p, 'cancelled', OUT.cancelled, now);
      this.finish(p, now, decide.cancelled(reason));
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
    if (this.closed || !decide.isParseError(error)) return;
    const message = String((error as Error)?.message ?? error).slice(0, 500);
    if (this.pending.size !== 1) {
      this.core.warn(`unparseable message with ${this.pending.size} requests pending; not attributed: ${message.slice(0, 200)}`);
      return;
    }
    const p = this.pending.values().next().value as Pending;
    p.unparseable ??= message;
  }

  /**
   * The response stream of a request broke before its answer, seen where
   * the stream is (the proxy), and the client cannot resume it (it gave no
   * event id). The request is no longer pending: nothing can answer it. A
   * re-issue (the same method and params) is its call's next leg; without
   * one within the late window, or once the caller cancels it or the
   * session ends, it is lost as `transport_closed`.
   */
  responseStreamBroke(message: unknown, statusMessage: string): void {
    if (this.closed || !isObject(message) || message.id === undefined) return;
    const p = this.pending.get(String(message.id));
    if (!p) return;
    this.pending.delete(p.id);
    const now = performance.now();
    const params = isObject(message.params) ? message.params : undefined;
    const evicted = this.calls.parkForReissue(p, params, decide.transportClosed(statusMessage), decide.readWireFacts({}, false), now);
    if (evicted) this.decideParked(evicted, now);
    this.scheduleSweep();
  }

  /**
   * The response stream of a request ended before its answer, and the
   * transport will not resume it (the SDK v2 HTTP transport's
   * `onRequestStreamEnd`). The request is not ended here: the caller ends
   * it (a timeout, a close), and it is then lost as `transport_closed`. An
   * answer that comes after all is the answer.
   */
  responseStreamEnded(message: unknown): void {
    if (this.closed || !isObject(message) || message.id === undefined) return;
    const p = this.pending.get(String(message.id));
    if (p) p.streamEnded ??= 'the response stream ended before the answer';
  }

  /** A request whose response most likely came unparseable ended without one. */
  private lostUnparseable(p: Pending, now: number): void {
    this.bury(p, 'decided', OUT.protocolError, now);
    this.finish(p, now, decide.unparseable(p.unparseable));
  }

  /** An answer to a request given up on: everything it carried is lost. */
  private late(tomb: Tombstone, message: Msg, wireBytes?: number): void {
    let analysis: Analysis | undefined;
    this.queueAnalyzed(message, tomb.pending.method, wireBytes, undefined, (a) => (analysis = a), () => {
      this.recorder.late(tomb.pending, decide.lateAnswer(tomb), this.ledger.lateLoss(tomb.pending, analysis), analysis?.estimated);
    }, tomb.pending.tool);
  }

  // --- Tombstones ------------------------------------------------------------------------

  private bury(p: Pending, kind: Tombstone['kind'], outcome: Outcome, now: number): void {
    const evicted = this.tombstones.add(p.id, { pending: p, kind, outcome }, now);
    if (evicted) this.recorder.expired(evicted);
    this.scheduleSweep();
  }

  /** One timer for both expiries: tombstones (late answers) and parked calls (their next leg). */
  private scheduleSweep(): void {
    if (this.sweepTimer || (this.tombstones.size === 0 && this.calls.size === 0)) return;
    const next = Math.min(this.tombstones.nextExpiry() ?? Infinity, this.calls.nextExpiry() ?? Infinity);
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      try {
        const now = performance.now();
        for (const t of this.tombstones.expire(now)) this.recorder.expired(t);
        for (const parked of this.calls.expire(now)) this.decideParked(parked, now);
        this.scheduleSweep();
      } catch (error) {
        this.core.warn(`tombstone sweep failed: ${String(error)}`);
      }
    }, Math.max(0, (Number.isFinite(next) ? next : performance.now()) - performance.now()) + 1);
    this.sweepTimer.unref();
  }

  // --- The session closes ------------------------------------------------------------------

  /**
   * The transport closed: pending requests are lost, definitions decided,
   * the session ends, at `endedAt` (a `performance.now()` time) when the
   * end is known only later (an HTTP session found idle). `covers` says
   * whether the chain was a session or a stretch of sessionless traffic
   * (by default, what the transport says it is).
   */
  close(endedAt?: number, covers: ChainCover = this.transport.sessionless?.() ? 'time' : 'session'): void {
    if (this.closed) return;
    const now = endedAt ?? performance.now();
    for (const p of this.pending.values()) {
      if (p.unparseable !== undefined) this.lostUnparseable(p, now);
      else this.finish(p, now, decide.transportClosed(p.streamEnded ?? 'transport closed with the request pending'));
    }
    this.pending.clear();
    for (const parked of this.calls.drain()) this.decideParked(parked, now);
    this.listens.close();
    this.lastSentId = undefined;
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.lane.enqueue(() => {
      for (const t of this.tombstones.drain()) this.recorder.expired(t);
      this.ledger.settle();
      this.recorder.sessionEnd(now, this.startPerf, this.requests, this.ledger.totals, covers);
    });
  }
}
