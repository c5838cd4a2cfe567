/**
 * The memory the access-log endpoint may spend on request bodies at once, counted in bytes actually
 * held (after gzip decompression), never in bytes a client merely declares.
 *
 * A body that does not fit may take the room of bodies that have been uploading for longer than
 * `preemptAfterMs` (oldest first): they are aborted (their client gets 503 and retries), so stalled
 * or trickling uploads cannot keep the shipper out for longer than that. Without such a body to
 * pre-empt, the newcomer is refused (503). See docs/adr/0010-access-log-endpoint-budget.md.
 */

/** One body being read: what it holds and how to abort it. */
export interface BodyClaim {
  /** Bytes this body holds now. */
  readonly held: number;
  /** Takes `n` more bytes; false when they fit nowhere (the caller answers 503). */
  take(n: number): boolean;
  /** Gives everything back (idempotent). */
  release(): void;
}

interface Claim extends BodyClaim {
  held: number;
  startedMs: number;
  abort(): void;
}

/** A shared byte budget for request bodies, with pre-emption of old uploads. */
export class BodyBudget {
  readonly #limit: number;
  readonly #preemptAfterMs: number;
  readonly #now: () => number;
  readonly #claims = new Set<Claim>();
  #used = 0;
  /** Bodies aborted to make room (metrics and tests). */
  preempted = 0;

  constructor(limit: number, preemptAfterMs: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#preemptAfterMs = preemptAfterMs;
    this.#now = now;
  }

  /** Bytes held by all bodies. */
  get used(): number {
    return this.#used;
  }

  /** Opens a claim for one body; `abort` is called (once) when it is pre-empted. */
  open(abort: () => void): BodyClaim {
    const claim: Claim = {
      held: 0,
      startedMs: this.#now(),
      abort,
      take: (n) => this.#take(claim, n),
      release: () => this.#release(claim),
    };
    this.#claims.add(claim);
    return claim;
  }

  #take(c: Claim, n: number): boolean {
    if (!this.#claims.has(c)) return false;
    if (this.#used + n > this.#limit) this.#preempt(c, this.#used + n - this.#limit);
    if (this.#used + n > this.#limit) return false;
    this.#used += n;
    c.held += n;
    return true;
  }

  /** Aborts uploads older than the threshold, oldest first, until `need` bytes are free. */
  #preempt(self: Claim, need: number): void {
    const cutoff = this.#now() - this.#preemptAfterMs;
    const old = [...this.#claims]
      .filter((c) => c !== self && c.held > 0 && c.startedMs <= cutoff)
      .sort((a, b) => a.startedMs - b.startedMs);
    let freed = 0;
    for (const c of old) {
      if (freed >= need) break;
      freed += c.held;
      this.#release(c);
      this.preempted++;
      c.abort();
    }
  }

  #release(c: Claim): void {
    if (!this.#claims.delete(c)) return;
    this.#used -= c.held;
    c.held = 0;
  }
}
