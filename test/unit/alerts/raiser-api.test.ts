import assert from 'node:assert/strict';
import { alertRaiser } from '../../../src/alerts/raiser.js';
import { RecentAlerts } from '../../../src/alerts/recent.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { KnownActor } from '../../../src/detections/exceptions.js';
import { type ObjectWork, ResourceFeed } from '../../../src/detections/feed.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import { compiled, PODS, pod, podDetection, subscription, WATCH } from '../support/core-fixtures.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from '../support/fake-cluster.js';

const NOW = new Date('2026-01-01T00:05:00Z');

/**
 * The raiser wired as main.ts wires it, over one Pod feed: the feed's watch handler queues work,
 * the test runs the raiser on it as the alert queue's worker would.
 */
function pipeline(
  cluster: FakeCluster,
  detections: AuditDetection[],
  actors = new Map<string, KnownActor>(),
) {
  const queued: ObjectWork[] = [];
  const suppressed: string[] = [];
  const raised: string[] = [];
  const recent = new RecentAlerts(100);
  const feed = new ResourceFeed(PODS, {
    client: cluster,
    log: silentLogger(),
    watch: WATCH,
    enqueue: (_key, work) => queued.push(work),
    recentlyRaised: (d, id) => recent.has(d, id),
    suppressed: (d, i) => suppressed.push(`${d}#${i}`),
  });
  const actorOf = (o: { metadata: { uid?: string } }) => actors.get(o.metadata.uid ?? '');
  for (const d of detections) feed.subscribe(subscription(compiled(d, actorOf)));
  const metrics: Metrics = createMetrics();
  const raise = alertRaiser({
    client: cluster,
    recent,
    clock: { now: () => NOW },
    log: silentLogger(),
    metrics,
    onRaised: (a: AuditAlert) => raised.push(a.metadata?.name as string),
  });
  return { feed, queued, suppressed, raised, recent, metrics, raise: (w: ObjectWork) => raise('key', w) };
}

const alertNames = (cluster: FakeCluster): string[] =>
  cluster.list('tripline.dev/v1alpha1', 'AuditAlert').map((a) => a.metadata.name as string);

describe('alertRaiser against the fake cluster', () => {
  let cluster: FakeCluster;
  let p: ReturnType<typeof pipeline>;
  beforeEach(() => {
    cluster = new FakeCluster({ now: () => NOW });
  });
  afterEach(async () => {
    await p.feed.stop();
  });

  async function listed(): Promise<ObjectWork> {
    p.feed.start();
    await eventually(() => p.feed.synced && cluster.openWatches() === 1, 'the list and the watch');
    cluster.clearActions();
    const [work] = p.queued;
    assert.ok(work, 'the feed queued the pod');
    return work;
  }

  it('creates the alert once: a second run finds it in the recent set and sends nothing', async () => {
    cluster.put(pod('web'));
    p = pipeline(cluster, [podDetection('new-pods')]);
    const work = await listed();
    assert.equal(await p.raise(work), undefined);
    assert.equal(await p.raise(work), undefined);
    const [name] = alertNames(cluster);
    assert.deepEqual(cluster.verbs(), [`create auditalerts.tripline.dev ${name}`]);
    assert.deepEqual(p.raised, [name]);
    // Every alert of the object exists: it no longer holds the watermark back, which moves on to
    // the time the feed has read everything up to (ADR 0020).
    assert.ok((p.feed.lowWater() ?? 0) > Date.parse('2026-01-01T00:00:00Z'), 'released');
  });

  it('treats 409 AlreadyExists as raised (another replica or an earlier run): not notified again', async () => {
    cluster.put(pod('web'));
    const first = pipeline(cluster, [podDetection('new-pods')]);
    p = first;
    const work = await listed();
    await p.raise(work);
    await first.feed.stop();
    // A restarted process: empty recent set, same deterministic alert name.
    p = pipeline(cluster, [podDetection('new-pods')]);
    const again = await listed();
    cluster.clearActions();
    await p.raise(again);
    const [name] = alertNames(cluster);
    assert.deepEqual(cluster.verbs(), [`create auditalerts.tripline.dev ${name} -> 409`]);
    assert.deepEqual(p.raised, []);
    assert.equal(p.recent.has('new-pods', cluster.get(pod('web'))?.metadata.uid as string), true);
  });

  it('throws on a failed write for the queue to retry, and creates on the retry', async () => {
    cluster.put(pod('web'));
    p = pipeline(cluster, [podDetection('new-pods')]);
    const work = await listed();
    cluster.fail({ verb: 'create', resource: 'auditalerts.tripline.dev', status: 503 });
    await assert.rejects(p.raise(work), /creating AuditAlert/);
    assert.equal(p.feed.lowWater(), Date.parse('2026-01-01T00:00:00Z'), 'still pending');
    await p.raise(work);
    const [name] = alertNames(cluster);
    assert.deepEqual(cluster.verbs(), [
      `create auditalerts.tripline.dev ${name} -> 503`,
      `create auditalerts.tripline.dev ${name}`,
    ]);
    const errors = await p.metrics.alertWriteErrors.get();
    assert.deepEqual(
      errors.values.map((v) => [v.labels.reason, v.value]),
      [['server', 1]],
    );
  });

  it('raises Created and Deleted alerts for an object deleted before its work ran', async () => {
    cluster.put(pod('web'));
    p = pipeline(cluster, [podDetection('lifecycle', { events: ['Created', 'Deleted'] })]);
    p.feed.start();
    await eventually(() => p.feed.synced && cluster.openWatches() === 1, 'the watch');
    cluster.remove(pod('web'));
    await eventually(() => p.queued.some((w) => w.deleted), 'the deletion');
    cluster.clearActions();
    const work = p.queued.find((w) => w.deleted) as ObjectWork;
    await p.raise(work);
    assert.equal(cluster.writes().length, 2);
    assert.deepEqual(
      cluster
        .list('tripline.dev/v1alpha1', 'AuditAlert')
        .map((a) => (a.spec as { event?: string }).event)
        .sort(),
      ['Created', 'Deleted'],
    );
  });

  it('counts a suppression the raiser decides when the watch handler had decided to alert', async () => {
    // An exception by user: when the watch event arrived the admission record naming the creator
    // had not (attribution unknown, so the handler queued the object), by the time the worker runs
    // it has. The raiser suppresses, and the suppression must be counted (tripline_suppressed_total
    // and status.counters.suppressed), once.
    cluster.put(pod('by-ci'));
    const actors = new Map<string, KnownActor>();
    p = pipeline(
      cluster,
      [podDetection('new-pods', { exceptions: [{ users: ['system:serviceaccount:ci:deployer'] }] })],
      actors,
    );
    const work = await listed();
    assert.deepEqual(p.suppressed, [], 'the handler did not know the creator yet');
    actors.set(cluster.get(pod('by-ci'))?.metadata.uid as string, {
      username: 'system:serviceaccount:ci:deployer',
    });
    await p.raise(work);
    await p.raise(work);
    assert.deepEqual(cluster.verbs(), []);
    assert.deepEqual(p.suppressed, ['new-pods#0']);
  });
});
