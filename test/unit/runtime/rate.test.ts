import assert from 'node:assert/strict';
import { TokenBucket } from '../../../src/runtime/rate.js';

describe('TokenBucket', () => {
  it('gives a burst at once, then one token per 1/rate, never more than the burst', () => {
    let now = 0;
    const b = new TokenBucket(10, 3, () => now);
    assert.deepEqual([b.tryTake(), b.tryTake(), b.tryTake()], [0, 0, 0]);
    assert.equal(b.tryTake(), 100, 'the next token is 100 ms away at 10/s');
    now += 100;
    assert.equal(b.tryTake(), 0);
    now += 60_000; // a long pause refills to the burst, not beyond
    assert.deepEqual([b.tryTake(), b.tryTake(), b.tryTake()], [0, 0, 0]);
    assert.ok(b.tryTake() > 0);
  });

  it('take() waits for a token and returns early when aborted', async () => {
    const b = new TokenBucket(1, 1);
    await b.take();
    const stop = new AbortController();
    const waiting = b.take(stop.signal);
    stop.abort();
    await waiting; // resolves although no token came
  });

  it('refuses a rate or burst that would never give a token', () => {
    assert.throws(() => new TokenBucket(0, 1), /perSecond > 0/);
    assert.throws(() => new TokenBucket(1, 0), /burst >= 1/);
  });
});
