/**
 * Assembles wire legs into logical calls (docs/conservation-metrics.md#logical-calls-and-their-legs).
 * A multi-round-trip call (2026-07-28) is answered `input_required`, and the
 * client retries the same method under a new id with `inputResponses` and
 * the echoed `requestState`: each retry is a leg of the call that was
 * answered so. A `tools/call` answered `-32020` HeaderMismatch is re-listed
 * and retried by the v2 client: the listing and the retry are its legs. A
 * listing page answered with a `nextCursor` is a leg, and the request that
 * echoes the cursor is the call's next page, whether the SDK or the host
 * walks the pages. `connect` is a call too: a `server/discover` probe answered
 * with an error (a `-32022` naming other versions, or a 2025 server's refusal)
 * is a leg, and the corrective re-probe or the `initialize` fallback that
 * follows is its next leg. A parked call waits for its next leg up to the late window;
 * one that gets none is unresolved. Holds no payload: a `requestState`
 * (which may be megabytes) is remembered by its length and ends only.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Decision, LogicalCall, Pending, WireFacts } from './model.js';
import { inputKeys } from './outcome.js';

/** Calls minted in this process: a random prefix per process, a counter per call. */
const PROCESS_PREFIX = randomUUID().slice(0, 8);
let minted = 0;

export function newCall(startPerf: number): LogicalCall {
  return { id: `${PROCESS_PREFIX}-${(++minted).toString(36)}`, legs: 1, startPerf };
}

/** The methods whose results are pages of a listing: a `nextCursor` asks for the next leg. */
export const LISTING_METHODS: ReadonlySet<string> = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']);

/** The methods whose results may be `input_required` (basic/patterns/mrtr). */
const MULTI_ROUND_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** A request that continues a multi-round-trip call: it answers input requests or echoes state. */
export function isInputRetry(method: string, params: Record<string, unknown> | undefined): boolean {
  return MULTI_ROUND_METHODS.has(method) && params !== undefined && (params.inputResponses !== undefined || params.requestState !== undefined);
}

/**
 * What a call is waiting for: the next round of a multi-round-trip call
 * (`input`), the SDK's re-listing and retry after a `-32020`
 * HeaderMismatch (`header`, whose decision, should no retry come, is the
 * error the host then got), or the next page of a listing (`page`: a walk
 * the host stops is decided on its last page), or the re-probe or
 * `initialize` after a probe `connect` sent was refused (`connect`, decided
 * as that refusal should none come).
 */
export interface Parked {
  readonly kind: 'input' | 'header' | 'page' | 'connect' | 'reissue';
  readonly last: Pending;
  readonly target: string;
  readonly state: string | undefined;
  /** The keys of the interim answer's `inputRequests` (input legs), which the retry's `inputResponses` echo. */
  readonly keys?: string | undefined;
  readonly expires: number;
  readonly decision?: Decision;
  readonly facts?: WireFacts;
  /** performance.now() when the leg's response stream broke (`reissue`): its span and duration end there. */
  readonly brokeAt?: number;
}

/** A request's params less `_meta` (trace context, progress tokens differ between issues), as a digest: nothing kept whole. */
export function paramsDigest(params: unknown): string {
  let rest = params;
  if (typeof params === 'object' && params !== null && !Array.isArray(params) && '_meta' in params) {
    const { _meta: _ignored, ...others } = params as Record<string, unknown>;
    rest = others;
  }
  return createHash('sha256').update(JSON.stringify(rest ?? null)).digest('base64');
}

/** The request state's length and a short sample of its ends: enough to tell parallel calls apart, nothing kept whole. */
function fingerprint(state: unknown): string | undefined {
  if (typeof state !== 'string') return undefined;
  if (state.length <= 64) return detached(state);
  return `${state.length}:${detached(state.slice(0, 32) + state.slice(-32))}`;
}

/**
 * A copy of `s` that shares no storage: V8 keeps a slice of a long string
 * as a view into it, so a sample kept while a call waits would hold a
 * 64 MB requestState alive with it.
 */
function detached(s: string): string {
  const units = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) units[i] = s.charCodeAt(i);
  return String.fromCharCode(...units);
}

function targetOf(p: { method: string; tool?: string | undefined; prompt?: string | undefined; uri?: string | undefined }): string {
  return `${p.method}\u0000${p.tool ?? p.prompt ?? p.uri ?? ''}`;
}

export class CallAssembler {
  /** Parked calls by call id, oldest first. */
  private readonly parked = new Map<string, Parked>();

  constructor(
    private readonly capacity: number,
    private readonly waitMs: number,
  ) {}

  get size(): number {
    return this.parked.size;
  }

  /** The leg `p` was answered `input_required` with `state`. Returns a call pushed out by the capacity, to be decided now. */
  park(p: Pending, state: unknown, now: number, keys?: string): Parked | undefined {
    return this.add({ kind: 'input', last: p, target: targetOf(p), state: fingerprint(state), keys, expires: now + this.waitMs });
  }

  /** The `tools/call` leg `p` was answered `-32020`: the v2 client re-lists and retries it. */
  parkForHeaderRetry(p: Pending, decision: Decision, facts: WireFacts, now: number): Parked | undefined {
    return this.add({ kind: 'header', last: p, target: targetOf(p), state: undefined, expires: now + this.waitMs, decision, facts });
  }

  /** A probe `connect` sent was refused: its re-probe or `initialize`, if one comes, is the call's next leg. */
  parkForConnect(p: Pending, decision: Decision, facts: WireFacts, now: number): Parked | undefined {
    return this.add({ kind: 'connect', last: p, target: targetOf(p), state: undefined, expires: now + this.waitMs, decision, facts });
  }

  /**
   * The response stream of leg `p` broke before its answer and will not be
   * resumed: a re-issue (the same method and params) is its next leg, and
   * without one it is lost as `decision` says.
   */
  parkForReissue(p: Pending, params: unknown, decision: Decision, facts: WireFacts, now: number): Parked | undefined {
    return this.add({ kind: 'reissue', last: p, target: targetOf(p), state: paramsDigest(params), expires: now + this.waitMs, decision, facts, brokeAt: now });
  }

  /** Calls wait for a re-issue: only then is a request's params digest worth taking. */
  waitsForReissue(): boolean {
    for (const p of this.parked.values()) if (p.kind === 'reissue') return true;
    return false;
  }

  /**
   * A request with the same method, target and params as a leg whose stream
   * broke: the re-issue, that call's next leg. With two such calls waiting
   * it cannot be told which it continues: it continues none.
   */
  reissue(request: { method: string; tool?: string | undefined; prompt?: string | undefined; uri?: string | undefined }, params: unknown): Parked | undefined {
    const target = targetOf(request);
    const digest = paramsDigest(params);
    const candidates = [...this.parked].filter(([, p]) => p.kind === 'reissue' && p.target === target && p.state === digest);
    if (candidates.length !== 1) return undefined;
    const [id, parked] = candidates[0]!;
    this.parked.delete(id);
    parked.last.call.legs++;
    return parked;
  }

  /** The caller ended the call whose leg `id` broke waiting for a re-issue (its cancellation names that leg): decided now. */
  reissueEnded(id: string): Parked | undefined {
    for (const [callId, p] of this.parked) {
      if (p.kind !== 'reissue' || p.last.id !== id) continue;
      this.parked.delete(callId);
      return p;
    }
    return undefined;
  }

  /** The re-probe or `initialize` of a `connect` whose probe was refused: the next leg of that call. */
  connectRetry(): LogicalCall | undefined {
    for (const [id, p] of this.parked) {
      if (p.kind !== 'connect') continue;
      this.parked.delete(id);
      p.last.call.legs++;
      return p.last.call;
    }
    return undefined;
  }

  private add(parked: Parked): Parked | undefined {
    const id = parked.last.call.id;
    this.parked.delete(id);
    this.parked.set(id, parked);
    if (this.parked.size <= this.capacity) return undefined;
    const [oldestId, oldest] = this.parked.entries().next().value as [string, Parked];
    this.parked.delete(oldestId);
    return oldest;
  }

  /** The listing leg `p` was answered with `cursor` as its `nextCursor`: the request that echoes it is the next page. */
  parkPage(p: Pending, cursor: string, facts: WireFacts, now: number): Parked | undefined {
    return this.add({ kind: 'page', last: p, target: targetOf(p), state: fingerprint(cursor), expires: now + this.waitMs, facts });
  }

  /** A listing request with `cursor`: the next page of the walk that was answered with it, if one waits. */
  nextPage(method: string, cursor: string): LogicalCall | undefined {
    const target = targetOf({ method });
    const echoed = fingerprint(cursor);
    for (const [id, p] of this.parked) {
      if (p.kind !== 'page' || p.target !== target || p.state !== echoed) continue;
      this.parked.delete(id);
      p.last.call.legs++;
      return p.last.call;
    }
    return undefined;
  }

  /** A fresh listing of `method` (no cursor): the walks of it still waiting have ended on their last page. */
  walksEnded(method: string): Parked[] {
    const target = targetOf({ method });
    const out: Parked[] = [];
    for (const [id, p] of this.parked) {
      if (p.kind !== 'page' || p.target !== target) continue;
      this.parked.delete(id);
      out.push(p);
    }
    return out;
  }

  /** Takes `call` out of its wait (a page that turned out to decide the call). */
  unpark(call: LogicalCall): void {
    this.parked.delete(call.id);
  }

  /** A call waits for the SDK's re-listing after a `-32020`. */
  waitsForRelisting(): boolean {
    for (const p of this.parked.values()) if (p.kind === 'header') return true;
    return false;
  }

  /** A `tools/list` while a call waits for its header retry: the SDK's re-listing, a leg of that call. */
  relisting(): LogicalCall | undefined {
    for (const p of this.parked.values()) {
      if (p.kind === 'header') {
        p.last.call.legs++;
        return p.last.call;
      }
    }
    return undefined;
  }

  /** The retried `tools/call` after a `-32020`: the final leg of the call that was answered so. */
  headerRetry(retry: { method: string; tool?: string | undefined }): LogicalCall | undefined {
    // Every tools/call asks; nearly always nothing is parked: no target key is built for nothing.
    if (this.parked.size === 0) return undefined;
    const target = targetOf(retry);
    for (const [id, p] of this.parked) {
      if (p.kind !== 'header' || p.target !== target) continue;
      this.parked.delete(id);
      p.last.call.legs++;
      return p.last.call;
    }
    return undefined;
  }

  /**
   * The call a retry continues: among the parked calls of the same method
   * and target, the one whose `requestState` it echoes, narrowed by the
   * keys of its `inputResponses` when several do (or none sent state).
   * A retry that leaves more than one candidate, or none, is `unlinked`:
   * it cannot be told which call it continues, so it continues none.
   */
  resume(retry: { method: string; tool?: string | undefined; prompt?: string | undefined; uri?: string | undefined }, state: unknown, responses?: unknown): LogicalCall | 'unlinked' {
    const target = targetOf(retry);
    let candidates = [...this.parked].filter(([, p]) => p.kind === 'input' && p.target === target);
    const echoed = fingerprint(state);
    const byState = echoed === undefined ? [] : candidates.filter(([, p]) => p.state === echoed);
    if (byState.length > 0) candidates = byState;
    if (candidates.length > 1) {
      const keys = inputKeys(responses).keys;
      const byKeys = keys === undefined ? [] : candidates.filter(([, p]) => p.keys === keys);
      if (byKeys.length > 0) candidates = byKeys;
    }
    if (candidates.length !== 1) return 'unlinked';
    const [id, parked] = candidates[0]!;
    this.parked.delete(id);
    const call = parked.last.call;
    call.legs++;
    return call;
  }

  /** The calls whose wait ended by `now`, to be decided on their last leg. */
  expire(now: number): Parked[] {
    const out: Parked[] = [];
    for (const [id, p] of this.parked) {
      if (p.expires > now) break;
      this.parked.delete(id);
      out.push(p);
    }
    return out;
  }

  /** Every parked call (the session ends). */
  drain(): Parked[] {
    const out = [...this.parked.values()];
    this.parked.clear();
    return out;
  }

  nextExpiry(): number | undefined {
    return this.parked.values().next().value?.expires;
  }
}
