/**
 * A bounded set of (detection, subject uid) pairs whose alert is known to exist, so the stream of
 * updates that follows a new object (status changes, relists) does not turn into a stream of 409s.
 * Only an optimisation: forgetting an entry costs one idempotent create.
 */
export class RecentAlerts {
  readonly #max: number;
  readonly #set = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  /** True when the alert is known to exist. */
  has(detection: string, uid: string): boolean {
    return this.#set.has(`${detection}/${uid}`);
  }

  /** Remembers an existing alert, forgetting the oldest entry beyond the bound. */
  add(detection: string, uid: string): void {
    const k = `${detection}/${uid}`;
    this.#set.delete(k);
    this.#set.add(k);
    if (this.#set.size > this.#max) {
      const oldest = this.#set.values().next().value;
      if (oldest !== undefined) this.#set.delete(oldest);
    }
  }

  /** Forgets every entry of a detection (its spec changed, so its alerts may differ). */
  forgetDetection(detection: string): void {
    for (const k of this.#set) if (k.startsWith(`${detection}/`)) this.#set.delete(k);
  }
}
