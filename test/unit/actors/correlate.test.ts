import assert from 'node:assert/strict';
import {
  type Attribution,
  type AttributionQuery,
  completion,
  correlate,
} from '../../../src/actors/correlate.js';
import { parseAdmissionReview, parseAuditEvents } from '../../../src/actors/records.js';
import { AttributionStore } from '../../../src/actors/store.js';
import { auditEvent, eventList, ManualClock, review } from './samples.js';

const UID = '820aa7dc-010a-4517-8822-e28cd17fb117';
const CREATED = Date.parse('2026-11-23T12:00:00Z');
const query = (o: Partial<AttributionQuery> = {}): AttributionQuery => ({
  event: 'Created',
  coordinates: { group: 'networking.k8s.io', resource: 'ingresses', namespace: 'team-a' },
  name: 'shop',
  uid: UID,
  generation: 1,
  createdAt: CREATED,
  detectedAt: CREATED + 800,
  ...o,
});
const OTHER = { username: 'mallory', groups: ['system:authenticated'] };
const KUBECTL = 'kubectl/v1.37.2 (linux/amd64) kubernetes/7c06c13';
const TENANT_ACTOR = { username: 'tenant-dev', groups: ['devs', 'system:authenticated'] };

interface Case {
  name: string;
  reviews?: unknown[];
  events?: unknown[];
  query?: Partial<AttributionQuery>;
  want: Attribution;
}

const cases: Case[] = [
  {
    name: 'admission alone: user and groups',
    reviews: [review()],
    want: { actor: TENANT_ACTOR, sources: ['admission'] },
  },
  {
    name: 'admission and audit: also source IPs and user agent',
    reviews: [review()],
    events: [auditEvent()],
    want: {
      actor: { ...TENANT_ACTOR, userAgent: KUBECTL, sourceIPs: ['127.0.0.1'] },
      sources: ['admission', 'audit'],
    },
  },
  {
    name: 'audit alone names the user too',
    events: [auditEvent()],
    want: { actor: { ...TENANT_ACTOR, userAgent: KUBECTL, sourceIPs: ['127.0.0.1'] }, sources: ['audit'] },
  },
  {
    name: 'a refused create of the same name by someone else is never the creator',
    events: [auditEvent({ code: 409, user: OTHER, userAgent: 'curl/8' })],
    want: { actor: {}, sources: [] },
  },
  {
    name: "another user's successful write of the same name does not join the admission record",
    reviews: [review()],
    events: [auditEvent({ user: OTHER })],
    want: { actor: TENANT_ACTOR, sources: ['admission'] },
  },
  {
    name: 'the first admission record of a uid wins (a later forged review cannot replace it)',
    reviews: [review(), review({ user: OTHER })],
    want: { actor: TENANT_ACTOR, sources: ['admission'] },
  },
  {
    name: 'an admission record of another object is not this one',
    reviews: [review({ uid: 'someone-else' })],
    want: { actor: {}, sources: [] },
  },
  {
    name: 'an audit event outside the creation second (an earlier object of the same name)',
    events: [auditEvent({ received: '2026-11-23T11:59:50.000Z', completed: '2026-11-23T11:59:50.020Z' })],
    want: { actor: {}, sources: [] },
  },
  {
    name: 'generateName: the one unnamed create by the admission user in that second',
    reviews: [review()],
    events: [auditEvent({ name: null })],
    want: {
      actor: { ...TENANT_ACTOR, userAgent: KUBECTL, sourceIPs: ['127.0.0.1'] },
      sources: ['admission', 'audit'],
    },
  },
  {
    name: 'generateName: two unnamed creates by that user in that second are ambiguous',
    reviews: [review()],
    events: [auditEvent({ name: null }), auditEvent({ name: null, userAgent: 'helm/3' })],
    want: { actor: TENANT_ACTOR, sources: ['admission'] },
  },
  {
    name: 'generateName without admission: no user to tie an unnamed event to',
    events: [auditEvent({ name: null })],
    want: { actor: {}, sources: [] },
  },
  {
    name: 'impersonation: the effective user, and who impersonated',
    reviews: [review()],
    events: [
      auditEvent({ user: { username: 'admin', groups: ['system:masters'] }, impersonatedUser: TENANT_ACTOR }),
    ],
    want: {
      actor: { ...TENANT_ACTOR, userAgent: KUBECTL, sourceIPs: ['127.0.0.1'], impersonatedBy: 'admin' },
      sources: ['admission', 'audit'],
    },
  },
  {
    name: 'an update: the record of the generation the alert saw',
    reviews: [
      review({ operation: 'UPDATE', generation: 2, user: OTHER }),
      review({ operation: 'UPDATE', generation: 3 }),
    ],
    events: [
      auditEvent({
        verb: 'patch',
        code: 200,
        completed: '2026-11-23T12:05:00.100Z',
        received: '2026-11-23T12:05:00.050Z',
      }),
    ],
    query: { event: 'Updated', generation: 3, detectedAt: Date.parse('2026-11-23T12:05:00.500Z') },
    want: {
      actor: { ...TENANT_ACTOR, userAgent: KUBECTL, sourceIPs: ['127.0.0.1'] },
      sources: ['admission', 'audit'],
    },
  },
  {
    name: 'a create record is not the author of an update',
    reviews: [review()],
    query: { event: 'Updated', generation: 2 },
    want: { actor: {}, sources: [] },
  },
  {
    name: 'a delete',
    reviews: [review({ operation: 'DELETE' })],
    events: [auditEvent({ verb: 'delete', code: 200 })],
    query: { event: 'Deleted', detectedAt: CREATED + 500 },
    want: {
      actor: { ...TENANT_ACTOR, userAgent: KUBECTL, sourceIPs: ['127.0.0.1'] },
      sources: ['admission', 'audit'],
    },
  },
  {
    name: 'traffic alerts have no request behind them',
    reviews: [review()],
    query: { event: 'TrafficAnomaly' },
    want: { actor: {}, sources: [] },
  },
];

describe('correlate', () => {
  for (const c of cases) {
    it(c.name, () => {
      const store = new AttributionStore({ maxEntries: 100, ttlMs: 600_000 }, new ManualClock());
      for (const r of c.reviews ?? []) {
        const p = parseAdmissionReview(r, CREATED + 200);
        if (p.kind === 'object') store.recordAdmission(p.record);
      }
      store.recordAudit(parseAuditEvents(eventList(...(c.events ?? []))).records);
      assert.deepEqual(correlate(store, query(c.query)), c.want);
    });
  }
});

describe('completion', () => {
  const base = { fieldManager: 'kubectl-create', source: ['managedFields', 'admission'], ...TENANT_ACTOR };
  const audit: Attribution = {
    actor: { ...TENANT_ACTOR, userAgent: KUBECTL, sourceIPs: ['127.0.0.1'] },
    sources: ['admission', 'audit'],
  };

  it('adds only the facts that are missing, and the new source', () => {
    assert.deepEqual(completion(base, audit), {
      ...base,
      userAgent: KUBECTL,
      sourceIPs: ['127.0.0.1'],
      source: ['managedFields', 'admission', 'audit'],
    });
  });

  it('never changes a recorded fact', () => {
    const got = completion({ ...base, userAgent: 'helm/3' }, audit);
    assert.equal(got?.userAgent, 'helm/3');
  });

  it('has nothing to add when everything is known', () => {
    assert.equal(
      completion({ ...base, userAgent: KUBECTL, sourceIPs: ['x'], source: [...base.source, 'audit'] }, audit),
      undefined,
    );
  });

  it("never completes one user's alert with another user's request", () => {
    assert.equal(completion(base, { ...audit, actor: { ...audit.actor, username: 'mallory' } }), undefined);
  });
});
