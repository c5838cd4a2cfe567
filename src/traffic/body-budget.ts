/**
 * The memory the access-log endpoint may spend on request bodies at once, counted in bytes actually
 * held (after gzip decompression), never in bytes a client merely declares.
 *
 * A body that does not fit may take the room of bodies that have been uploading for longer than
 * `preemptAfterMs` (oldest first): they are aborted (their client gets 503 and retries), so stalled
 * or trickling uploads cannot keep the shipper out for longer than that. Without such a body to
 * pre-empt, the newcomer is refused (503). One peer address may hold at most `perPeer` bytes, so a
 * single client (one pod, one node) cannot take the room the other shippers need. See
 * docs/adr/0011-access-log-endpoint-trust.md.
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
  peer: string;
  startedMs: number;
  abort(): void;
}

/** A shared byte budget for request bodies, with pre-emption of old uploads. */
export class BodyBudget {
  readonly #limit: number;
  readonly #perPeer: number;
  readonly #preemptAfterMs: number;
  readonly #now: () => number;
  readonly #claims = new Set<Claim>();
  /** Bytes held by each peer address (entries removed at 0: bounded by the connections). */
  readonly #byPeer = new Map<string, number>();
  #used = 0;
  /** Bodies aborted to make room (metrics and tests). */
  preempted = 0;

  constructor(limit: number, perPeer: number, preemptAfterMs: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#perPeer = perPeer;
    this.#preemptAfterMs = preemptAfterMs;
    this.#now = now;
  }

  /** Bytes held by all bodies. */
  get used(): number {
    return this.#used;
  }

  /** Opens a claim for one body from `peer`; `abort` is called (once) when it is pre-empted. */
  open(peer: string, abort: () => void): BodyClaim {
    const claim: Claim = {
      held: 0,
      peer,
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
    const over = (this.#byPeer.get(c.peer) ?? 0) + n - this.#perPeer;
    if (over > 0) this.#preempt(c, over, (o) => o.peer === c.peer);
    if (this.#used + n > this.#limit) this.#preempt(c, this.#used + n - this.#limit, () => true);
    const peerHeld = this.#byPeer.get(c.peer) ?? 0;
    if (peerHeld + n > this.#perPeer || this.#used + n > this.#limit) return false;
    this.#used += n;
    this.#byPeer.set(c.peer, peerHeld + n);
    c.held += n;
    return true;
  }

  /** Aborts uploads (of those `which` picks) older than the threshold, oldest first, until `need` bytes are free. */
  #preempt(self: Claim, need: number, which: (c: Claim) => boolean): void {
    const cutoff = this.#now() - this.#preemptAfterMs;
    const old = [...this.#claims]
      .filter((c) => c !== self && c.held > 0 && c.startedMs <= cutoff && which(c))
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
    const left = (this.#byPeer.get(c.peer) ?? 0) - c.held;
    if (left > 0) this.#byPeer.set(c.peer, left);
    else this.#byPeer.delete(c.peer);
    c.held = 0;
  }
}
