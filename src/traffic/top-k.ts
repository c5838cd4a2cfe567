/**
 * Bounded heavy-hitter counting (the Space-Saving algorithm of Metwally, Agrawal and El Abbadi):
 * at most `capacity` keys are tracked; a new key arriving when full replaces the smallest one and
 * inherits its count. Counts of the true top keys are exact while there are fewer distinct keys
 * than the capacity, and never under-estimated after that, so a flood of distinct source addresses
 * costs a fixed amount of memory and the loudest sources still come out on top.
 *
 * Kept as an indexed min-heap, so finding the smallest costs O(1) and every update O(log k): a
 * flood of new addresses hits this on every log line.
 */
export class TopK {
  readonly capacity: number;
  #keys: string[] = [];
  #counts: number[] = [];
  readonly #index = new Map<string, number>();
  /** Keys replaced since creation (for the evictions metric). */
  evicted = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  /** Distinct keys held now. */
  get size(): number {
    return this.#keys.length;
  }

  /** Counts `n` occurrences of `key`. */
  add(key: string, n = 1): void {
    const at = this.#index.get(key);
    if (at !== undefined) {
      this.#counts[at] = (this.#counts[at] as number) + n;
      this.#down(at);
      return;
    }
    if (this.#keys.length < this.capacity) {
      this.#keys.push(key);
      this.#counts.push(n);
      this.#index.set(key, this.#keys.length - 1);
      this.#up(this.#keys.length - 1);
      return;
    }
    // Replace the smallest (the root) and let the new key inherit its count.
    this.#index.delete(this.#keys[0] as string);
    this.#keys[0] = key;
    this.#counts[0] = (this.#counts[0] as number) + n;
    this.#index.set(key, 0);
    this.#down(0);
    this.evicted++;
  }

  /** Adds every count of another summary (or map) into this one. */
  merge(other: TopK | ReadonlyMap<string, number>): void {
    for (const [k, v] of other.entries()) this.add(k, v);
  }

  /** The tracked keys and counts, in no particular order. */
  *entries(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.#keys.length; i++) yield [this.#keys[i] as string, this.#counts[i] as number];
  }

  /** The `k` largest, largest first; ties broken by key so output is deterministic. */
  top(k: number): Array<[string, number]> {
    return [...this.entries()].sort(byCountThenKey).slice(0, k);
  }

  /** Forgets everything. */
  clear(): void {
    this.#keys = [];
    this.#counts = [];
    this.#index.clear();
  }

  /** Moves the entry at `i` towards the root while it is smaller than its parent (hole technique). */
  #up(i: number): void {
    const key = this.#keys[i] as string;
    const count = this.#counts[i] as number;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.#counts[parent] as number) <= count) break;
      this.#place(i, parent);
      i = parent;
    }
    this.#put(i, key, count);
  }

  /** Moves the entry at `i` towards the leaves while a child is smaller. */
  #down(i: number): void {
    const start = i;
    const key = this.#keys[i] as string;
    const count = this.#counts[i] as number;
    const n = this.#keys.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (this.#counts[r] as number) < (this.#counts[l] as number) ? r : l;
      if ((this.#counts[child] as number) >= count) break;
      this.#place(i, child);
      i = child;
    }
    if (i !== start) this.#put(i, key, count);
  }

  /** Copies the entry at `from` into slot `to`. */
  #place(to: number, from: number): void {
    const k = this.#keys[from] as string;
    this.#keys[to] = k;
    this.#counts[to] = this.#counts[from] as number;
    this.#index.set(k, to);
  }

  #put(i: number, key: string, count: number): void {
    this.#keys[i] = key;
    this.#counts[i] = count;
    this.#index.set(key, i);
  }
}

function byCountThenKey(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
}

/** The `k` largest entries over several summaries (each key's counts summed). */
export function topOf(parts: ReadonlyArray<TopK>, k: number): Array<[string, number]> {
  const sum = new Map<string, number>();
  for (const p of parts) for (const [key, v] of p.entries()) sum.set(key, (sum.get(key) ?? 0) + v);
  return [...sum].sort(byCountThenKey).slice(0, k);
}
