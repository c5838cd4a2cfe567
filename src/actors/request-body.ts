import type http from 'node:http';

/**
 * Bytes of request bodies one endpoint holds in memory at once, across all its requests: a few
 * slow clients sending large bodies cannot add up past it, whatever the connection count.
 */
export class ByteBudget {
  #used = 0;

  constructor(readonly max: number) {}

  /** Reserves `n` bytes; false (and nothing reserved) when that would pass the budget. */
  take(n: number): boolean {
    if (this.#used + n > this.max) return false;
    this.#used += n;
    return true;
  }

  /** Returns bytes reserved by {@link ByteBudget.take}. */
  give(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }

  get used(): number {
    return this.#used;
  }
}

/** A body read in full, or why it was not: over the per-request limit, or the endpoint's budget is spent. */
export type BodyResult = { body: Buffer; release(): void } | 'too-large' | 'busy';

/**
 * Reads a request body of at most `max` bytes, reserving each chunk from `budget` as it arrives.
 * It stops reading at the first chunk that passes either bound (never drains the rest: the caller
 * answers and closes the connection). The caller calls `release()` once done with the body.
 */
export function readBody(req: http.IncomingMessage, max: number, budget: ByteBudget): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > max) {
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const stop = (why: 'too-large' | 'busy'): void => {
      done = true;
      budget.give(size);
      chunks.length = 0;
      req.pause();
      req.removeAllListeners('data');
      resolve(why);
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      if (size + c.length > max) return stop('too-large');
      if (!budget.take(c.length)) return stop('busy');
      size += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      let released = false;
      const release = (): void => {
        if (!released) budget.give(size);
        released = true;
      };
      resolve({ body: Buffer.concat(chunks, size), release });
    });
    req.on('error', (err) => {
      if (!done) budget.give(size);
      done = true;
      reject(err);
    });
    // A client that goes away mid-body leaves neither 'end' nor, always, 'error'.
    req.on('close', () => {
      if (done) return;
      done = true;
      budget.give(size);
      reject(new Error('request closed before its body was read'));
    });
  });
}
