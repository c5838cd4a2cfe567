import assert from 'node:assert/strict';
import { SuppressionCounter } from '../../../src/detections/counters.js';

describe('SuppressionCounter', () => {
  it('keeps what arrived after the flush started', () => {
    const c = new SuppressionCounter();
    c.add('d');
    c.add('d');
    const flushing = c.pending('d');
    c.add('d');
    c.settle('d', flushing);
    assert.equal(c.pending('d'), 1);
    c.settle('d', 1);
    assert.equal(c.pending('d'), 0);
    c.add('e');
    c.forget('e');
    assert.equal(c.pending('e'), 0);
  });

  it('counts per exception with the latest time, and keeps what arrived during a flush', () => {
    const c = new SuppressionCounter();
    c.add('d', 0, 1000);
    c.add('d', 0, 3000);
    c.add('d', 2, 2000);
    const flushing = c.pendingByException('d');
    assert.deepEqual(
      [...flushing],
      [
        [0, { matches: 2, lastMs: 3000 }],
        [2, { matches: 1, lastMs: 2000 }],
      ],
    );
    c.add('d', 0, 4000);
    c.settle('d', c.pending('d') - 1, flushing);
    assert.deepEqual([...c.pendingByException('d')], [[0, { matches: 1, lastMs: 4000 }]]);
    c.settle('d', 1, c.pendingByException('d'));
    assert.deepEqual([...c.pendingByException('d')], []);
  });

  it('ignores indexes beyond the bound of spec.exceptions', () => {
    const c = new SuppressionCounter();
    c.add('d', 128, 1);
    c.add('d', -1, 1);
    assert.equal(c.pending('d'), 2);
    assert.deepEqual([...c.pendingByException('d')], []);
  });
});
