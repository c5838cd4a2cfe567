import assert from 'node:assert/strict';
import type { AttributionQuery } from '../../../src/actors/correlate.js';
import { ActorEnricher, type ActorEnricherOptions } from '../../../src/actors/enricher.js';
import { parseAdmissionReview, parseAuditEvents } from '../../../src/actors/records.js';
import { AttributionStore } from '../../../src/actors/store.js';
import type { EnrichInput } from '../../../src/alerts/enrich.js';
import type { AlertActor, AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { auditEvent, eventList, ManualClock, review } from './samples.js';

const CREATED = '2026-11-23T12:00:00Z';

function input(event = 'Created'): EnrichInput {
  const alert = {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditAlert',
    metadata: { name: 'ingress-created-0123456789' },
    spec: { event, actor: { fieldManager: 'kubectl-create', source: ['managedFields'] } },
  } as unknown as AuditAlert;
  const subject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'shop',
      namespace: 'team-a',
      uid: '820aa7dc-010a-4517-8822-e28cd17fb117',
      creationTimestamp: CREATED,
    },
  };
  return { alert, subject, resource: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' } };
}

class Tracker {
  readonly tracked: Array<{ alert: string; query: AttributionQuery; actor: AlertActor }> = [];
  track(alert: string, query: AttributionQuery, actor: AlertActor): void {
    this.tracked.push({ alert, query, actor });
  }
}

function setup(opts: Partial<ActorEnricherOptions> = {}, clockMs = Date.parse(CREATED) + 500) {
  const clock = new ManualClock(clockMs);
  const store = new AttributionStore({ maxEntries: 100, ttlMs: 300_000 }, clock);
  const tracker = new Tracker();
  const enricher = new ActorEnricher(store, tracker, clock, {
    auditEnabled: true,
    waitMs: 1000,
    maxWaiting: 4,
    freshMs: 300_000,
    ...opts,
  });
  const admit = () => {
    const p = parseAdmissionReview(review(), clock.now().getTime());
    if (p.kind === 'object') store.recordAdmission(p.record);
  };
  const audit = () => store.recordAudit(parseAuditEvents(eventList(auditEvent())).records);
  return { store, tracker, enricher, admit, audit };
}

describe('ActorEnricher', () => {
  it('answers at once when admission and audit are both there', async () => {
    const s = setup();
    s.admit();
    s.audit();
    const got = await s.enricher.enrich(input());
    assert.deepEqual(got?.actor?.source, ['admission', 'audit']);
    assert.equal(got?.actor?.username, 'tenant-dev');
    assert.deepEqual(got?.actor?.sourceIPs, ['127.0.0.1']);
    assert.equal(s.tracker.tracked.length, 0);
  });

  it('waits for the audit event and wakes up when it arrives', async () => {
    const s = setup({ waitMs: 5000 });
    s.admit();
    const pending = s.enricher.enrich(input());
    setTimeout(() => s.audit(), 20);
    const got = await pending;
    assert.deepEqual(got?.actor?.source, ['admission', 'audit']);
    assert.equal(s.tracker.tracked.length, 0);
  });

  it('after the wait, writes what admission knows and hands the alert to the completer', async () => {
    const s = setup({ waitMs: 30 });
    s.admit();
    const got = await s.enricher.enrich(input());
    assert.deepEqual(got?.actor, {
      username: 'tenant-dev',
      groups: ['devs', 'system:authenticated'],
      source: ['admission'],
    });
    assert.equal(s.tracker.tracked.length, 1);
    assert.equal(s.tracker.tracked[0]?.alert, 'ingress-created-0123456789');
    assert.deepEqual(s.tracker.tracked[0]?.actor.source, ['managedFields', 'admission']);
    assert.equal(s.tracker.tracked[0]?.actor.fieldManager, 'kubectl-create');
  });

  it('never waits when no audit events are received', async () => {
    const s = setup({ auditEnabled: false, waitMs: 60_000 });
    s.admit();
    const got = await s.enricher.enrich(input());
    assert.deepEqual(got?.actor?.source, ['admission']);
    assert.equal(s.tracker.tracked.length, 0);
  });

  it('neither waits nor tracks an object created long ago (found after a restart)', async () => {
    const s = setup({ waitMs: 60_000 }, Date.parse(CREATED) + 3_600_000);
    assert.equal(await s.enricher.enrich(input()), undefined);
    assert.equal(s.tracker.tracked.length, 0);
  });

  it('lets at most maxWaiting alerts wait; the others are written at once and completed later', async () => {
    const s = setup({ waitMs: 5000, maxWaiting: 1 });
    const first = s.enricher.enrich(input());
    const second = await s.enricher.enrich(input());
    assert.equal(second, undefined);
    assert.equal(s.tracker.tracked.length, 1);
    s.audit();
    assert.deepEqual((await first)?.actor?.source, ['audit']);
  });

  it('adds nothing to an alert nobody is known for', async () => {
    const s = setup({ waitMs: 10 });
    assert.equal(await s.enricher.enrich(input()), undefined);
  });
});
