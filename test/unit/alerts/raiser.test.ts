import assert from 'node:assert/strict';
import { alertRaiser } from '../../../src/alerts/raiser.js';
import { RecentAlerts } from '../../../src/alerts/recent.js';
import { ALERT_REFUSED_REASON } from '../../../src/alerts/refused.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { CompiledDetection } from '../../../src/detections/compile.js';
import type { FeedView, ObjectWork } from '../../../src/detections/feed.js';
import type { Subscription } from '../../../src/detections/match.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import { WORKLOAD_RULES } from '../../../src/subjects/workload/risks.js';
import { PODS, schemaRefusal, stubDetection } from '../support/core-fixtures.js';
import { FakeCluster } from '../support/fake-cluster.js';

const NOW = new Date('2026-03-01T00:00:00Z');
const ALERTS = 'auditalerts.tripline.dev';

/** A cluster whose next `times` alert creates are refused by the schema (422 "Too long"). */
function refusing(times: number): FakeCluster {
  const cluster = new FakeCluster();
  cluster.fail(schemaRefusal(times));
  return cluster;
}

/** The bodies of the alert creates the cluster was sent, in order. */
const posts = (c: FakeCluster): AuditAlert[] =>
  c.actions.filter((a) => a.verb === 'create' && a.resource === ALERTS).map((a) => a.body as AuditAlert);

const detection = (): CompiledDetection =>
  stubDetection({
    source: {
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditDetection',
      metadata: { name: 'workload-created', uid: 'd1', generation: 1 },
      spec: { severity: 'Medium', category: 'Workload' },
    } as unknown as AuditDetection,
    severity: () => 'Medium',
  });

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1', creationTimestamp: '2026-02-01T00:00:00Z' },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
} as KubeObject;

/** A feed with one subscription that records which objects it was told are done. */
function fakeFeed() {
  const done: string[] = [];
  const sub: Subscription = { detection: detection(), sinceMs: 0, watchedKinds: new Set(['/Pod']) };
  const feed = {
    key: 'v1/pods',
    info: PODS,
    subscriptions: () => [sub],
    release: (uid: string) => done.push(uid),
    noteSuppressed: () => {},
  } satisfies FeedView;
  return { feed, done };
}

const work = (feed: FeedView): ObjectWork => ({ feed, snapshot: JSON.stringify(pod), deleted: false });

async function count(
  metrics: Metrics,
  name: 'terminalErrors' | 'ruleFailures',
  label: string,
): Promise<number> {
  const m = await metrics[name].get();
  return m.values.filter((v) => Object.values(v.labels).includes(label)).reduce((s, v) => s + v.value, 0);
}

function raiser(client: FakeCluster, metrics: Metrics) {
  return alertRaiser({
    client,
    recent: new RecentAlerts(100),
    clock: { now: () => NOW },
    log: silentLogger(),
    metrics,
    instance: 'test',
  });
}

describe('alert raiser', () => {
  it('a 422 on alert creation: one retry in minimal form, then a counted terminal error, an Event on the detection and the watermark released', async () => {
    const client = refusing(2);
    const { feed, done } = fakeFeed();
    const metrics = createMetrics();
    // Resolves (not retried by the queue): the failure was decided here.
    assert.equal(await raiser(client, metrics)('v1/pods/u1', work(feed)), undefined);
    const [first, minimal] = posts(client);
    const name = first?.metadata?.name as string;
    assert.equal(posts(client).length, 2);
    assert.deepEqual(minimal?.spec.evidence, { reduced: true });
    assert.match(minimal?.spec.notes?.[0] ?? '', /reduced to its minimal form/);
    assert.equal(await count(metrics, 'terminalErrors', 'alerts'), 1);
    assert.deepEqual(done, ['u1'], 'the object no longer pins the watermark');
    const writes = client.writes();
    assert.deepEqual(writes.slice(0, 2), [
      `create ${ALERTS} ${name} -> 422`,
      `create ${ALERTS} ${name} -> 422`,
    ]);
    assert.equal(writes.length, 3);
    assert.match(writes[2] ?? '', /^create events\.events\.k8s\.io default\/\S+$/);
    const event = client.actions.find((a) => a.resource === 'events.events.k8s.io')?.body as {
      reason: string;
      regarding: { kind: string; name: string; uid?: string };
      note: string;
    };
    assert.ok(event, 'an Event was created');
    assert.equal(event.reason, ALERT_REFUSED_REASON);
    assert.deepEqual(event.regarding, {
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditDetection',
      name: 'workload-created',
      uid: 'd1',
    });
    assert.match(event.note, /Pod default\/p .*Too long/);
  });

  it('a retryable failure is thrown for the queue and keeps the object pending', async () => {
    const client = new FakeCluster();
    client.fail({ verb: 'create', resource: ALERTS, status: 503 });
    const { feed, done } = fakeFeed();
    const metrics = createMetrics();
    await assert.rejects(raiser(client, metrics)('v1/pods/u1', work(feed)));
    assert.deepEqual(done, []);
    assert.equal(await count(metrics, 'terminalErrors', 'alerts'), 0);
  });

  it('a risk rule whose check throws: the alert is raised with a note, and the failure is counted', async () => {
    const rule = WORKLOAD_RULES[0];
    assert.ok(rule);
    const check = rule.check;
    (rule as { check: typeof check }).check = () => {
      throw new Error('boom');
    };
    try {
      const client = new FakeCluster();
      const { feed, done } = fakeFeed();
      const metrics = createMetrics();
      await raiser(client, metrics)('v1/pods/u1', work(feed));
      assert.equal(posts(client).length, 1, 'fail open: the alert is raised');
      assert.deepEqual(client.writes(), [`create ${ALERTS} ${posts(client)[0]?.metadata?.name}`]);
      const notes = posts(client)[0]?.spec.notes ?? [];
      assert.ok(
        notes.some((n) => n.includes(`risk rule ${rule.id} could not be evaluated (boom)`)),
        notes.join('\n'),
      );
      assert.equal(await count(metrics, 'ruleFailures', rule.id), 1);
      assert.deepEqual(done, ['u1']);
    } finally {
      (rule as { check: typeof check }).check = check;
    }
  });
});
