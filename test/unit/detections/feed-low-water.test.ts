import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { CompiledDetection } from '../../../src/detections/compile.js';
import { ResourceFeed } from '../../../src/detections/feed.js';
import { STREAM_SETTLE_MS } from '../../../src/kube/list-watch.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { stubDetection } from '../support/core-fixtures.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from '../support/fake-cluster.js';

/** The API server's clock runs this far ahead of the process's (as its Date header says). */
const OFFSET = 3000;
const T0 = Date.parse('2026-11-23T12:00:00Z');

/** Resolves once `n` watches have been answered (and the watch has taken the answer). */
async function opened(cluster: FakeCluster, n: number): Promise<void> {
  await eventually(
    () => cluster.actions.filter((a) => a.verb === 'watch' && a.code === 200).length >= n,
    `${n} watches`,
  );
  await new Promise((r) => setImmediate(r));
}

/** Lets the watch read what the cluster just sent it. */
const read = (): Promise<void> => new Promise((r) => setImmediate(r));

const pod = (name: string, created: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    creationTimestamp: new Date(created).toISOString(),
  },
});

const detection: CompiledDetection = stubDetection({ skipControlled: false });

interface Rig {
  feed: ResourceFeed;
  cluster: FakeCluster;
  clock: { ms: number; now: () => Date };
  hold: (p: Promise<void> | undefined) => void;
}

async function startFeed(items: KubeObject[] = []): Promise<Rig> {
  const cluster = new FakeCluster({ serverOffsetMs: OFFSET });
  for (const o of items) cluster.put(o);
  const clock = { ms: T0, now: () => new Date(clock.ms) };
  let held: Promise<void> | undefined;
  const feed = new ResourceFeed(
    { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, verbs: [] },
    {
      client: cluster,
      log: silentLogger(),
      watch: {
        pageSize: 500,
        stallTimeoutMs: 60_000,
        watchTimeoutSeconds: 300,
        backoff: { baseMs: 10, maxMs: 100 },
        clock,
      },
      enqueue: () => {},
      admit: () => held,
      recentlyRaised: () => false,
    },
  );
  feed.subscribe({
    detection,
    sinceMs: T0 - 3_600_000,
    watchedKinds: new Set(['/Pod']),
  });
  feed.start();
  await opened(cluster, 1);
  return { feed, cluster, clock, hold: (p) => (held = p) };
}

describe('feed low-water mark', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    rig?.hold(undefined);
    await rig?.feed.stop();
    rig = undefined;
  });

  it('a synced feed without objects advances with its open watch, on the server clock', async () => {
    rig = await startFeed();
    // Right after the list: caught up to when the list was asked for.
    assert.equal(rig.feed.lowWater(), T0 + OFFSET);
    rig.clock.ms += STREAM_SETTLE_MS;
    assert.equal(rig.feed.lowWater(), T0 + STREAM_SETTLE_MS + OFFSET);
    rig.clock.ms += 60_000;
    assert.equal(rig.feed.lowWater(), T0 + STREAM_SETTLE_MS + 60_000 + OFFSET);
  });

  it('an object waiting for its alert holds it until done', async () => {
    rig = await startFeed([pod('listed', T0 - 120_000)]);
    rig.clock.ms += 10_000;
    rig.cluster.put(pod('added', T0 + 5000));
    await read();
    assert.equal(rig.feed.lowWater(), T0 - 120_000, 'the listed pod still waits');
    rig.feed.release('uid-listed');
    assert.equal(rig.feed.lowWater(), T0 + 5000, 'the added pod still waits');
    rig.feed.release('uid-added');
    assert.equal(rig.feed.lowWater(), T0 + 10_000 + OFFSET);
  });

  it('a watch held back by a full backlog advances nothing until it is reopened', async () => {
    rig = await startFeed();
    rig.clock.ms += 2000;
    assert.equal(rig.feed.lowWater(), T0 + 2000 + OFFSET);
    let release: () => void = () => {};
    rig.hold(new Promise<void>((r) => (release = r)));
    rig.cluster.bookmark();
    await read();
    rig.clock.ms += 30_000;
    assert.equal(rig.feed.lowWater(), T0 + 2000 + OFFSET, 'held: what is unread may be older');
    rig.hold(undefined);
    release();
    await new Promise((r) => setImmediate(r));
    rig.clock.ms += 30_000;
    assert.equal(rig.feed.lowWater(), T0 + 2000 + OFFSET, 'the stream read a backlog once: still stale');
    rig.cluster.closeWatches();
    await opened(rig.cluster, 2);
    assert.equal(rig.feed.lowWater(), T0 + 2000 + OFFSET, 'a new stream is not settled yet');
    rig.clock.ms += STREAM_SETTLE_MS;
    assert.equal(rig.feed.lowWater(), T0 + 62_000 + STREAM_SETTLE_MS + OFFSET);
  });
});
