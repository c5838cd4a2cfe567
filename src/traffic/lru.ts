interface Node<V> {
  key: string;
  value: V;
  prev: Node<V> | undefined;
  next: Node<V> | undefined;
}

/**
 * A least-recently-used map: a Map for lookups plus a doubly linked list for the order, so a touch
 * and an eviction are O(1) without re-inserting Map entries (a Map used as an LRU by delete and
 * set slows down under a flood of new keys: iteration from its oldest end walks deleted slots).
 */
export class Lru<V> {
  readonly #map = new Map<string, Node<V>>();
  /** Most recently used. */
  #head: Node<V> | undefined;
  /** Least recently used. */
  #tail: Node<V> | undefined;

  /** Entries held. */
  get size(): number {
    return this.#map.size;
  }

  /** The value, moved to the young end. */
  get(key: string): V | undefined {
    const n = this.#map.get(key);
    if (!n) return undefined;
    if (n !== this.#head) {
      this.#unlink(n);
      this.#pushHead(n);
    }
    return n.value;
  }

  /** Adds a new key at the young end (the caller evicts first when full). */
  add(key: string, value: V): void {
    const n: Node<V> = { key, value, prev: undefined, next: undefined };
    this.#map.set(key, n);
    this.#pushHead(n);
  }

  /** Removes and returns the least recently used entry. */
  evictOldest(): [string, V] | undefined {
    const n = this.#tail;
    if (!n) return undefined;
    this.#unlink(n);
    this.#map.delete(n.key);
    return [n.key, n.value];
  }

  /** Removes a key (an idle window dropped). */
  delete(key: string): void {
    const n = this.#map.get(key);
    if (!n) return;
    this.#unlink(n);
    this.#map.delete(key);
  }

  /** Every entry, oldest first; the current entry may be deleted during iteration. */
  *entries(): IterableIterator<[string, V]> {
    for (let n = this.#tail; n; ) {
      const prev = n.prev;
      yield [n.key, n.value];
      n = prev;
    }
  }

  #pushHead(n: Node<V>): void {
    n.prev = undefined;
    n.next = this.#head;
    if (this.#head) this.#head.prev = n;
    this.#head = n;
    this.#tail ??= n;
  }

  #unlink(n: Node<V>): void {
    if (n.prev) n.prev.next = n.next;
    else this.#head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.#tail = n.prev;
    n.prev = undefined;
    n.next = undefined;
  }
}
