/**
 * Bounded counters for the traffic summary. A Tally counts string keys up
 * to a fixed number of distinct keys; when it is full, the less frequent
 * half is folded into `other` so that new keys still get in (the counts
 * of keys that come back after that are lower bounds, and `pruned` says
 * so). Amortised O(1) per add: a prune costs one sort of the counts and
 * frees half of the table.
 */

export class Tally {
  readonly counts = new Map<string, number>();
  /** Counts of keys folded away when the table was full. */
  other = 0;
  /** True once any key was folded away. */
  pruned = false;

  constructor(readonly cap: number) {}

  add(key: string, n = 1): void {
    const m = this.counts;
    const v = m.get(key);
    if (v !== undefined) {
      m.set(key, v + n);
      return;
    }
    if (m.size >= this.cap) this.prune();
    m.set(key, n);
  }

  clear(): void {
    this.counts.clear();
    this.other = 0;
    this.pruned = false;
  }

  /** Folds the less frequent half (at least one key) into `other`. */
  private prune(): void {
    const vals = [...this.counts.values()].sort((a, b) => a - b);
    const limit = vals[(vals.length - 1) >> 1] ?? 0;
    for (const [k, v] of this.counts) {
      if (v <= limit) {
        this.counts.delete(k);
        this.other += v;
      }
    }
    this.pruned = true;
  }
}

/** Adds every count of `from` into `into` (a plain map: merging slices). */
export function mergeInto(into: Map<string, number>, from: ReadonlyMap<string, number>): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

/** The `n` largest entries, largest first; ties by key, so output is stable. */
export function top(m: ReadonlyMap<string, number>, n: number): Array<[string, number]> {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, n);
}

/**
 * Keyed records that carry their own count (signatures): the same folding
 * rule as Tally, on `entry.count`.
 */
export class EntryTable<E extends { count: number }> {
  readonly entries = new Map<string, E>();
  other = 0;
  pruned = false;

  constructor(readonly cap: number) {}

  /** The entry for `key`, made by `make` if absent (its count starts at 0). */
  get(key: string, make: () => E): E {
    let e = this.entries.get(key);
    if (e === undefined) {
      if (this.entries.size >= this.cap) this.prune();
      e = make();
      this.entries.set(key, e);
    }
    return e;
  }

  clear(): void {
    this.entries.clear();
    this.other = 0;
    this.pruned = false;
  }

  private prune(): void {
    const vals = [...this.entries.values()].map((e) => e.count).sort((a, b) => a - b);
    const limit = vals[(vals.length - 1) >> 1] ?? 0;
    for (const [k, e] of this.entries) {
      if (e.count <= limit) {
        this.entries.delete(k);
        this.other += e.count;
      }
    }
    this.pruned = true;
  }
}
