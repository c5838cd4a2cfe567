import assert from 'node:assert/strict';
import { ActorCompleter, type CompletionOutcome } from '../../../src/actors/completer.js';
import type { AttributionQuery } from '../../../src/actors/correlate.js';
import { parseAuditEvents } from '../../../src/actors/records.js';
import { AttributionStore } from '../../../src/actors/store.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { auditEvent, eventList, ManualClock } from './samples.js';

const CREATED = Date.parse('2026-11-23T12:00:00Z');
const QUERY: AttributionQuery = {
  event: 'Created',
  coordinates: { group: 'networking.k8s.io', resource: 'ingresses', namespace: 'team-a' },
  name: 'shop',
  uid: 'u1',
  createdAt: CREATED,
  detectedAt: CREATED + 500,
};
const ACTOR = {
  fieldManager: 'kubectl-create',
  username: 'tenant-dev',
  groups: ['devs', 'system:authenticated'],
  source: ['managedFields', 'admission'],
};

const ALERTS = 'auditalerts.tripline.dev';
/** An AuditAlert as the raiser wrote it, before its actor is completed. */
const alert = (name: string) => ({
  apiVersion: 'tripline.dev/v1alpha1',
  kind: 'AuditAlert',
  metadata: { name },
  spec: { actor: ACTOR },
});

/** The completer over a cluster holding `alerts` (none: the alert is not written yet). */
function setup(alerts: string[] = ['alert-1']) {
  const clock = new ManualClock(CREATED + 600);
  const store = new AttributionStore({ maxEntries: 100, ttlMs: 300_000 }, clock);
  const client = new FakeCluster();
  for (const name of alerts) client.put(alert(name));
  const outcomes: CompletionOutcome[] = [];
  const completer = new ActorCompleter(
    { client, store, clock, log: silentLogger(), onOutcome: (o) => outcomes.push(o) },
    { ttlMs: 60_000, maxPending: 2, retryMs: 5, maxAttempts: 5 },
  );
  const audit = (o = {}) => store.recordAudit(parseAuditEvents(eventList(auditEvent(o))).records);
  const settle = () => new Promise((r) => setTimeout(r, 50));
  return { clock, store, client, outcomes, completer, audit, settle };
}

describe('ActorCompleter', () => {
  it('patches spec.actor once, adding the audit facts to what was written', async () => {
    const s = setup();
    s.completer.track('alert-1', QUERY, ACTOR);
    s.audit();
    s.audit(); // the same facts again: nothing left to do
    await s.settle();
    assert.deepEqual(s.client.verbs(), [`patch ${ALERTS} alert-1`]);
    const actor = {
      ...ACTOR,
      userAgent: 'kubectl/v1.37.2 (linux/amd64) kubernetes/7c06c13',
      sourceIPs: ['127.0.0.1'],
      source: ['managedFields', 'admission', 'audit'],
    };
    assert.deepEqual(s.client.actions[0]?.body, { spec: { actor } });
    assert.deepEqual(s.client.get(alert('alert-1'))?.spec, { actor });
    assert.deepEqual(s.outcomes, ['patched']);
    assert.equal(s.completer.pending, 0);
    await s.completer.stop();
  });

  it('retries while the alert is not written yet (404)', async () => {
    const s = setup([]);
    // The raiser's create lands after the completer's second try.
    s.client.before(
      { verb: 'patch', resource: ALERTS },
      () => {
        if (s.client.verbs(['patch']).length === 3) s.client.put(alert('alert-1'));
      },
      Number.POSITIVE_INFINITY,
    );
    s.completer.track('alert-1', QUERY, ACTOR);
    s.audit();
    await s.settle();
    assert.deepEqual(s.client.verbs(), [
      `patch ${ALERTS} alert-1 -> 404`,
      `patch ${ALERTS} alert-1 -> 404`,
      `patch ${ALERTS} alert-1`,
    ]);
    assert.deepEqual(s.outcomes, ['patched']);
    await s.completer.stop();
  });

  it('gives up when the API server refuses the change (the CRD allows completion only)', async () => {
    const s = setup();
    s.client.fail({ verb: 'patch', resource: ALERTS, status: 422, reason: 'Invalid' });
    s.completer.track('alert-1', QUERY, ACTOR);
    s.audit();
    await s.settle();
    assert.deepEqual(s.client.verbs(), [`patch ${ALERTS} alert-1 -> 422`]);
    assert.deepEqual(s.outcomes, ['refused']);
    await s.completer.stop();
  });

  it("ignores another user's request and other objects' events", async () => {
    const s = setup();
    s.completer.track('alert-1', QUERY, ACTOR);
    s.audit({ user: { username: 'mallory', groups: [] } });
    s.audit({ name: 'other' });
    await s.settle();
    assert.deepEqual(s.client.verbs(), []);
    assert.equal(s.completer.pending, 1);
    await s.completer.stop();
  });

  it('expires alerts whose event never came, and drops the oldest beyond maxPending', async () => {
    const s = setup();
    s.completer.track('a', QUERY, ACTOR);
    s.completer.track('b', QUERY, ACTOR);
    s.completer.track('c', QUERY, ACTOR);
    assert.deepEqual(s.outcomes, ['expired']);
    s.clock.advance(61_000);
    s.audit();
    await s.settle();
    assert.deepEqual(s.client.verbs(), []);
    assert.deepEqual(s.outcomes, ['expired', 'expired', 'expired']);
    await s.completer.stop();
  });
});
