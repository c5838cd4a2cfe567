import assert from 'node:assert/strict';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { type ObjectWork, objectOf, ResourceFeed } from '../../../src/detections/feed.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { compiled, PODS, pod, podDetection, subscription, WATCH } from '../support/core-fixtures.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from '../support/fake-cluster.js';

/** A feed on Pods over the fake, subscribed by the given detections, and what it hands over. */
function podFeed(cluster: FakeCluster, detections: AuditDetection[], raised = new Set<string>()) {
  const queued: { key: string; work: ObjectWork }[] = [];
  const suppressed: string[] = [];
  const deleted: string[] = [];
  const feed = new ResourceFeed(PODS, {
    client: cluster,
    log: silentLogger(),
    watch: WATCH,
    enqueue: (key, work) => queued.push({ key, work }),
    recentlyRaised: (d, id) => raised.has(`${d}/${id}`),
    subjectDeleted: (d, uid) => deleted.push(`${d}/${uid}`),
    suppressed: (d, i) => suppressed.push(`${d}#${i}`),
  });
  for (const d of detections) feed.subscribe(subscription(compiled(d)));
  const names = () =>
    queued.map((q) => `${q.work.deleted ? 'deleted ' : ''}${objectOf(q.work).metadata.name}`);
  return { feed, queued, names, suppressed, deleted };
}

describe('ResourceFeed against the fake cluster', () => {
  let cluster: FakeCluster;
  let f: ReturnType<typeof podFeed>;
  beforeEach(() => {
    cluster = new FakeCluster();
  });
  afterEach(async () => {
    await f.feed.stop();
  });

  it('decides per object without I/O: queues the wanted ones by key, forgets the rest', async () => {
    cluster.put(pod('web', undefined, { labels: { tier: 'web' } }));
    cluster.put(pod('db', undefined, { labels: { tier: 'db' } }));
    f = podFeed(cluster, [
      podDetection('web-pods', { match: { objectSelector: { matchLabels: { tier: 'web' } } } }),
    ]);
    f.feed.start();
    await eventually(() => f.feed.synced && cluster.openWatches() === 1, 'the list');
    cluster.put(pod('web-2', undefined, { labels: { tier: 'web' } }));
    cluster.put(pod('db-2', undefined, { labels: { tier: 'db' } }));
    await eventually(() => f.queued.length === 2, 'the second web pod');
    assert.deepEqual(f.names(), ['web', 'web-2']);
    const web = cluster.get(pod('web'));
    assert.equal(f.queued[0]?.key, `core/v1/pods|${web?.metadata.uid}`);
    // Deciding reads nothing and writes nothing: the only API actions are the list and the watch.
    assert.deepEqual(cluster.verbs(), ['list pods', 'watch pods']);
  });

  it('skips objects created before the detection was active, and objects whose alert was just raised', async () => {
    cluster.put(pod('old', '2020-01-01T00:00:00Z'));
    cluster.put(pod('raised'));
    cluster.put(pod('new'));
    const raisedUid = cluster.get(pod('raised'))?.metadata.uid;
    f = podFeed(cluster, [], new Set([`new-pods/${raisedUid}`]));
    f.feed.subscribe(subscription(compiled(podDetection('new-pods')), Date.parse('2025-01-01T00:00:00Z')));
    f.feed.start();
    await eventually(() => f.feed.synced, 'the list');
    assert.deepEqual(f.names(), ['new']);
  });

  it('counts a suppression once per object, across relists', async () => {
    cluster.put(pod('in-kube-system', undefined, { namespace: 'kube-system' }));
    f = podFeed(cluster, [podDetection('pods', { exceptions: [{ namespaces: ['kube-system'] }] })]);
    f.feed.start();
    await eventually(() => f.feed.synced && cluster.openWatches() === 1, 'the list');
    f.feed.resync();
    await eventually(() => cluster.verbs(['list']).length === 2 && cluster.openWatches() === 1, 'the relist');
    assert.deepEqual(f.suppressed, ['pods#0']);
    assert.deepEqual(f.queued, []);
  });

  it('queues an update under its own key with the diff of the fields that changed', async () => {
    cluster.put(pod('web'));
    f = podFeed(cluster, [podDetection('pod-changed', { events: ['Updated'] })]);
    f.feed.start();
    await eventually(() => f.feed.synced && cluster.openWatches() === 1, 'the list');
    const web = cluster.get(pod('web'));
    const changed: KubeObject = {
      ...pod('web'),
      spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] },
    };
    cluster.put(changed);
    await eventually(() => f.queued.length === 1, 'the update');
    const q = f.queued[0];
    assert.ok(q?.work.change);
    assert.equal(q.key, `core/v1/pods|${web?.metadata.uid}|${q.work.change.profile}|${q.work.change.key}`);
    assert.deepEqual(
      q.work.change.diff?.map((c) => c.path),
      ['spec.containers[0].image'],
    );
  });

  it('holds the low-water mark at the earliest object still waiting for its alert', async () => {
    cluster.put(pod('a', '2026-01-01T00:00:00Z'));
    cluster.put(pod('b', '2026-01-02T00:00:00Z'));
    f = podFeed(cluster, [podDetection('pods')]);
    assert.equal(f.feed.lowWater(), undefined);
    f.feed.start();
    await eventually(() => f.feed.synced, 'the list');
    assert.equal(f.feed.lowWater(), Date.parse('2026-01-01T00:00:00Z'));
    f.feed.release(cluster.get(pod('a'))?.metadata.uid as string);
    assert.equal(f.feed.lowWater(), Date.parse('2026-01-02T00:00:00Z'));
    f.feed.release(cluster.get(pod('b'))?.metadata.uid as string);
    // Nothing waits: the time the feed has read everything up to, past both (ADR 0020).
    assert.ok((f.feed.lowWater() ?? 0) > Date.parse('2026-01-02T00:00:00Z'), 'caught up');
  });

  it('reports the deletion of a subject whose alert is known, and queues it for Deleted detections', async () => {
    cluster.put(pod('web'));
    const uid = cluster.get(pod('web'))?.metadata.uid as string;
    f = podFeed(
      cluster,
      [podDetection('created'), podDetection('deleted', { events: ['Deleted'] })],
      new Set([`created/${uid}`]),
    );
    f.feed.start();
    await eventually(() => f.feed.synced && cluster.openWatches() === 1, 'the list');
    cluster.remove(pod('web'));
    await eventually(() => f.queued.length === 1, 'the deletion');
    assert.deepEqual(f.deleted, [`created/${uid}`]);
    assert.deepEqual(f.names(), ['deleted web']);
  });
});
