/**
 * When accounting runs. Each session has a lane: its items run in the
 * session's order, so its audit chain follows its events. An item runs once
 * it is ready (its analysis is back) and a macrotask has passed since it was
 * queued: by then the SDK's own handling of the response (output-schema
 * validation included) is over and the caller has its result, so accounting
 * happens off the caller's path, in the host's idle time, a slice at a
 * time. A host that never yields (a tight loop over an in-memory transport)
 * would hold everything: past MAX_BACKLOG items a lane drains what it can at
 * each arrival. One queue per core; forceFlush() drains every lane.
 */
import type { Verdict } from './model.js';

/** One piece of accounting. */
export interface QueueItem {
  /** The queue's tick when the item was queued: it runs after a later tick (or in a drain). */
  readonly tick: number;
  /** False while the response's analysis is out. */
  ready: boolean;
  /** The SDK's verdict on the request, when its promise is watched: a drain waits for it to settle. */
  readonly verdict?: Verdict;
  run(): void;
}

/** What the drain needs of the analyzer: its results, now or eventually. */
export interface AnalysisSource {
  poll(): void;
  dispatchNow(): void;
  idle(): Promise<void>;
}

/** Past this many queued items, a lane drains what it can at each arrival. */
const MAX_BACKLOG = 64;
/** Accounting runs in slices of about this long, then yields to the event loop. */
const SLICE_MS = 0.25;
/** Rounds a flush waits at most: accounting can queue more accounting. */
const MAX_FLUSH_ROUNDS = 100;

export class AccountingQueue {
  /** Counts macrotasks that ran while accounting was queued. */
  tick = 0;
  /** Lanes with items queued; nothing else holds a lane. */
  private readonly busy = new Set<Lane>();
  private readonly waitingForTick = new Set<Lane>();
  private tickScheduled = false;

  constructor(
    private readonly analysis: AnalysisSource,
    private readonly warn: (message: string) => void,
  ) {}

  /** A lane for one session. */
  lane(): Lane {
    return new Lane(this, this.analysis, this.warn);
  }

  /** @internal A lane has items. */
  markBusy(lane: Lane): void {
    this.busy.add(lane);
  }

  /** @internal A lane is empty. */
  markIdle(lane: Lane): void {
    this.busy.delete(lane);
    this.waitingForTick.delete(lane);
  }

  /** @internal A lane has items that wait only for the next macrotask. */
  needTick(lane: Lane): void {
    this.waitingForTick.add(lane);
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(this.onTick);
  }

  private readonly onTick = (): void => {
    this.tickScheduled = false;
    this.tick++;
    const lanes = [...this.waitingForTick];
    this.waitingForTick.clear();
    for (const lane of lanes) lane.pump();
  };

  /** Waits until every lane is empty: every pending count and audit record is done. */
  async drain(): Promise<void> {
    for (let i = 0; i < MAX_FLUSH_ROUNDS && this.busy.size > 0; i++) {
      this.analysis.dispatchNow();
      await this.analysis.idle();
      // One macrotask: the SDK's verdicts settle and queued items become due.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.tick++;
      for (const lane of [...this.busy]) lane.pump(true);
    }
  }
}

/** One session's items, in order. */
export class Lane {
  private items: (QueueItem | undefined)[] = [];
  private head = 0;
  private pumping = false;

  constructor(
    private readonly queue: AccountingQueue,
    private readonly analysis: AnalysisSource,
    private readonly warn: (message: string) => void,
  ) {}

  get tick(): number {
    return this.queue.tick;
  }

  push(item: QueueItem): void {
    this.items.push(item);
    this.queue.markBusy(this);
    this.queue.needTick(this);
  }

  /** Queues accounting that needs nothing more than its turn. */
  enqueue(run: () => void): void {
    this.push({ tick: this.queue.tick, ready: true, run });
  }

  /** An item became ready, or a verdict settled: run what may run now. */
  wake(): void {
    if (this.items.length > this.head) this.pump();
  }

  /**
   * Called after a response's item is queued: a host that has not yielded
   * for a while gets what is ready accounted now rather than held.
   */
  bound(): void {
    if (this.items.length - this.head <= MAX_BACKLOG) return;
    this.analysis.poll();
    this.pump(true);
  }

  /**
   * Runs the items that may run now, in order. `drain` lets items run
   * before their tick has passed (a long backlog, or a flush), once the SDK
   * has settled their verdict if it was watched.
   */
  pump(drain = false): void {
    if (this.pumping) return;
    this.pumping = true;
    // A slice at a time: a batch of results must not hold the event loop
    // while a response waits to be read.
    const until = drain ? Infinity : performance.now() + SLICE_MS;
    try {
      while (this.head < this.items.length) {
        const item = this.items[this.head] as QueueItem;
        if (!item.ready) break;
        // A drain has no slice: no clock read per item.
        if ((item.tick >= this.queue.tick && !(drain && (item.verdict?.settled ?? true))) || (!drain && performance.now() > until)) {
          this.queue.needTick(this);
          break;
        }
        this.items[this.head++] = undefined;
        try {
          item.run();
        } catch (error) {
          this.warn(`accounting failed: ${String(error)}`);
        }
      }
      if (this.head === this.items.length) {
        this.items.length = 0;
        this.head = 0;
        this.queue.markIdle(this);
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
    } finally {
      this.pumping = false;
    }
  }
}
