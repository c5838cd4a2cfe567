import assert from 'node:assert/strict';
import { ByteBudget } from '../../../src/actors/request-body.js';

describe('ByteBudget', () => {
  const cases: {
    name: string;
    max: number;
    ops: Array<['take' | 'give', number]>;
    want: boolean[];
    used: number;
  }[] = [
    {
      name: 'takes up to the budget',
      max: 10,
      ops: [
        ['take', 4],
        ['take', 6],
      ],
      want: [true, true],
      used: 10,
    },
    {
      name: 'refuses past it and reserves nothing',
      max: 10,
      ops: [
        ['take', 8],
        ['take', 3],
      ],
      want: [true, false],
      used: 8,
    },
    {
      name: 'has room again once given back',
      max: 10,
      ops: [
        ['take', 8],
        ['give', 8],
        ['take', 10],
      ],
      want: [true, true],
      used: 10,
    },
    {
      name: 'never goes below zero',
      max: 10,
      ops: [
        ['give', 5],
        ['take', 10],
      ],
      want: [true],
      used: 10,
    },
    {
      name: 'refuses a single take larger than the budget',
      max: 10,
      ops: [['take', 11]],
      want: [false],
      used: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const b = new ByteBudget(c.max);
      const got: boolean[] = [];
      for (const [op, n] of c.ops) {
        if (op === 'take') got.push(b.take(n));
        else b.give(n);
      }
      assert.deepEqual(got, c.want);
      assert.equal(b.used, c.used);
    });
  }
});
