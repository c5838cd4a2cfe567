import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { CompiledDetection } from '../../../src/detections/compile.js';
import {
  controlledByWatchedKind,
  decideCreated,
  decideEvent,
  groupKind,
  type Subscription,
  type WatchEvent,
  wantsCreatedAlert,
} from '../../../src/detections/match.js';
import { stubDetection } from '../support/core-fixtures.js';

const detection = stubDetection;
const sub = (over: Partial<CompiledDetection> = {}): Subscription => ({
  detection: detection(over),
  sinceMs: Date.parse('2026-01-01T00:00:00Z'),
  watchedKinds: new Set(['apps/Deployment', 'apps/ReplicaSet', '/Pod']),
});
const obj = (ts: string, owner?: { apiVersion: string; kind: string; controller?: boolean }): KubeObject => ({
  metadata: {
    name: 'x',
    uid: 'u',
    creationTimestamp: ts,
    ownerReferences: owner ? [{ name: 'o', uid: 'o', ...owner }] : undefined,
  },
});

describe('matching', () => {
  it('groupKind splits apiVersion', () => {
    assert.equal(groupKind('apps/v1', 'Deployment'), 'apps/Deployment');
    assert.equal(groupKind('v1', 'Pod'), '/Pod');
  });

  const cases = [
    { name: 'new object without owner', s: sub(), o: obj('2026-01-02T00:00:00Z'), want: true },
    { name: 'object older than the detection', s: sub(), o: obj('2025-01-02T00:00:00Z'), want: false },
    {
      name: 'pod controlled by a watched ReplicaSet is skipped',
      s: sub(),
      o: obj('2026-01-02T00:00:00Z', { apiVersion: 'apps/v1', kind: 'ReplicaSet', controller: true }),
      want: false,
    },
    {
      name: 'pod controlled by an unwatched kind is kept',
      s: sub(),
      o: obj('2026-01-02T00:00:00Z', { apiVersion: 'example.com/v1', kind: 'Thing', controller: true }),
      want: true,
    },
    {
      name: 'non-controller owner does not skip',
      s: sub(),
      o: obj('2026-01-02T00:00:00Z', { apiVersion: 'apps/v1', kind: 'ReplicaSet' }),
      want: true,
    },
    {
      name: 'skipControlled off keeps controlled objects',
      s: sub({ skipControlled: false }),
      o: obj('2026-01-02T00:00:00Z', { apiVersion: 'apps/v1', kind: 'ReplicaSet', controller: true }),
      want: true,
    },
    {
      name: 'filter rejection',
      s: sub({ filter: () => false }),
      o: obj('2026-01-02T00:00:00Z'),
      want: false,
    },
    {
      name: 'detection without Created event',
      s: sub({ events: new Set(['Deleted']) }),
      o: obj('2026-01-02T00:00:00Z'),
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(wantsCreatedAlert(c.s, c.o), c.want));

  const decisions = [
    { name: 'matching object alerts', s: sub(), want: 'alert' },
    { name: 'an exception suppresses', s: sub({ exception: () => 0 }), want: 'suppressed' },
    {
      name: 'a filtered object is skipped, not suppressed',
      s: sub({ filter: () => false, exception: () => 0 }),
      want: 'skip',
    },
    { name: 'unknown namespace labels wait', s: sub({ filter: () => 'pending' }), want: 'pending' },
  ] as const;
  for (const c of decisions)
    it(`decideCreated: ${c.name}`, () =>
      assert.equal(decideCreated(c.s, obj('2026-01-02T00:00:00Z')), c.want));

  it('tolerates a malformed ownerReferences field', () => {
    const o = { metadata: { ownerReferences: 'nonsense' } } as unknown as KubeObject;
    assert.equal(controlledByWatchedKind(o, new Set(['/Pod'])), false);
  });
});

describe('decideEvent', () => {
  const old = obj('2025-01-01T00:00:00Z');
  const cases: { name: string; s: Subscription; event: WatchEvent; want: string }[] = [
    {
      name: 'Updated counts for an object older than the detection',
      s: sub({ events: new Set(['Updated']) }),
      event: 'Updated',
      want: 'alert',
    },
    {
      name: 'Deleted counts for an object older than the detection',
      s: sub({ events: new Set(['Deleted']) }),
      event: 'Deleted',
      want: 'alert',
    },
    {
      name: 'Created does not count for an old object',
      s: sub({ events: new Set(['Created', 'Updated']) }),
      event: 'Created',
      want: 'skip',
    },
    {
      name: 'an event the detection does not name',
      s: sub({ events: new Set(['Created']) }),
      event: 'Updated',
      want: 'skip',
    },
    {
      name: 'exceptions apply to updates',
      s: sub({ events: new Set(['Updated']), exception: () => 0 }),
      event: 'Updated',
      want: 'suppressed',
    },
    {
      name: 'filters apply to deletions',
      s: sub({ events: new Set(['Deleted']), filter: () => false }),
      event: 'Deleted',
      want: 'skip',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(decideEvent(c.s, c.event, old), c.want));

  it('hands the previous state to the filter', () => {
    const prev = obj('2025-01-01T00:00:00Z');
    let seen: KubeObject | undefined;
    const s = sub({
      events: new Set(['Updated']),
      filter: (_o, _ns, o) => {
        seen = o;
        return true;
      },
    });
    assert.equal(decideEvent(s, 'Updated', old, prev), 'alert');
    assert.equal(seen, prev);
  });
});
