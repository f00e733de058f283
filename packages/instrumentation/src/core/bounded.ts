/** Small bounded collections: nothing a session holds may grow without limit. */

/** Caps the distinct values of a server-controlled attribute; the rest become `_OTHER`. */
export class CappedValues {
  private readonly seen = new Set<string>();
  constructor(
    private readonly max: number,
    private readonly overflow: string,
    private readonly maxLength = 128,
  ) {}

  get(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const v = value.length > this.maxLength ? value.slice(0, this.maxLength) : value;
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return this.overflow;
    this.seen.add(v);
    return v;
  }
}

/** A set of digests with first-in-first-out eviction past its capacity. */
export class DigestSet {
  /** Made at the first digest: most sessions never need some of their collections, and an empty Set or Map costs about 150 bytes. */
  private items: Set<string> | undefined;
  evictions = 0;
  constructor(private readonly capacity: number) {}

  /** Whether the digest is present, without adding it. */
  has(digest: string): boolean {
    return this.items?.has(digest) ?? false;
  }

  /** Adds the digest; returns true when it was already present. */
  seenBefore(digest: string): boolean {
    const items = (this.items ??= new Set());
    if (items.has(digest)) return true;
    items.add(digest);
    if (items.size > this.capacity) {
      const oldest = items.values().next().value as string;
      items.delete(oldest);
      this.evictions++;
    }
    return false;
  }
}

/** Request ids that were given up (timeout, cancellation), remembered for a while to recognize late responses. */
export class Tombstones<T> {
  /** Made at the first request given up. */
  private items: Map<string, { value: T; expires: number }> | undefined;
  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
  ) {}

  add(id: string, value: T, now: number): T | undefined {
    const items = (this.items ??= new Map());
    items.set(id, { value, expires: now + this.ttlMs });
    if (items.size > this.capacity) {
      const [oldestId, oldest] = items.entries().next().value as [string, { value: T }];
      items.delete(oldestId);
      return oldest.value;
    }
    return undefined;
  }

  take(id: string): T | undefined {
    const item = this.items?.get(id);
    if (item) this.items!.delete(id);
    return item?.value;
  }

  /** Removes and returns the expired entries (insertion order is expiry order). */
  expire(now: number): T[] {
    const out: T[] = [];
    const items = this.items;
    if (!items) return out;
    for (const [id, item] of items) {
      if (item.expires > now) break;
      items.delete(id);
      out.push(item.value);
    }
    return out;
  }

  drain(): T[] {
    if (!this.items) return [];
    const out = [...this.items.values()].map((i) => i.value);
    this.items.clear();
    return out;
  }

  get size(): number {
    return this.items?.size ?? 0;
  }

  nextExpiry(): number | undefined {
    return this.items?.values().next().value?.expires;
  }
}
