import assert from 'node:assert/strict';
import { actionActor } from '../../../src/actions/detections.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { DetectionController } from '../../../src/detections/controller.js';
import type { ObjectWork } from '../../../src/detections/feed.js';
import { DetectionStore } from '../../../src/detections/store.js';
import { Discovery } from '../../../src/kube/resources.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { pod, podDetection, WATCH } from '../support/core-fixtures.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from '../support/fake-cluster.js';

const NOW = new Date('2026-01-01T01:00:00Z');

type Cond = { type: string; status: string; reason: string; message: string };
const conditionsOf = (cluster: FakeCluster, name: string): Record<string, string> => {
  const d = cluster.get(podDetection(name)) as unknown as AuditDetection | undefined;
  const conds = (d?.status?.conditions ?? []) as Cond[];
  return Object.fromEntries(conds.map((c) => [c.type, `${c.status} ${c.reason}`]));
};

const created = (d: AuditDetection): AuditDetection => {
  d.metadata.creationTimestamp = '2026-01-01T00:00:00Z' as unknown as Date;
  return d;
};

describe('DetectionController against the fake cluster', () => {
  let cluster: FakeCluster;
  let controller: DetectionController;
  let store: DetectionStore;
  let queued: ObjectWork[];
  /** The store lists and watches the detections; the controller reports and runs what it compiled. */
  const start = async (): Promise<void> => {
    await store.start(cluster, WATCH);
    controller.start();
  };
  beforeEach(() => {
    cluster = new FakeCluster({ now: () => NOW });
    queued = [];
    store = new DetectionStore({
      log: silentLogger(),
      clock: { now: () => NOW },
      actionActorOf: actionActor,
    });
    controller = new DetectionController(
      {
        watch: WATCH,
        backoff: { baseMs: 1, maxMs: 2 },
        watermarkOverlapMs: 0,
        watermarkFlushMs: 3_600_000,
        initialSettleMs: 10,
      },
      {
        store,
        client: cluster,
        discovery: new Discovery(cluster),
        clock: { now: () => NOW },
        log: silentLogger(),
        feedDeps: { enqueue: (_k, w) => queued.push(w), recentlyRaised: () => false },
      },
    );
  });
  afterEach(async () => {
    await controller.stop();
    await store.stop();
  });

  it('marks a valid detection Ready, starts its feed, and writes status once', async () => {
    cluster.put(created(podDetection('new-pods')));
    cluster.put(pod('web', '2026-01-01T00:30:00Z'));
    await start();
    await eventually(
      () => controller.ready && queued.length === 1 && cluster.openWatches('pods') === 1,
      'the detection and its feed',
    );
    assert.deepEqual(conditionsOf(cluster, 'new-pods'), {
      Ready: 'True Watching',
      Stalled: 'False Watching',
    });
    assert.deepEqual(cluster.writes(), ['patch auditdetections.tripline.dev new-pods/status']);
    assert.deepEqual(cluster.verbs(['list', 'watch', 'get']).sort(), [
      'get /api/v1',
      'list auditdetections.tripline.dev',
      'list pods',
      'watch auditdetections.tripline.dev',
      'watch pods',
    ]);
  });

  it('marks a detection that cannot run Stalled with the reason, and watches nothing for it', async () => {
    cluster.put(created(podDetection('bad-cel', { match: { condition: 'object.metadata.name ==' } })));
    cluster.put(
      created(
        podDetection('no-such-resource', {
          resources: [{ group: 'example.com', version: 'v1', resource: 'widgets' }],
        }),
      ),
    );
    await start();
    await eventually(() => cluster.writes().length === 2, 'both status writes');
    assert.deepEqual(conditionsOf(cluster, 'bad-cel'), {
      Ready: 'False InvalidSpec',
      Stalled: 'True InvalidSpec',
    });
    assert.deepEqual(conditionsOf(cluster, 'no-such-resource'), {
      Ready: 'False ResourceNotServed',
      Stalled: 'True ResourceNotServed',
    });
    assert.equal(cluster.openWatches('pods'), 0);
    assert.deepEqual(cluster.writes().sort(), [
      'patch auditdetections.tripline.dev bad-cel/status',
      'patch auditdetections.tripline.dev no-such-resource/status',
    ]);
  });

  it('persists the watermark at the earliest object still waiting for its alert, once per change', async () => {
    cluster.put(created(podDetection('new-pods')));
    cluster.put(pod('first', '2026-01-01T00:10:00Z'));
    cluster.put(pod('second', '2026-01-01T00:20:00Z'));
    await start();
    await eventually(() => controller.ready && queued.length === 2, 'the feed');
    cluster.clearActions();
    await controller.flushWatermarks();
    await controller.flushWatermarks();
    const d = cluster.get(podDetection('new-pods')) as unknown as AuditDetection;
    assert.equal(d.status?.watermark, '2026-01-01T00:10:00Z');
    assert.deepEqual(cluster.writes(), ['patch auditdetections.tripline.dev new-pods/status']);
  });

  it('keeps a watermark write that failed for the next flush', async () => {
    cluster.put(created(podDetection('new-pods')));
    cluster.put(pod('first', '2026-01-01T00:10:00Z'));
    await start();
    await eventually(() => controller.ready && queued.length === 1, 'the feed');
    cluster.clearActions();
    cluster.fail({ verb: 'patch', resource: 'auditdetections.tripline.dev', status: 500 });
    await controller.flushWatermarks();
    await controller.flushWatermarks();
    assert.deepEqual(cluster.writes(), [
      'patch auditdetections.tripline.dev new-pods/status -> 500',
      'patch auditdetections.tripline.dev new-pods/status',
    ]);
    const d = cluster.get(podDetection('new-pods')) as unknown as AuditDetection;
    assert.equal(d.status?.watermark, '2026-01-01T00:10:00Z');
  });

  it('adds to the counters it wrote itself, before its watch delivers them, and leaves the store to the watch', async () => {
    const d = created(
      podDetection('quiet-pods', { exceptions: [{ description: 'batch jobs', names: ['skip-*'] }] }),
    );
    cluster.put(d);
    cluster.put(pod('skip-1', '2026-01-01T00:10:00Z'));
    await start();
    await eventually(() => controller.ready && cluster.openWatches('pods') === 1, 'the feed');
    // The store's watch stops here: the status writes below are never delivered to it.
    await store.stop();
    await controller.flushWatermarks();
    cluster.put(pod('skip-2', '2026-01-01T00:20:00Z'));
    const written = () =>
      (cluster.get(podDetection('quiet-pods')) as unknown as AuditDetection).status?.counters?.suppressed;
    // The feed counts skip-2 when its watch event arrives; flush until it has (bounded).
    for (let i = 0; i < 1000 && written() !== 2; i++) {
      await new Promise((r) => setTimeout(r, 2));
      await controller.flushWatermarks();
    }
    const now = cluster.get(podDetection('quiet-pods')) as unknown as AuditDetection;
    assert.equal(now.status?.counters?.suppressed, 2, 'the second flush added to what the first wrote');
    assert.equal(
      store.detection('quiet-pods')?.status?.counters,
      undefined,
      'the store holds what its watch delivered',
    );
  });
});
