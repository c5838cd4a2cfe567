/**
 * The request ids seen lately, bounded: an admission review or audit event delivered twice (a
 * retried audit batch, two webhook entries reaching one process) is counted once. Insertion order
 * is eviction order (a Map keeps it), so memory stays at `max` ids.
 */
export class SeenIds {
  readonly #ids = new Map<string, true>();
  constructor(private readonly max: number) {}

  /** Remembers `id`; false when it was already there. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.set(id, true);
    if (this.#ids.size > this.max) {
      const oldest = this.#ids.keys().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }
}
