/**
 * Who counts a batch once a flush has taken over from a slow worker: the
 * worker or this thread, never both. Each batch sent to the worker gets a
 * slot in shared memory; whichever thread swaps the slot from free to its
 * own mark first counts the batch, and the other leaves it. A batch sent
 * when every slot is in use gets none: only the worker counts it.
 */
const FREE = 0;
export const CLAIMED_BY_WORKER = 1;
export const CLAIMED_BY_HOST = 2;
export const NO_SLOT = -1;

/** Slots in use at once; past this, batches are the worker's alone (4 KB of shared memory). */
const SLOTS = 1024;

export class BatchClaims {
  readonly shared: SharedArrayBuffer;
  private readonly marks: Int32Array;
  private readonly free: number[];

  constructor(shared?: SharedArrayBuffer) {
    this.shared = shared ?? new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.marks = new Int32Array(this.shared);
    this.free = shared ? [] : Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i);
  }

  /** A free slot for a new batch (host side), or NO_SLOT. */
  allocate(): number {
    const slot = this.free.pop();
    if (slot === undefined) return NO_SLOT;
    Atomics.store(this.marks, slot, FREE);
    return slot;
  }

  /** Whether `by` now owns the batch in `slot`; a batch with no slot is the worker's. */
  claim(slot: number, by: typeof CLAIMED_BY_WORKER | typeof CLAIMED_BY_HOST): boolean {
    if (slot === NO_SLOT) return by === CLAIMED_BY_WORKER;
    return Atomics.compareExchange(this.marks, slot, FREE, by) === FREE;
  }

  /** The slot's batch is answered by the worker, which will not read it again (host side). */
  release(slot: number): void {
    if (slot !== NO_SLOT) this.free.push(slot);
  }
}
