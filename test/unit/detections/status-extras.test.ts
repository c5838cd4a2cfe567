import assert from 'node:assert/strict';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { BudgetOverruns } from '../../../src/detections/budget-status.js';
import { statusExtras } from '../../../src/detections/status-extras.js';

const now = new Date('2026-06-01T12:00:00Z');
const detection = (exceptions: object[], status?: object): AuditDetection =>
  ({ metadata: { name: 'd', generation: 2 }, spec: { exceptions }, status }) as unknown as AuditDetection;

describe('statusExtras', () => {
  const cases: { name: string; d: AuditDetection; want: string[] }[] = [
    { name: 'no exceptions, nothing recorded: nothing to write', d: detection([]), want: [] },
    {
      name: 'a fresh exception list: counters and summary',
      d: detection([{ names: ['a'] }]),
      want: ['exceptions', 'exceptionSummary'],
    },
    {
      name: 'an expired exception: the condition too',
      d: detection([{ names: ['a'], expires: '2026-01-01T00:00:00Z' }]),
      want: ['exceptions', 'exceptionSummary', 'conditions'],
    },
    {
      name: 'already written: nothing to write',
      d: detection([{ names: ['a'] }], {
        exceptions: [{ index: 0, matches: 3, expired: false }],
        exceptionSummary: '1',
      }),
      want: [],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = statusExtras(c.d, [], new Map(), new BudgetOverruns(), now);
      assert.deepEqual(Object.keys(got).sort(), [...c.want].sort());
    });

  it('adds pending matches to the written count', () => {
    const d = detection([{ names: ['a'] }], {
      exceptions: [{ index: 0, matches: 3, expired: false }],
      exceptionSummary: '1',
    });
    const got = statusExtras(
      d,
      [],
      new Map([[0, { matches: 2, lastMs: now.getTime() }]]),
      new BudgetOverruns(),
      now,
    );
    assert.deepEqual(got.exceptions, [
      { index: 0, matches: 5, lastMatched: '2026-06-01T12:00:00Z', expired: false },
    ]);
  });
});
