import assert from 'node:assert/strict';
import { AnswerTooLargeError } from '../../../src/kube/errors.js';
import { listPage, PageSizer } from '../../../src/kube/paging.js';
import { FakeCluster } from '../support/fake-cluster.js';

describe('PageSizer', () => {
  const cases: { what: string; max: number; maxBytes?: number; steps: string[]; limits: number[] }[] = [
    { what: 'no budget: always the page size', max: 500, steps: ['fit 500 9000000'], limits: [500] },
    {
      what: 'too large: a quarter each time',
      max: 500,
      maxBytes: 1000,
      steps: ['shrink', 'shrink'],
      limits: [125, 31],
    },
    {
      what: 'small items: capped at the page size',
      max: 500,
      maxBytes: 8_000_000,
      steps: ['fit 500 2000000'],
      limits: [500],
    },
    {
      what: 'large items: half the budget',
      max: 500,
      maxBytes: 8_000_000,
      steps: ['fit 2 2800000'],
      limits: [2],
    },
    {
      what: 'items larger than half the budget: one',
      max: 500,
      maxBytes: 4_000_000,
      steps: ['fit 1 2900000'],
      limits: [1],
    },
    {
      what: 'an empty page changes nothing',
      max: 500,
      maxBytes: 1000,
      steps: ['shrink', 'fit 0 10'],
      limits: [125, 125],
    },
  ];
  for (const c of cases)
    it(c.what, () => {
      const sizer = new PageSizer(c.max, c.maxBytes);
      const limits = c.steps.map((step) => {
        const [verb, items, bytes] = step.split(' ');
        if (verb === 'shrink') assert.equal(sizer.shrink(), true);
        else sizer.fit(Number(items), Number(bytes));
        return sizer.limit;
      });
      assert.deepEqual(limits, c.limits);
    });

  it('cannot shrink below one item', () => {
    const sizer = new PageSizer(4, 10);
    assert.equal(sizer.shrink(), true);
    assert.equal(sizer.limit, 1);
    assert.equal(sizer.shrink(), false);
  });
});

describe('listPage', () => {
  it('throws when one object alone passes the budget (no smaller page exists)', async () => {
    const cluster = new FakeCluster();
    cluster.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'huge', namespace: 'x', annotations: { b: 'x'.repeat(5000) } },
    });
    const sizer = new PageSizer(500, 1000);
    const shrunk: number[] = [];
    await assert.rejects(
      listPage(cluster, '/api/v1/pods', undefined, sizer, { onShrunk: (_b, limit) => shrunk.push(limit) }),
      AnswerTooLargeError,
    );
    assert.deepEqual(shrunk, [125, 31, 7, 1]);
  });
});
