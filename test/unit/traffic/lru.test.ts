import assert from 'node:assert/strict';
import { Lru } from '../../../src/traffic/lru.js';

describe('traffic/lru', () => {
  it('evicts the least recently used; get makes a key young', () => {
    const l = new Lru<number>();
    l.add('a', 1);
    l.add('b', 2);
    l.add('c', 3);
    assert.equal(l.get('a'), 1);
    assert.deepEqual(l.evictOldest(), ['b', 2]);
    assert.deepEqual(l.evictOldest(), ['c', 3]);
    assert.deepEqual(l.evictOldest(), ['a', 1]);
    assert.equal(l.evictOldest(), undefined);
    assert.equal(l.size, 0);
  });

  it('iterates oldest first and allows deleting the current entry', () => {
    const l = new Lru<number>();
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) l.add(k, i);
    const seen: string[] = [];
    for (const [k] of l.entries()) {
      seen.push(k);
      if (k === 'b' || k === 'd') l.delete(k);
    }
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
    assert.deepEqual(
      [...l.entries()].map(([k]) => k),
      ['a', 'c'],
    );
    assert.equal(l.get('b'), undefined);
  });

  it('stays consistent under a flood of adds and evictions', () => {
    const l = new Lru<number>();
    for (let i = 0; i < 10_000; i++) {
      if (l.size >= 100) l.evictOldest();
      l.add(`k${i}`, i);
      if (i % 7 === 0) l.get(`k${i - 50}`);
    }
    assert.equal(l.size, 100);
    assert.equal([...l.entries()].length, 100);
  });
});
