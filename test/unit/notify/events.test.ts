import assert from 'node:assert/strict';
import type { Settings } from '../../../src/config/schema.js';
import type { KubeApi } from '../../../src/kube/api.js';
import { EVENT_REASONS, eventFor, eventsSink, noteFor } from '../../../src/notify/events.js';
import { OpenAlerts } from '../../../src/notify/open-alerts.js';
import { type AlertNotice, type NoticeType, viewOf } from '../../../src/notify/sink.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { alertFixture } from './fixtures.js';

const raised = (o: Parameters<typeof alertFixture>[0] = {}): AlertNotice => {
  const a = alertFixture(o);
  return { type: 'raised', alert: viewOf(a), time: a.spec.detectedAt };
};

describe('Kubernetes Events', () => {
  it('puts AuditAlertRaised on a namespaced subject, in its namespace, with its uid', () => {
    const ev = eventFor(raised(), 'tripline-abc');
    assert.equal(ev.apiVersion, 'events.k8s.io/v1');
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.reason, 'AuditAlertRaised');
    assert.equal(ev.metadata.namespace, 'shop');
    assert.deepEqual(ev.regarding, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      name: 'storefront',
      namespace: 'shop',
      uid: 'b1e4c2d0-0000-4000-8000-000000000001',
    });
    assert.deepEqual(ev.related, {
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditAlert',
      name: 'ingress-created-0123456789',
    });
    assert.match(
      ev.note,
      /AuditAlert ingress-created-0123456789 raised by detection ingress-created \(Medium\)/,
    );
    assert.equal(ev.reportingController, 'tripline.dev/operator');
    assert.equal(ev.eventTime, '2026-11-23T12:00:00.000000Z');
  });

  it('puts the Event of a cluster-scoped subject in namespace default, as kubectl does', () => {
    const ev = eventFor(raised({ kind: 'ClusterRole', namespace: undefined, subjectName: 'reader' }), 'x');
    assert.equal(ev.metadata.namespace, 'default');
    assert.equal(ev.regarding.namespace, undefined);
    assert.equal(ev.regarding.kind, 'ClusterRole');
  });

  it('names Events deterministically: the same notice twice is one Event, another notice another', () => {
    const a = eventFor(raised(), 'replica-1');
    const b = eventFor(raised(), 'replica-2');
    assert.equal(a.metadata.name, b.metadata.name);
    assert.match(a.metadata.name, /^ingress-created-0123456789\.[0-9a-f]{10}$/);
    const ack = eventFor(
      { type: 'acknowledged', alert: viewOf(alertFixture({ uid: 'u-1' })), time: '2026-11-23T12:01:00Z' },
      'replica-1',
    );
    assert.notEqual(ack.metadata.name, a.metadata.name);
  });

  it('puts lifecycle Events on the AuditAlert (cluster-scoped: namespace default) with its uid', () => {
    const view = viewOf(alertFixture({ uid: 'alert-uid', state: 'Acknowledged' }));
    const ev = eventFor(
      { type: 'acknowledged', alert: view, time: '2026-11-23T12:01:00Z', by: 'alice' },
      'r',
    );
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.reason, 'Acknowledged');
    assert.equal(ev.metadata.namespace, 'default');
    assert.deepEqual(ev.regarding, {
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditAlert',
      name: 'ingress-created-0123456789',
      uid: 'alert-uid',
    });
    assert.equal(ev.note, 'Acknowledged by alice');
  });

  const types: [NoticeType, string, 'Normal' | 'Warning'][] = [
    ['raised', 'AuditAlertRaised', 'Warning'],
    ['acknowledged', 'Acknowledged', 'Normal'],
    ['resolved', 'Resolved', 'Normal'],
    ['reopened', 'Reopened', 'Normal'],
    ['remediated', 'Remediated', 'Normal'],
    ['remediationFailed', 'RemediationFailed', 'Warning'],
    ['remediationRejected', 'RemediationRejected', 'Warning'],
  ];
  for (const [type, reason, kind] of types) {
    it(`${type} → ${kind} ${reason}, note within 1 kB`, () => {
      assert.deepEqual([EVENT_REASONS[type].reason, EVENT_REASONS[type].type], [reason, kind]);
      const long = alertFixture({ subjectName: 'n'.repeat(2000) });
      const ev = eventFor({ type, alert: viewOf(long), time: '2026-11-23T12:00:00Z', message: 'm' }, 'r');
      assert.ok(ev.note.length <= 1024 && ev.note.length > 0);
      assert.ok(ev.action.length > 0);
    });
  }

  it('writes remediation outcomes with the action and the operator message', () => {
    const view = viewOf(alertFixture({}));
    const n: AlertNotice = {
      type: 'remediationFailed',
      alert: view,
      time: 't',
      action: 'DeleteSubject',
      message: 'forbidden',
    };
    assert.equal(noteFor(n), 'DeleteSubject: forbidden');
  });
});

describe('Kubernetes Events sink', () => {
  const EVENTS = 'events.events.k8s.io';

  function sink(client: KubeApi) {
    const counts = { sent: 0, retried: 0, failed: {} as Record<string, number> };
    const s = eventsSink({
      settings: {
        podName: 'tripline-0',
        notifyQueueSize: 10,
        notifyMaxAttempts: 3,
        backoffBaseMs: 1,
        backoffMaxMs: 2,
        kubeEventsQps: 1000,
        kubeEventsBurst: 100,
      } as Settings,
      client,
      clock: { now: () => new Date() },
      log: silentLogger(),
      open: new OpenAlerts(() => {}, silentLogger()),
      routed: () => true,
      metrics: {
        sent: (n) => {
          counts.sent += n;
        },
        failed: (r, n) => {
          counts.failed[r] = (counts.failed[r] ?? 0) + n;
        },
        retried: () => {
          counts.retried++;
        },
        depth: () => {},
      },
    });
    s.start?.();
    return { s, counts };
  }

  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(cond());
  };

  it('creates the Event in the subject namespace', async () => {
    const cluster = new FakeCluster();
    const { s, counts } = sink(cluster);
    s.notify?.(raised());
    await until(() => counts.sent === 1);
    const name = eventFor(raised(), 'tripline-0').metadata.name;
    assert.deepEqual(cluster.writes(), [`create ${EVENTS} shop/${name}`]);
    const stored = cluster.get({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'shop', name },
    });
    assert.equal(stored?.reason, 'AuditAlertRaised');
    await s.stop();
  });

  it('an Event created before (a retry, a restart, the other replica) gets 409 AlreadyExists: sent, not failed', async () => {
    const cluster = new FakeCluster();
    cluster.put(eventFor(raised(), 'tripline-1'));
    const { s, counts } = sink(cluster);
    s.notify?.(raised());
    await until(() => counts.sent === 1);
    const name = eventFor(raised(), 'tripline-0').metadata.name;
    assert.deepEqual(cluster.writes(), [`create ${EVENTS} shop/${name} -> 409`]);
    assert.deepEqual(counts.failed, {});
    await s.stop();
  });

  it('retries 5xx and 429, not 403', async () => {
    const cluster = new FakeCluster();
    cluster.fail({ verb: 'create', resource: EVENTS, status: 429, retryAfterSeconds: 0 });
    cluster.fail({ verb: 'create', resource: EVENTS, status: 500 });
    const { s, counts } = sink(cluster);
    s.notify?.(raised());
    await until(() => counts.sent === 1);
    cluster.fail({ verb: 'create', resource: EVENTS, status: 403 });
    s.notify?.(raised({ name: 'other-alert' }));
    await until(() => counts.failed.rejected === 1);
    assert.equal(counts.retried, 2);
    const first = eventFor(raised(), 'tripline-0').metadata.name;
    const other = eventFor(raised({ name: 'other-alert' }), 'tripline-0').metadata.name;
    assert.deepEqual(cluster.writes(), [
      `create ${EVENTS} shop/${first} -> 429`,
      `create ${EVENTS} shop/${first} -> 500`,
      `create ${EVENTS} shop/${first}`,
      `create ${EVENTS} shop/${other} -> 403`,
    ]);
    await s.stop();
  });
});
