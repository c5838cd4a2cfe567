import assert from 'node:assert/strict';
import { ApiError } from '../../../src/kube/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { TerminalError, WorkQueue } from '../../../src/runtime/queue.js';

const backoff = { baseMs: 1, maxMs: 4 };

describe('WorkQueue', () => {
  it('never processes one key twice at once and processes it again with the newest payload', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const q = new WorkQueue<number>(
      { name: 't', concurrency: 4, backoff },
      async (_k, p) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        seen.push(p);
        if (p === 1) await gate;
        inFlight--;
        return undefined;
      },
      silentLogger(),
    );
    q.add('a', 1);
    q.add('a', 2);
    q.add('a', 3);
    release();
    await q.idle();
    assert.equal(maxInFlight, 1);
    assert.deepEqual(seen, [1, 3]);
  });

  it('whenBelow resolves at once under the limit, else once the backlog drains below it', async () => {
    const gates: Array<() => void> = [];
    const q = new WorkQueue<number>(
      { name: 't', concurrency: 2, backoff },
      async () => {
        await new Promise<void>((r) => gates.push(r));
        return undefined;
      },
      silentLogger(),
    );
    await q.whenBelow(1); // empty queue: at once
    for (const k of ['a', 'b', 'c', 'd']) q.add(k, 0);
    let admitted = false;
    const waiting = q.whenBelow(3).then(() => {
      admitted = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(admitted, false, 'depth 4 is not below 3');
    gates.shift()?.(); // a done: depth 3, still not below 3
    await new Promise((r) => setImmediate(r));
    assert.equal(admitted, false, 'depth 3 is not below 3');
    gates.shift()?.(); // b done: depth 2
    await waiting;
    assert.equal(q.depth, 2);
    while (gates.length) gates.shift()?.();
    await new Promise((r) => setImmediate(r));
    while (gates.length) gates.shift()?.();
    await q.idle();
  });

  it('weighs what it holds, in flight and retried included, and holds producers back by weight', async () => {
    const gates: Array<() => void> = [];
    let fail = true;
    const q = new WorkQueue<string>(
      { name: 't', concurrency: 1, backoff, weigh: (text) => text.length },
      async (_k, text) => {
        await new Promise<void>((r) => gates.push(r));
        if (text === 'retry' && fail) {
          fail = false;
          throw new Error('once');
        }
        return undefined;
      },
      silentLogger(),
    );
    q.add('a', 'x'.repeat(600)); // taken at once: in flight
    q.add('b', 'x'.repeat(300));
    q.add('b', 'x'.repeat(500)); // replaces b's payload: 300 no longer held
    q.add('a', 'y'.repeat(100)); // a newer payload while a is in flight: both held
    assert.equal(q.weight, 1200);
    assert.equal(q.below(10, 1200), false, 'as many keys as allowed, but not lighter');
    assert.equal(q.below(10, 1201), true);
    let admitted = false;
    const waiting = q.whenBelow(10, 700).then(() => {
      admitted = true;
    });
    gates.shift()?.(); // a (600) done; a's newer payload (100) is queued behind b
    await new Promise((r) => setImmediate(r));
    assert.equal(q.weight, 600);
    await waiting;
    assert.equal(admitted, true);
    q.add('r', 'retry');
    while (q.depth > 0) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(q.weight, 0, 'nothing held once idle, the retried payload included');
  });

  it('whenBelow waiters are let go when the queue shuts down', async () => {
    const q = new WorkQueue<number>(
      { name: 't', concurrency: 1, backoff },
      async () => {
        await new Promise((r) => setTimeout(r, 5));
        return undefined;
      },
      silentLogger(),
    );
    q.add('a', 0);
    q.add('b', 0);
    const waiting = q.whenBelow(1);
    await q.shutdown();
    await waiting;
  });

  it('retries a failing key with backoff until it succeeds', async () => {
    let calls = 0;
    const q = new WorkQueue<string>(
      { name: 't', concurrency: 1, backoff },
      async () => {
        calls++;
        if (calls < 3) throw new Error('boom');
        return undefined;
      },
      silentLogger(),
    );
    q.add('k', 'x');
    await q.idle();
    assert.equal(calls, 3);
  });

  it('processes different keys concurrently up to the limit', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const q = new WorkQueue<number>(
      { name: 't', concurrency: 3, backoff },
      async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return undefined;
      },
      silentLogger(),
    );
    for (let i = 0; i < 10; i++) q.add(`k${i}`, i);
    assert.equal(q.depth, 10);
    await q.idle();
    assert.equal(maxInFlight, 3);
    assert.equal(q.depth, 0);
  });
});

describe('WorkQueue error classes', () => {
  const api422 = () =>
    new Error('creating AuditAlert a', {
      cause: new ApiError('POST /apis/tripline.dev/v1alpha1/auditalerts: 422 Invalid', {
        status: 422,
        reason: 'Invalid',
        method: 'POST',
      }),
    });
  const cases = [
    { name: 'drops a key after a TerminalError', err: () => new TerminalError('no'), calls: 1, terminal: 1 },
    { name: 'a wrapped 422 is terminal: counted, not retried', err: api422, calls: 1, terminal: 1 },
    {
      name: 'a 404 on GET is done: not retried, not counted',
      err: () => new ApiError('GET x: 404', { status: 404, method: 'GET' }),
      calls: 1,
      terminal: 0,
    },
    {
      name: 'a 503 is retried',
      err: () => new ApiError('POST x: 503', { status: 503, method: 'POST' }),
      calls: 2,
      terminal: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      let calls = 0;
      const terminal: string[] = [];
      const q = new WorkQueue<string>(
        { name: 't', concurrency: 1, backoff, events: { terminal: (k) => terminal.push(k) } },
        async () => {
          calls++;
          // Fails once only, so a queue that retries what it must not ends idle too, and is caught.
          if (calls === 1) throw c.err();
          return undefined;
        },
        silentLogger(),
      );
      q.add('k', 'x');
      await q.idle();
      assert.equal(calls, c.calls);
      assert.equal(terminal.length, c.terminal);
    });
  }
});
