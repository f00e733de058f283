/**
 * Multi-round-trip calls as a server answers them (2026-07-28,
 * basic/patterns/mrtr): an `input_required` answer is a leg, and the
 * client's retry under a new id, echoing `requestState` or carrying
 * `inputResponses`, is the next leg of the same logical call. The server is
 * stateless between legs, so the observer parks each interim answer here
 * until its continuation arrives or the late window passes (the client gave
 * up: the call is abandoned, `input_unresolved`).
 *
 * Counts do not depend on which parked answer a retry continues: each final
 * answer is one call, and each interim answer no retry followed is one. So
 * a retry is matched by its echoed `requestState` where it has one, else to
 * the latest interim answer for the same method and target; one that
 * matches nothing (its first legs were answered by another instance behind
 * a load balancer) is a call of its own here.
 */
import { newCall } from '../core/calls.js';
import type { LogicalCall } from '../core/model.js';

/** Interim answers waiting at once, per observer; past it the oldest is decided abandoned. */
const MAX_PARKED = 4096;
/** The longest `requestState` kept as a key (it may be a 64 MB blob; only its identity matters). */
const MAX_STATE_KEY = 1024;

interface Parked<T> {
  readonly call: LogicalCall;
  readonly target: string;
  readonly state: string | undefined;
  readonly expires: number;
  readonly last: T;
}

/** Parks interim answers; `abandoned` is told of each one no retry followed, with the last leg's context. */
export class InterimCalls<T> {
  private readonly parked = new Map<LogicalCall, Parked<T>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lateWindowMs: number,
    private readonly abandoned: (call: LogicalCall, last: T) => void,
  ) {}

  /** The logical call a request is a leg of: a parked one it continues, or a new one. */
  legOf(method: string, target: string | undefined, params: Record<string, unknown> | undefined, now: number): LogicalCall {
    const retry = params !== undefined && (params.inputResponses !== undefined || params.requestState !== undefined);
    const found = retry ? this.take(`${method}\u0000${target ?? ''}`, stateKey(params.requestState)) : undefined;
    if (!found) return newCall(now);
    found.legs++;
    return found;
  }

  /** An interim answer was sent for `call`: it waits for its next leg. */
  park(call: LogicalCall, method: string, target: string | undefined, requestState: unknown, now: number, last: T): void {
    if (this.parked.size >= MAX_PARKED) {
      const [oldest] = this.parked.values();
      if (oldest) this.decide(oldest);
    }
    this.parked.set(call, { call, target: `${method}\u0000${target ?? ''}`, state: stateKey(requestState), expires: now + this.lateWindowMs, last });
    this.schedule();
  }

  /** Decides the parked calls whose window has passed. */
  sweep(now: number): void {
    for (const p of this.parked.values()) {
      if (p.expires > now) break;
      this.decide(p);
    }
    this.schedule();
  }

  /** Decides every parked call abandoned now (the observer shuts down). */
  decideAll(): void {
    for (const p of [...this.parked.values()]) this.decide(p);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get size(): number {
    return this.parked.size;
  }

  private take(target: string, state: string | undefined): LogicalCall | undefined {
    let latest: Parked<T> | undefined;
    for (const p of this.parked.values()) {
      if (p.target !== target) continue;
      if (state !== undefined && p.state === state) {
        latest = p;
        break;
      }
      if (p.state === undefined || state === undefined) latest = p;
    }
    if (latest) this.parked.delete(latest.call);
    return latest?.call;
  }

  private decide(p: Parked<T>): void {
    this.parked.delete(p.call);
    try {
      this.abandoned(p.call, p.last);
    } catch {
      // The observer's own recording is guarded; nothing here may reach the server.
    }
  }

  private schedule(): void {
    if (this.timer) return;
    // Every answer waits the same window, so the first parked is the first to expire.
    const [first] = this.parked.values();
    if (!first) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sweep(performance.now());
    }, Math.max(0, first.expires - performance.now()));
    this.timer.unref();
  }
}

function stateKey(state: unknown): string | undefined {
  return typeof state === 'string' ? state.slice(0, MAX_STATE_KEY) : undefined;
}
