import assert from 'node:assert/strict';
import {
  EXPIRED_CONDITION,
  type ExceptionStatus,
  exceptionFields,
  exceptionStatuses,
  exceptionSummary,
  expiredCondition,
} from '../../../src/detections/exception-status.js';
import type { ExceptionSpec } from '../../../src/detections/exceptions.js';

const T = Date.parse('2026-06-01T12:00:00Z');
const past = '2026-05-01T00:00:00Z';
const future = '2026-07-01T00:00:00Z';

describe('exceptionStatuses', () => {
  const cases: {
    name: string;
    spec: ExceptionSpec[];
    prev?: ExceptionStatus[];
    pending?: [number, { matches: number; lastMs: number }][];
    want: ExceptionStatus[];
  }[] = [
    { name: 'no exceptions', spec: [], want: [] },
    {
      name: 'fresh entries start at zero, expiry evaluated now',
      spec: [
        { names: ['a'], name: 'ci', owner: 'team-a', expires: past },
        { names: ['b'], expires: future },
      ],
      want: [
        { index: 0, name: 'ci', owner: 'team-a', expires: past, matches: 0, expired: true },
        { index: 1, expires: future, matches: 0, expired: false },
      ],
    },
    {
      name: 'pending matches add to the persisted count and move lastMatched',
      spec: [{ names: ['a'] }],
      prev: [{ index: 0, matches: 4, lastMatched: '2026-05-01T00:00:00Z', expired: false }],
      pending: [[0, { matches: 2, lastMs: T }]],
      want: [{ index: 0, matches: 6, lastMatched: '2026-06-01T12:00:00Z', expired: false }],
    },
    {
      name: 'a named entry keeps its count when reordered',
      spec: [{ names: ['new'] }, { names: ['a'], name: 'ci' }],
      prev: [{ index: 0, name: 'ci', matches: 7, expired: false }],
      want: [
        { index: 0, matches: 0, expired: false },
        { index: 1, name: 'ci', matches: 7, expired: false },
      ],
    },
  ];
  for (const c of cases)
    it(c.name, () =>
      assert.deepEqual(exceptionStatuses(c.spec, c.prev, new Map(c.pending ?? []), T), c.want),
    );
});

describe('exceptionSummary', () => {
  const e = (matches: number, expired: boolean): ExceptionStatus => ({ index: 0, matches, expired });
  const cases: { name: string; list: ExceptionStatus[]; want: string | undefined }[] = [
    { name: 'none', list: [], want: undefined },
    { name: 'all used', list: [e(1, false), e(3, false)], want: '2' },
    {
      name: 'expired and unused',
      list: [e(1, false), e(0, true), e(0, false)],
      want: '3 (1 expired, 1 unused)',
    },
    { name: 'an expired entry is not also unused', list: [e(0, true)], want: '1 (1 expired)' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(exceptionSummary(c.list), c.want));
});

describe('expiredCondition', () => {
  const had = [{ type: EXPIRED_CONDITION, status: 'True' }] as never[];
  const cases: {
    name: string;
    spec: ExceptionSpec[];
    current?: never[];
    want: { status: string; reason: string; message: string } | undefined;
  }[] = [
    { name: 'no expires anywhere: no condition', spec: [{ names: ['a'] }], want: undefined },
    {
      name: 'an expires in the future: False',
      spec: [{ names: ['a'], expires: future }],
      want: { status: 'False', reason: 'NoneExpired', message: 'No exception has expired' },
    },
    {
      name: 'expired: True, naming index, name, owner and when',
      spec: [{ names: ['a'] }, { names: ['b'], name: 'ci-bot', owner: 'alice', expires: past }],
      want: {
        status: 'True',
        reason: 'Expired',
        message: `Expired, no longer suppressing: spec.exceptions[1] "ci-bot" (owner alice, expired ${past})`,
      },
    },
    {
      name: 'the expired entry removed: back to False',
      spec: [{ names: ['a'] }],
      current: had,
      want: { status: 'False', reason: 'NoneExpired', message: 'No exception has expired' },
    },
    {
      name: 'many expired: the message is bounded',
      spec: Array.from({ length: 12 }, (_, i) => ({ names: [`n${i}`], expires: past })),
      want: {
        status: 'True',
        reason: 'Expired',
        message: `Expired, no longer suppressing: ${Array.from({ length: 10 }, (_, i) => `spec.exceptions[${i}] (expired ${past})`).join('; ')}; and 2 more`,
      },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = expiredCondition(c.spec, T, c.current ?? []);
      assert.deepEqual(got && { status: got.status, reason: got.reason, message: got.message }, c.want);
      if (got) assert.equal(got.type, EXPIRED_CONDITION);
    });
});

describe('exceptionFields', () => {
  const d = (exceptions: ExceptionSpec[], status?: object) =>
    ({ metadata: { name: 'x' }, spec: { exceptions }, status }) as never;
  it('writes counters and summary when they change, nothing when they do not', () => {
    const first = exceptionFields(d([{ names: ['a'] }]), new Map(), T);
    assert.deepEqual(first, {
      exceptions: [{ index: 0, matches: 0, expired: false }],
      exceptionSummary: '1 (1 unused)',
    });
    assert.equal(exceptionFields(d([{ names: ['a'] }], first), new Map(), T), undefined);
  });
  it('clears the fields when the spec has no exceptions any more', () => {
    const status = { exceptions: [{ index: 0, matches: 1, expired: false }], exceptionSummary: '1' };
    assert.deepEqual(exceptionFields(d([], status), new Map(), T), {
      exceptions: null,
      exceptionSummary: null,
    });
  });
});
