/** Suppressions of one exception not yet written: how many, and the time of the latest (ms). */
export interface PendingMatches {
  matches: number;
  lastMs: number;
}

/** Most exceptions a detection has (the CRD's `spec.exceptions` maxItems): bounds the memory. */
const MAX_EXCEPTIONS = 128;

/**
 * Suppressions counted in memory between two status flushes, per detection and per exception
 * (by index), so a burst of suppressed objects costs one status patch, not one write per object.
 */
export class SuppressionCounter {
  readonly #pending = new Map<string, number>();
  readonly #byException = new Map<string, Map<number, PendingMatches>>();

  /** Counts one suppressed object; `exception` is the index of the entry that matched it. */
  add(detection: string, exception?: number, atMs = 0): void {
    this.#pending.set(detection, (this.#pending.get(detection) ?? 0) + 1);
    if (exception === undefined || exception < 0 || exception >= MAX_EXCEPTIONS) return;
    const m = this.#byException.get(detection) ?? new Map<number, PendingMatches>();
    this.#byException.set(detection, m);
    const cur = m.get(exception);
    m.set(exception, { matches: (cur?.matches ?? 0) + 1, lastMs: Math.max(cur?.lastMs ?? 0, atMs) });
  }

  /** Suppressions not yet written to the detection's status. */
  pending(detection: string): number {
    return this.#pending.get(detection) ?? 0;
  }

  /** A copy of the per-exception suppressions not yet written (settle it after the write). */
  pendingByException(detection: string): Map<number, PendingMatches> {
    return new Map([...(this.#byException.get(detection) ?? [])].map(([i, p]) => [i, { ...p }]));
  }

  /** `n` suppressions (and `byException` of them per exception) were written; later ones stay pending. */
  settle(detection: string, n: number, byException?: ReadonlyMap<number, PendingMatches>): void {
    const left = this.pending(detection) - n;
    if (left > 0) this.#pending.set(detection, left);
    else this.#pending.delete(detection);
    const m = this.#byException.get(detection);
    if (!m || !byException) return;
    for (const [i, written] of byException) {
      const cur = m.get(i);
      if (!cur) continue;
      if (cur.matches > written.matches) m.set(i, { ...cur, matches: cur.matches - written.matches });
      else m.delete(i);
    }
    if (m.size === 0) this.#byException.delete(detection);
  }

  /** Forgets a deleted detection. */
  forget(detection: string): void {
    this.#pending.delete(detection);
    this.#byException.delete(detection);
  }
}
