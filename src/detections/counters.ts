/**
 * Suppressions counted in memory between two status flushes, per detection, so a burst of
 * suppressed objects costs one status patch, not one write per object.
 */
export class SuppressionCounter {
  readonly #pending = new Map<string, number>();

  /** Counts one suppressed object. */
  add(detection: string): void {
    this.#pending.set(detection, (this.#pending.get(detection) ?? 0) + 1);
  }

  /** Suppressions not yet written to the detection's status. */
  pending(detection: string): number {
    return this.#pending.get(detection) ?? 0;
  }

  /** `n` suppressions were written; later ones stay pending. */
  settle(detection: string, n: number): void {
    const left = this.pending(detection) - n;
    if (left > 0) this.#pending.set(detection, left);
    else this.#pending.delete(detection);
  }

  /** Forgets a deleted detection. */
  forget(detection: string): void {
    this.#pending.delete(detection);
  }
}
