import assert from 'node:assert/strict';
import { DeliveryError, type FailureReason, Outbox, type OutboxOptions } from '../../../src/notify/outbox.js';
import { silentLogger } from '../../../src/observability/logger.js';

/** Metrics that count into plain fields. */
function counters() {
  const c = { sent: 0, retried: 0, depth: 0, failed: {} as Partial<Record<FailureReason, number>> };
  return {
    c,
    metrics: {
      sent: (n: number) => {
        c.sent += n;
      },
      failed: (r: FailureReason, n: number) => {
        c.failed[r] = (c.failed[r] ?? 0) + n;
      },
      retried: () => {
        c.retried++;
      },
      depth: (n: number) => {
        c.depth = n;
      },
    },
  };
}

function outbox<T>(deliver: (b: T[]) => Promise<void>, extra: Partial<OutboxOptions<T>> = {}) {
  const { c, metrics } = counters();
  const o = new Outbox<T>({
    sink: 'test',
    capacity: 10,
    maxAttempts: 3,
    backoff: { baseMs: 1, maxMs: 2 },
    deliver,
    metrics,
    log: silentLogger(),
    ...extra,
  });
  return { o, c };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(cond(), 'condition not reached');
};

describe('Outbox', () => {
  it('delivers in order and counts what it sent', async () => {
    const got: number[] = [];
    const { o, c } = outbox<number>(async (b) => {
      got.push(...b);
    });
    o.start();
    for (const i of [1, 2, 3]) o.push(`k${i}`, i);
    await until(() => c.sent === 3);
    assert.deepEqual(got, [1, 2, 3]);
    assert.equal(c.depth, 0);
    await o.stop();
  });

  it('never makes push wait for a sink that hangs, and drops new keys beyond capacity', async () => {
    const { o, c } = outbox<number>(() => new Promise(() => {}), { capacity: 2 });
    o.start();
    o.push('k1', 1);
    await new Promise((r) => setTimeout(r, 10)); // the loop takes k1 and hangs in its delivery
    const accepted = [1, 2, 3, 4, 5].map((i) => o.push(`k${i}`, i));
    // k1 is in flight (hanging) and queued again, k2 waits, k3..k5 find the queue full.
    assert.deepEqual(accepted, [true, true, false, false, false]);
    assert.equal(c.failed.queue_full, 3);
    assert.equal(o.depth, 3);
  });

  it('keeps one entry per key with the newest payload', async () => {
    const got: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { o, c } = outbox<string>(async (b) => {
      await gate;
      got.push(...b);
    });
    o.start();
    o.push('first', 'first');
    o.push('a', 'a1');
    o.push('a', 'a2');
    release();
    await until(() => c.sent === 2);
    assert.deepEqual(got, ['first', 'a2']);
    await o.stop();
  });

  it('retries retryable failures with backoff until delivered', async () => {
    let calls = 0;
    const { o, c } = outbox<number>(async () => {
      calls++;
      if (calls < 3) throw new DeliveryError('503', { retryable: true });
    });
    o.start();
    o.push('k', 1);
    await until(() => c.sent === 1);
    assert.equal(calls, 3);
    assert.equal(c.retried, 2);
    await o.stop();
  });

  it('gives up after maxAttempts and counts it exhausted', async () => {
    let calls = 0;
    const { o, c } = outbox<number>(async () => {
      calls++;
      throw new DeliveryError('500', { retryable: true });
    });
    o.start();
    o.push('k', 1);
    await until(() => c.failed.exhausted === 1);
    assert.equal(calls, 3);
    assert.equal(c.sent, 0);
    await o.stop();
  });

  it('does not retry a refusal (4xx) and counts it rejected', async () => {
    let calls = 0;
    const { o, c } = outbox<number>(async () => {
      calls++;
      throw new DeliveryError('400', { retryable: false });
    });
    o.start();
    o.push('k', 1);
    o.push('j', 2);
    await until(() => c.failed.rejected === 2);
    assert.equal(calls, 2);
    await o.stop();
  });

  it('hands batches of up to batchSize to one delivery', async () => {
    const batches: number[][] = [];
    const { o, c } = outbox<number>(
      async (b) => {
        batches.push(b);
      },
      { batchSize: 4, settleMs: 5 },
    );
    for (let i = 0; i < 6; i++) o.push(`k${i}`, i);
    o.start();
    await until(() => c.sent === 6);
    assert.deepEqual(batches, [
      [0, 1, 2, 3],
      [4, 5],
    ]);
    await o.stop();
  });

  it('stops while a retry waits, without delivering again', async () => {
    let calls = 0;
    const { o } = outbox<number>(
      async () => {
        calls++;
        throw new DeliveryError('500', { retryable: true });
      },
      { backoff: { baseMs: 60_000, maxMs: 60_000 }, maxAttempts: 10 },
    );
    o.start();
    o.push('k', 1);
    await until(() => calls === 1);
    await o.stop();
    assert.equal(calls, 1);
    assert.equal(o.push('j', 2), false, 'a stopped outbox takes nothing');
  });
});
