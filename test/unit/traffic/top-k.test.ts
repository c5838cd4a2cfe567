import assert from 'node:assert/strict';
import { TopK, topOf } from '../../../src/traffic/top-k.js';

describe('traffic/top-k', () => {
  it('is exact below its capacity', () => {
    const t = new TopK(4);
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) t.add(k);
    assert.deepEqual(t.top(2), [
      ['a', 3],
      ['b', 2],
    ]);
    assert.equal(t.evicted, 0);
  });

  it('holds at most its capacity and keeps the heavy hitter on top under a flood of distinct keys', () => {
    const t = new TopK(8);
    for (let i = 0; i < 10_000; i++) {
      t.add(`noise-${i}`);
      if (i % 4 === 0) t.add('attacker');
    }
    assert.equal(t.size, 8);
    assert.equal(t.top(1)[0]?.[0], 'attacker');
    assert.ok((t.top(1)[0]?.[1] ?? 0) >= 2500, 'never under-estimates');
    assert.ok(t.evicted > 0);
  });

  it('matches a brute-force Space-Saving on random input (heap kept in order)', () => {
    let x = 7;
    const rnd = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    for (const capacity of [1, 2, 5, 16]) {
      const t = new TopK(capacity);
      const ref = new Map<string, number>();
      for (let i = 0; i < 5000; i++) {
        const key = `k${Math.floor(rnd() ** 2 * 40)}`;
        const n = 1 + Math.floor(rnd() * 3);
        t.add(key, n);
        const c = ref.get(key);
        if (c !== undefined) ref.set(key, c + n);
        else if (ref.size < capacity) ref.set(key, n);
        else {
          const min = Math.min(...ref.values());
          // Any key with the minimum may go: compare counts as multisets, not which key left.
          const victim = [...ref].find(([, v]) => v === min)?.[0] as string;
          ref.delete(victim);
          ref.set(key, min + n);
        }
        assert.deepEqual(
          [...t.entries()].map(([, v]) => v).sort((a, b) => a - b),
          [...ref.values()].sort((a, b) => a - b),
          `capacity ${capacity}, step ${i}`,
        );
        // The brute force may have evicted another key of equal count: follow the heap's choice.
        ref.clear();
        for (const [k, v] of t.entries()) ref.set(k, v);
      }
    }
  });

  it('breaks ties by key, so output is deterministic', () => {
    const t = new TopK(4);
    t.add('b');
    t.add('a');
    assert.deepEqual(t.top(2), [
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('topOf sums several summaries', () => {
    const x = new TopK(4);
    const y = new TopK(4);
    x.add('a', 2);
    y.add('a', 3);
    y.add('b', 4);
    assert.deepEqual(topOf([x, y], 5), [
      ['a', 5],
      ['b', 4],
    ]);
  });

  it('merge adds counts', () => {
    const x = new TopK(4);
    x.add('a');
    const y = new TopK(4);
    y.add('a', 2);
    x.merge(y);
    x.merge(new Map([['c', 7]]));
    assert.deepEqual(x.top(3), [
      ['c', 7],
      ['a', 3],
    ]);
  });
});
