import assert from 'node:assert/strict';
import { condition } from '../../../src/api/conditions.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { BUDGET_CONDITION, BudgetOverruns } from '../../../src/detections/budget-status.js';
import type { Condition } from '../../../src/detections/status.js';

const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bomb', namespace: 'team' } };
const QUIET = 60_000;
const on = { ...condition(BUDGET_CONDITION, true, 'OverBudget', 'm'), observedGeneration: 1 } as Condition;

describe('BudgetOverruns', () => {
  const cases: {
    name: string;
    record?: { generation: number; atMs: number };
    generation: number;
    current: Condition[];
    nowMs: number;
    want: { status: string; reason: string } | undefined;
  }[] = [
    { name: 'never overran: no condition', generation: 1, current: [], nowMs: 0, want: undefined },
    {
      name: 'overran in this generation: True',
      record: { generation: 1, atMs: 1000 },
      generation: 1,
      current: [],
      nowMs: 2000,
      want: { status: 'True', reason: 'OverBudget' },
    },
    {
      name: 'a new generation clears it at once',
      record: { generation: 1, atMs: 1000 },
      generation: 2,
      current: [on],
      nowMs: 2000,
      want: { status: 'False', reason: 'WithinBudget' },
    },
    {
      name: 'the quiet period clears it',
      record: { generation: 1, atMs: 1000 },
      generation: 1,
      current: [on],
      nowMs: 1000 + QUIET,
      want: { status: 'False', reason: 'WithinBudget' },
    },
    {
      name: 'after a restart (nothing recorded) a True condition is cleared',
      generation: 1,
      current: [on],
      nowMs: 0,
      want: { status: 'False', reason: 'WithinBudget' },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const o = new BudgetOverruns(QUIET);
      if (c.record)
        o.record('d', c.record.generation, 'spec.match.condition', 'cost limit', pod, c.record.atMs);
      const got = o.conditionFor('d', c.generation, c.current, c.nowMs);
      assert.deepEqual(got && { status: got.status, reason: got.reason }, c.want);
    });

  it('names the field, the reason and the object in the message', () => {
    const o = new BudgetOverruns(QUIET);
    o.record('d', 1, 'spec.match.condition', 'cost limit', pod, 0);
    assert.match(
      o.conditionFor('d', 1, [], 1)?.message ?? '',
      /^spec\.match\.condition .*cost limit.* Pod team\/bomb;/,
    );
  });

  it('updated() changes the conditions only when the budget condition changes', () => {
    const o = new BudgetOverruns(QUIET);
    const now = new Date(2000);
    assert.equal(o.updated('d', 1, [], now), undefined, 'nothing to say');
    o.record('d', 1, 'spec.match.condition', 'cost limit', pod, 1000);
    const set = o.updated('d', 1, [], now);
    assert.deepEqual(
      set?.map((c) => [c.type, c.status, c.observedGeneration]),
      [[BUDGET_CONDITION, 'True', 1]],
    );
    assert.equal(o.updated('d', 1, set ?? [], now), undefined, 'already up to date');
  });
});
