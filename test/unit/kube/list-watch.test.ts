import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import {
  type ObservedType,
  ResilientWatch,
  type ResilientWatchOptions,
} from '../../../src/kube/list-watch.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from '../support/fake-cluster.js';

const pod = (name: string, more: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', ...more },
});

const OPTS: ResilientWatchOptions = {
  path: '/api/v1/pods',
  apiVersion: 'v1',
  kind: 'Pod',
  pageSize: 500,
  stallTimeoutMs: 60_000,
  watchTimeoutSeconds: 300,
  backoff: { baseMs: 1, maxMs: 2 },
};

/** A watch over the fake, with what its handler saw as `TYPE name` strings. */
function watching(cluster: FakeCluster, opts: Partial<ResilientWatchOptions> = {}) {
  const seen: string[] = [];
  const objects: KubeObject[] = [];
  const restarts: string[] = [];
  let synced = 0;
  const watch = new ResilientWatch(
    cluster,
    { ...OPTS, ...opts, events: { restarted: (r) => restarts.push(r) } },
    {
      onObject: (type: ObservedType, obj: KubeObject) => {
        seen.push(`${type} ${obj.metadata.name}`);
        objects.push(obj);
      },
      onSynced: () => synced++,
    },
    silentLogger(),
  );
  return { watch, seen, objects, restarts, syncs: () => synced };
}

/** The resourceVersion each watch request started from. */
const watchedFrom = (cluster: FakeCluster): string[] =>
  cluster.actions.filter((a) => a.verb === 'watch').map((a) => a.query.resourceVersion as string);

describe('ResilientWatch against the fake cluster', () => {
  let cluster: FakeCluster;
  let w: ReturnType<typeof watching>;
  beforeEach(() => {
    cluster = new FakeCluster();
  });
  afterEach(async () => {
    await w.watch.stop();
  });

  it('lists, then watches from the list resourceVersion, and hands over list and watch objects', async () => {
    cluster.put(pod('a'));
    cluster.put(pod('b'));
    const listRv = cluster.resourceVersion;
    w = watching(cluster);
    w.watch.start();
    await eventually(() => cluster.openWatches('pods') === 1, 'the watch');
    cluster.put(pod('c'));
    await eventually(() => w.seen.length === 3, 'the ADDED event');
    assert.deepEqual(w.seen, ['LISTED a', 'LISTED b', 'ADDED c']);
    assert.deepEqual(cluster.verbs(), ['list pods', 'watch pods']);
    assert.deepEqual(watchedFrom(cluster), [listRv]);
    assert.equal(cluster.actions[1]?.query.allowWatchBookmarks, 'true');
    // Lists leave apiVersion and kind out of their items; the watch stamps them back.
    assert.equal(w.objects[0]?.kind, 'Pod');
    assert.equal(w.watch.resourceVersion, cluster.resourceVersion);
    assert.equal(w.syncs(), 1);
  });

  it('reads a list page by page with the continue token', async () => {
    for (const n of ['a', 'b', 'c']) cluster.put(pod(n));
    w = watching(cluster, { pageSize: 2 });
    w.watch.start();
    await eventually(() => w.watch.synced, 'the list');
    assert.deepEqual(w.seen, ['LISTED a', 'LISTED b', 'LISTED c']);
    const lists = cluster.actions.filter((a) => a.verb === 'list');
    assert.deepEqual(
      lists.map((a) => [a.query.limit, a.query.continue !== undefined]),
      [
        ['2', false],
        ['2', true],
      ],
    );
  });

  it('lists objects near the size limit a few at a time: pages past --list-page-mib are asked again smaller', async () => {
    // Ten Pods of ~100 kB with a 300 kB page budget: 500, 125, 31 and 7 items are each too large.
    const blob = 'x'.repeat(100_000);
    for (let i = 0; i < 10; i++) cluster.put(pod(`big-${i}`, { annotations: { blob } }));
    const shrunk: number[] = [];
    const seen: string[] = [];
    const watch = new ResilientWatch(
      cluster,
      { ...OPTS, pageBytes: 300_000, events: { pageShrunk: () => shrunk.push(1) } },
      { onObject: (_t, o) => seen.push(o.metadata.name ?? '') },
      silentLogger(),
    );
    w = { watch, seen, objects: [], restarts: [], syncs: () => 0 };
    watch.start();
    await eventually(() => watch.synced, 'the list');
    assert.equal(seen.length, 10, 'every Pod listed once');
    assert.equal(new Set(seen).size, 10);
    const limits = cluster.actions.filter((a) => a.verb === 'list').map((a) => a.query.limit);
    // 1 fits (~100 kB); the bytes per item then size every later page to half the budget: 1 item.
    assert.deepEqual(limits.slice(0, 5), ['500', '125', '31', '7', '1']);
    assert.ok(
      limits.slice(5).every((l) => l === '1'),
      `later pages sized from the bytes per item: ${limits}`,
    );
    assert.equal(shrunk.length, 4);
  });

  it('keeps the configured page size for small objects under a byte budget', async () => {
    for (const n of ['a', 'b', 'c']) cluster.put(pod(n));
    w = watching(cluster, { pageSize: 2, pageBytes: 8 * 1024 * 1024 });
    w.watch.start();
    await eventually(() => w.watch.synced, 'the list');
    assert.deepEqual(w.seen, ['LISTED a', 'LISTED b', 'LISTED c']);
    const limits = cluster.actions.filter((a) => a.verb === 'list').map((a) => a.query.limit);
    assert.deepEqual(limits, ['2', '2']);
  });

  it('resumes from the last event seen when the server closes the stream, without relisting', async () => {
    cluster.put(pod('a'));
    w = watching(cluster);
    w.watch.start();
    await eventually(() => cluster.openWatches() === 1, 'the watch');
    cluster.put(pod('b'));
    await eventually(() => w.seen.length === 2, 'b');
    const lastSeen = cluster.resourceVersion;
    cluster.closeWatches();
    await eventually(() => cluster.openWatches() === 1, 'the second watch');
    cluster.put(pod('c'));
    await eventually(() => w.seen.length === 3, 'c');
    assert.deepEqual(w.seen, ['LISTED a', 'ADDED b', 'ADDED c']);
    assert.deepEqual(cluster.verbs(), ['list pods', 'watch pods', 'watch pods']);
    assert.equal(watchedFrom(cluster)[1], lastSeen);
    assert.deepEqual(w.restarts, ['closed']);
  });

  it('takes the resourceVersion of a bookmark, so a resume skips what other resources moved', async () => {
    w = watching(cluster);
    w.watch.start();
    await eventually(() => cluster.openWatches() === 1, 'the watch');
    // Writes to another resource move the cluster's resourceVersion but send this watch nothing.
    cluster.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'shop' } });
    cluster.bookmark();
    await eventually(() => w.watch.resourceVersion === cluster.resourceVersion, 'the bookmark');
    cluster.closeWatches();
    await eventually(() => cluster.openWatches() === 1, 'the second watch');
    assert.equal(watchedFrom(cluster)[1], cluster.resourceVersion);
    assert.deepEqual(w.seen, []);
  });

  it('relists when the watch ends with 410 Expired, handing every object over again', async () => {
    cluster.put(pod('a'));
    w = watching(cluster);
    w.watch.start();
    await eventually(() => cluster.openWatches() === 1, 'the watch');
    cluster.expireWatches();
    await eventually(() => w.syncs() === 2 && cluster.openWatches() === 1, 'the relist');
    assert.deepEqual(w.seen, ['LISTED a', 'LISTED a']);
    assert.deepEqual(cluster.verbs(), ['list pods', 'watch pods', 'list pods', 'watch pods']);
    assert.deepEqual(w.restarts, ['gone']);
  });

  it('relists when resuming from a resourceVersion older than the history kept', async () => {
    cluster.put(pod('a'));
    w = watching(cluster);
    w.watch.start();
    await eventually(() => cluster.openWatches() === 1, 'the watch');
    // Another resource moves the resourceVersion past the last one this watch saw.
    cluster.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'shop' } });
    cluster.closeWatches();
    cluster.compact();
    await eventually(() => w.syncs() === 2 && cluster.openWatches() === 1, 'the relist');
    assert.deepEqual(cluster.verbs(), ['list pods', 'watch pods', 'watch pods', 'list pods', 'watch pods']);
    assert.deepEqual(w.restarts, ['closed', 'gone']);
  });

  it('retries a failed list with backoff and never gives up', async () => {
    cluster.put(pod('a'));
    cluster.fail({ verb: 'list', resource: 'pods', status: 500, times: 2 });
    w = watching(cluster);
    w.watch.start();
    await eventually(() => w.watch.synced && cluster.openWatches() === 1, 'the list');
    assert.deepEqual(cluster.verbs(), ['list pods -> 500', 'list pods -> 500', 'list pods', 'watch pods']);
    assert.deepEqual(w.restarts, ['error', 'error']);
    assert.deepEqual(w.seen, ['LISTED a']);
  });

  it('relists on request (a new subscriber) and resumes watching', async () => {
    cluster.put(pod('a'));
    w = watching(cluster);
    w.watch.start();
    await eventually(() => cluster.openWatches() === 1, 'the watch');
    w.watch.requestRelist();
    await eventually(() => w.syncs() === 2 && cluster.openWatches() === 1, 'the relist');
    assert.deepEqual(cluster.verbs(), ['list pods', 'watch pods', 'list pods', 'watch pods']);
    assert.deepEqual(w.restarts, []);
  });

  it('keeps only metadata even when the server answers with full objects', async () => {
    const secret = (name: string): KubeObject =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          namespace: 'shop',
          annotations: {
            'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"c2VjcmV0LWtleQ=="}}',
          },
        },
        type: 'kubernetes.io/tls',
        data: { 'tls.key': 'c2VjcmV0LWtleQ==' },
        stringData: { password: 'hunter2' },
      }) as KubeObject;
    cluster = new FakeCluster({ honourMetadataAccept: false });
    cluster.put(secret('listed'));
    w = watching(cluster, { path: '/api/v1/secrets', kind: 'Secret', metadataOnly: true });
    w.watch.start();
    await eventually(() => cluster.openWatches() === 1, 'the watch');
    cluster.put(secret('added'));
    await eventually(() => w.seen.length === 2, 'the ADDED event');
    assert.deepEqual(w.seen, ['LISTED listed', 'ADDED added']);
    assert.match(cluster.actions[0]?.path ?? '', /secrets$/);
    for (const obj of w.objects) {
      assert.deepEqual(Object.keys(obj).sort(), ['apiVersion', 'kind', 'metadata']);
      assert.doesNotMatch(JSON.stringify(obj), /c2VjcmV0LWtleQ|hunter2/);
    }
  });
});
