import assert from 'node:assert/strict';
import type { AdmissionRecord, AuditRecord } from '../../../src/actors/records.js';
import { AttributionStore, evictionIndex, type Topic } from '../../../src/actors/store.js';
import { ManualClock } from './samples.js';

const coords = { group: 'networking.k8s.io', resource: 'ingresses', namespace: 'team-a' };
const user = { username: 'tenant-dev', groups: ['devs'] };
const admission = (
  uid: string,
  at = 0,
  operation: AdmissionRecord['operation'] = 'CREATE',
): AdmissionRecord => ({
  operation,
  coordinates: coords,
  name: uid,
  objectUid: uid,
  user,
  at,
});
const audit = (name: string): AuditRecord => ({
  auditID: name,
  verb: 'create',
  coordinates: coords,
  name,
  user,
  sourceIPs: [],
  code: 201,
  received: 0,
  completed: 0,
});

describe('AttributionStore', () => {
  it('evicts the least recently written keys beyond maxEntries', () => {
    const store = new AttributionStore({ maxEntries: 3, ttlMs: 60_000 }, new ManualClock());
    for (const uid of ['a', 'b', 'c']) store.recordAdmission(admission(uid));
    store.recordAdmission(admission('a', 0, 'UPDATE')); // a is now the most recent
    store.recordAdmission(admission('d'));
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((u) => store.admission(u).length),
      [2, 0, 1, 1],
    );
    assert.equal(store.sizes.objects, 3);
  });

  it('forgets records older than the TTL, by the injected clock', () => {
    const clock = new ManualClock();
    const store = new AttributionStore({ maxEntries: 100, ttlMs: 10_000 }, clock);
    store.recordAdmission(admission('old'));
    clock.advance(6_000);
    store.recordAdmission(admission('new'));
    clock.advance(5_000);
    assert.equal(store.admission('old').length, 0);
    assert.equal(store.admission('new').length, 1);
    store.recordAdmission(admission('newest')); // a write sweeps expired keys
    assert.equal(store.sizes.objects, 2);
  });

  it('keeps at most 16 records per key, the newest', () => {
    const store = new AttributionStore({ maxEntries: 10, ttlMs: 60_000 }, new ManualClock());
    for (let i = 0; i < 20; i++) store.recordAdmission(admission('busy', i, 'UPDATE'));
    const kept = store.admission('busy');
    assert.equal(kept.length, 16);
    assert.equal(kept[0]?.at, 4);
  });

  const creatorCases: {
    name: string;
    writes: AdmissionRecord['operation'][];
    first: number;
    creator: string;
  }[] = [
    {
      name: 'a create then 30 updates',
      writes: ['CREATE', ...Array<'UPDATE'>(30).fill('UPDATE')],
      first: 0,
      creator: 'w0',
    },
    {
      name: 'a create then 20 more creates of the same uid',
      writes: Array<'CREATE'>(21).fill('CREATE'),
      first: 0,
      creator: 'w0',
    },
    {
      name: 'an update seen before the create, then 20 updates',
      writes: ['UPDATE', 'CREATE', ...Array<'UPDATE'>(20).fill('UPDATE')],
      first: 1,
      creator: 'w1',
    },
  ];
  for (const c of creatorCases) {
    it(`never displaces the first CREATE of a uid: ${c.name}`, () => {
      const store = new AttributionStore({ maxEntries: 10, ttlMs: 60_000 }, new ManualClock());
      c.writes.forEach((op, i) => {
        store.recordAdmission({ ...admission('obj', i, op), user: { username: `w${i}`, groups: [] } });
      });
      const kept = store.admission('obj');
      assert.ok(kept.length <= 16);
      const creates = kept.filter((r) => r.operation === 'CREATE');
      assert.deepEqual(
        creates.map((r) => r.user.username),
        [c.creator],
      );
      assert.equal(creates[0]?.at, c.first);
    });
  }

  const evictions: { name: string; ops: string[]; want: number }[] = [
    { name: 'no pin: the oldest', ops: ['U', 'U', 'U'], want: 0 },
    { name: 'the oldest is the creator: the next', ops: ['C', 'U', 'U'], want: 1 },
    { name: 'the creator is later: the oldest', ops: ['U', 'C', 'U'], want: 0 },
  ];
  for (const e of evictions) {
    it(`evicts ${e.name}`, () => {
      assert.equal(
        evictionIndex(e.ops, (o) => o === 'C'),
        e.want,
      );
    });
  }

  it('indexes audit records by coordinates and name, generated names under ""', () => {
    const store = new AttributionStore({ maxEntries: 10, ttlMs: 60_000 }, new ManualClock());
    store.recordAudit([audit('shop'), audit('')]);
    assert.equal(store.audit(coords, 'shop').length, 1);
    assert.equal(store.audit(coords, '').length, 1);
    assert.equal(store.audit({ ...coords, namespace: 'team-b' }, 'shop').length, 0);
  });

  it('tells listeners which topics received records, until they unsubscribe', () => {
    const store = new AttributionStore({ maxEntries: 10, ttlMs: 60_000 }, new ManualClock());
    const seen: Topic[][] = [];
    const off = store.subscribe((t) => seen.push([...t]));
    store.recordAdmission(admission('u1'));
    store.recordAudit([audit('x'), audit('y')]);
    store.recordAudit([]);
    off();
    store.recordAdmission(admission('u2'));
    assert.deepEqual(seen, [['uid:u1'], ['at:networking.k8s.io/ingresses/team-a']]);
  });
});
