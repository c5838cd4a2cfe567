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
});
