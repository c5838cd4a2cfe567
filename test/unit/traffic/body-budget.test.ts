import assert from 'node:assert/strict';
import { BodyBudget } from '../../../src/traffic/body-budget.js';

describe('traffic/body-budget BodyBudget', () => {
  it('counts bytes held, refuses beyond the limit, gives back on release', () => {
    const b = new BodyBudget(100, 100, 1000, () => 0);
    const a = b.open('p', () => {});
    const c = b.open('p', () => {});
    assert.equal(a.take(60), true);
    assert.equal(c.take(41), false, 'does not fit while the first body is young');
    assert.equal(c.take(40), true);
    assert.equal(b.used, 100);
    a.release();
    a.release();
    assert.equal(b.used, 40);
    assert.equal(c.take(60), true);
  });

  it('an idle claim (an upload that declared much and sent nothing) holds nothing', () => {
    const b = new BodyBudget(100, 100, 1000, () => 0);
    for (let i = 0; i < 50; i++) b.open('p', () => {});
    assert.equal(b.open('p', () => {}).take(100), true);
  });

  it('one peer holds at most its share: another peer still gets in', () => {
    const b = new BodyBudget(100, 50, 1000, () => 0);
    const greedy = [b.open('10.0.0.66', () => {}), b.open('10.0.0.66', () => {})];
    assert.equal(greedy[0]?.take(50), true);
    assert.equal(greedy[1]?.take(1), false, 'over its share');
    assert.equal(b.open('10.0.0.7', () => {}).take(50), true, 'the shipper fits');
    greedy[0]?.release();
    assert.equal(greedy[1]?.take(50), true, 'its share is free again');
  });

  const cases = [
    {
      name: 'uploads older than the threshold are aborted, oldest first, until it fits',
      at: 5000,
      want: ['a'],
      fits: true,
    },
    { name: 'two old uploads when one is not enough', at: 5000, need: 90, want: ['a', 'b'], fits: true },
    { name: 'young uploads are never aborted: the newcomer gets 503', at: 1500, want: [], fits: false },
  ];
  for (const c of cases)
    it(c.name, () => {
      let now = 0;
      const b = new BodyBudget(100, 100, 2000, () => now);
      const aborted: string[] = [];
      const a = b.open('p', () => aborted.push('a'));
      now = 1000;
      const bb = b.open('p', () => aborted.push('b'));
      assert.equal(a.take(50), true);
      assert.equal(bb.take(50), true);
      now = c.at;
      const fresh = b.open('p', () => aborted.push('fresh'));
      assert.equal(fresh.take(c.need ?? 40), c.fits);
      assert.deepEqual(aborted, c.want);
      assert.equal(b.preempted, c.want.length);
      assert.ok(b.used <= 100);
      // An aborted claim takes nothing more.
      if (c.want.includes('a')) assert.equal(a.take(1), false);
    });
});
