import assert from 'node:assert/strict';
import { FeedRegistry } from '../../../src/detections/feeds.js';
import type { ResourceInfo } from '../../../src/kube/resources.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { compiled, PODS, podDetection, WATCH } from '../support/core-fixtures.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from '../support/fake-cluster.js';

const DEPLOYMENTS: ResourceInfo = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  kind: 'Deployment',
  namespaced: true,
  verbs: ['list', 'watch'],
};

function registry(cluster: FakeCluster) {
  const resubscribed: string[] = [];
  const feeds = new FeedRegistry({
    feedDeps: { client: cluster, enqueue: () => {}, recentlyRaised: () => false },
    watch: WATCH,
    log: silentLogger(),
    onResubscribed: (name) => resubscribed.push(name),
  });
  return { feeds, resubscribed };
}

describe('FeedRegistry against the fake cluster', () => {
  let cluster: FakeCluster;
  let r: ReturnType<typeof registry>;
  beforeEach(() => {
    cluster = new FakeCluster();
    r = registry(cluster);
  });
  afterEach(async () => {
    await r.feeds.stopAll();
  });

  it('lists nothing until released, then one list and one watch per resource however many detections share it', async () => {
    r.feeds.subscribe(compiled(podDetection('a')), [PODS], 0, {});
    r.feeds.subscribe(compiled(podDetection('b')), [PODS], 0, {});
    r.feeds.subscribe(compiled(podDetection('c')), [PODS, DEPLOYMENTS], 0, {});
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(cluster.verbs(), []);
    assert.equal(r.feeds.synced, false);
    r.feeds.release();
    await eventually(() => r.feeds.synced && cluster.openWatches() === 2, 'both feeds');
    assert.deepEqual(cluster.verbs().sort(), [
      'list deployments.apps',
      'list pods',
      'watch deployments.apps',
      'watch pods',
    ]);
    assert.equal(r.feeds.get('core/v1/pods')?.subscribers, 3);
  });

  it('relists a feed for a new generation of a detection, not for the same one again', async () => {
    r.feeds.release();
    r.feeds.subscribe(compiled(podDetection('a')), [PODS], 0, {});
    await eventually(() => r.feeds.synced && cluster.openWatches() === 1, 'the feed');
    const lists = cluster.verbs(['list']).length;
    r.feeds.subscribe(compiled(podDetection('a')), [PODS], 0, {});
    // A relist would abort the open watch at once (the fake drops it synchronously).
    assert.equal(cluster.openWatches(), 1, 'same generation: no relist');
    const next = podDetection('a');
    next.metadata.generation = 2;
    r.feeds.subscribe(compiled(next), [PODS], 0, {});
    await eventually(
      () => cluster.verbs(['list']).length === lists + 1 && cluster.openWatches() === 1,
      'the relist',
    );
    assert.deepEqual(r.resubscribed, ['a', 'a']);
  });

  it('stops a feed with its last detection, and keeps it while another uses it', async () => {
    r.feeds.release();
    r.feeds.subscribe(compiled(podDetection('a')), [PODS], 0, {});
    r.feeds.subscribe(compiled(podDetection('b')), [PODS, DEPLOYMENTS], 0, {});
    await eventually(() => cluster.openWatches() === 2, 'both watches');
    r.feeds.unsubscribe('b');
    await eventually(() => cluster.openWatches() === 1, 'the deployments watch to stop');
    assert.equal(cluster.openWatches('pods'), 1);
    r.feeds.unsubscribe('a');
    await eventually(() => cluster.openWatches() === 0, 'the pods watch to stop');
    assert.equal(r.feeds.get('core/v1/pods'), undefined);
  });
});
