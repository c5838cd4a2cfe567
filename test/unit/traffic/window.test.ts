import assert from 'node:assert/strict';
import { BUCKETS } from '../../../src/detections/traffic-settings.js';
import { ewmaAlpha, IngressWindow } from '../../../src/traffic/window.js';

const BUCKET = 1000; // a 12 s window
const T0 = 1_800_000_000_000; // a bucket boundary

function windowAt(now = T0): IngressWindow {
  return new IngressWindow(BUCKET, now, { maxSources: 4 });
}

describe('traffic/window IngressWindow', () => {
  it('counts requests, classes and disallowed sources over the window', () => {
    const w = windowAt();
    w.record(T0, 200, 'a', 'allowed');
    w.record(T0 + 100, 404, 'b', 'disallowed');
    w.record(T0 + 2500, 503, 'b', 'disallowed');
    assert.deepEqual(w.counts(T0 + 3000), { requests: 3, classes: [0, 0, 1, 0, 1, 1], disallowed: 2 });
  });

  it('slides: buckets older than the window drop out', () => {
    const w = windowAt();
    w.record(T0, 200, 'a', undefined);
    w.record(T0 + 5 * BUCKET, 200, 'a', undefined);
    assert.equal(w.counts(T0 + (BUCKETS - 1) * BUCKET).requests, 2, 'the first bucket still in');
    assert.equal(w.counts(T0 + BUCKETS * BUCKET).requests, 1, 'the first bucket out');
    assert.equal(w.counts(T0 + (BUCKETS + 5) * BUCKET).requests, 0);
  });

  it('refuses a request in a bucket the ring reused for a later time (late)', () => {
    const w = windowAt();
    w.record(T0 + BUCKETS * BUCKET, 200, 'a', undefined);
    assert.equal(w.record(T0, 200, 'a', undefined), false);
    assert.equal(w.record(T0 + 1, 200, 'a', undefined), false);
    assert.equal(w.counts(T0 + BUCKETS * BUCKET).requests, 1);
  });

  it('accepts out-of-order requests within the window', () => {
    const w = windowAt();
    w.record(T0 + 5000, 200, 'a', undefined);
    assert.equal(w.record(T0 + 1000, 200, 'a', undefined), true);
    assert.equal(w.counts(T0 + 5000).requests, 2);
  });

  it('reports the busiest sources, marked allowed or not, and status codes', () => {
    const w = windowAt();
    for (let i = 0; i < 5; i++) w.record(T0, 200, '10.0.0.1', 'allowed');
    for (let i = 0; i < 3; i++) w.record(T0, 403, '203.0.113.9', 'disallowed');
    const r = w.report(T0 + 500, 10, (a) => (a.startsWith('10.') ? 'allowed' : 'disallowed'));
    assert.deepEqual(r.sources, [
      { address: '10.0.0.1', requests: 5, allowed: true },
      { address: '203.0.113.9', requests: 3, allowed: false },
    ]);
    assert.deepEqual(r.disallowedSources, [{ address: '203.0.113.9', requests: 3, allowed: false }]);
    assert.deepEqual(r.codes, [
      [200, 5],
      [403, 3],
    ]);
    assert.equal(r.endMs, T0 + 500);
    assert.equal(r.startMs, T0 + BUCKET - BUCKETS * BUCKET);
  });

  it('without an allow-list, sources carry no allowed flag', () => {
    const w = windowAt();
    w.record(T0, 200, 'x', undefined);
    assert.deepEqual(w.report(T0, 10).sources, [{ address: 'x', requests: 1 }]);
  });

  it('source summaries rotate: after two windows old sources are gone', () => {
    const w = windowAt();
    w.record(T0, 200, 'old', undefined);
    w.rotate(T0 + BUCKETS * BUCKET);
    assert.deepEqual(
      w.report(T0 + BUCKETS * BUCKET, 10).sources.map((s) => s.address),
      ['old'],
      'one generation back still reported',
    );
    w.rotate(T0 + 2 * BUCKETS * BUCKET);
    assert.deepEqual(w.report(T0 + 2 * BUCKETS * BUCKET, 10).sources, []);
  });

  it('bounds distinct sources per generation', () => {
    const w = windowAt();
    for (let i = 0; i < 1000; i++) w.record(T0, 200, `10.0.${i >> 8}.${i & 255}`, undefined);
    assert.ok(w.report(T0, 100).sources.length <= 4);
    assert.ok(w.evictedSources > 0);
  });

  describe('baseline', () => {
    it('learns a steady rate as an EWMA per bucket, after the partial first bucket', () => {
      const w = windowAt(T0 + 500);
      const learning = { alpha: ewmaAlpha(BUCKET, 10_000), multiplier: 1000, floorPerBucket: 1 };
      for (let s = 1; s <= 60; s++) {
        for (let i = 0; i < 10; i++) w.record(T0 + s * BUCKET + i, 200, 'a', undefined);
        w.foldBaseline(T0 + (s + 1) * BUCKET, learning, true);
      }
      assert.ok(Math.abs((w.baselinePerWindow() ?? 0) - 10 * BUCKETS) < 0.5, String(w.baselinePerWindow()));
    });

    it('does not learn while told not to (a spike must not become the new normal)', () => {
      const w = windowAt(T0);
      const learning = { alpha: ewmaAlpha(BUCKET, 10_000), multiplier: 1000, floorPerBucket: 1 };
      for (let i = 0; i < 10; i++) w.record(T0 + BUCKET + i, 200, 'a', undefined);
      w.foldBaseline(T0 + 2 * BUCKET, learning, true);
      const before = w.baselinePerWindow();
      for (let i = 0; i < 1000; i++) w.record(T0 + 2 * BUCKET + i, 200, 'a', undefined);
      w.foldBaseline(T0 + 3 * BUCKET, learning, false);
      assert.equal(w.baselinePerWindow(), before);
    });

    it('caps a sample at multiplier × the baseline (a ramping spike is not learned), with a floor', () => {
      const w = windowAt(T0);
      const learning = { alpha: 0.5, multiplier: 2, floorPerBucket: 1 };
      for (let i = 0; i < 10; i++) w.record(T0 + BUCKET, 200, 'a', undefined);
      w.foldBaseline(T0 + 2 * BUCKET, learning, true);
      for (let i = 0; i < 1000; i++) w.record(T0 + 2 * BUCKET, 200, 'a', undefined);
      w.foldBaseline(T0 + 3 * BUCKET, learning, true);
      assert.equal(w.baselinePerWindow(), 15 * BUCKETS, 'sample capped at 20: 0.5 × 20 + 0.5 × 10');
      const quiet = windowAt(T0);
      quiet.foldBaseline(T0 + 100 * BUCKET, learning, true); // baseline 0
      for (let i = 0; i < 1000; i++) quiet.record(T0 + 100 * BUCKET, 200, 'a', undefined);
      quiet.foldBaseline(T0 + 101 * BUCKET, learning, true);
      assert.equal(quiet.baselinePerWindow(), 0.5 * BUCKETS, 'from zero, the floor lets it learn');
    });

    it('decays over a long quiet spell in closed form', () => {
      const w = windowAt(T0);
      const learning = { alpha: ewmaAlpha(BUCKET, 1000), multiplier: 1000, floorPerBucket: 1 };
      for (let i = 0; i < 100; i++) w.record(T0 + BUCKET, 200, 'a', undefined);
      w.foldBaseline(T0 + 2 * BUCKET, learning, true);
      assert.equal(w.baselinePerWindow(), 100 * BUCKETS);
      w.foldBaseline(T0 + 1000 * BUCKET, learning, true);
      assert.ok((w.baselinePerWindow() ?? 1) < 1e-6);
    });

    it('is undefined until a bucket completed', () => {
      const w = windowAt(T0);
      w.foldBaseline(T0 + 500, { alpha: 0.1, multiplier: 5, floorPerBucket: 1 }, true);
      assert.equal(w.baselinePerWindow(), undefined);
    });
  });

  it('ewmaAlpha: a weight halves after one half-life', () => {
    const a = ewmaAlpha(1000, 10_000);
    assert.ok(Math.abs((1 - a) ** 10 - 0.5) < 1e-9);
  });
});
