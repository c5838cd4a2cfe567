import assert from 'node:assert/strict';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { TrafficDetections } from '../../../src/traffic/detections.js';
import type { TrafficSettings } from '../../../src/traffic/settings.js';
import { podDetection, WATCH } from '../support/core-fixtures.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { defaultDetections } from '../support/fixtures.js';

const traffic = (): AuditDetection => {
  const d = defaultDetections().get('ingress-traffic-anomaly');
  if (!d) throw new Error('the default traffic detection is missing');
  return structuredClone(d);
};

describe('TrafficDetections against the fake cluster', () => {
  let cluster: FakeCluster;
  let changes: string[][];
  let td: TrafficDetections;
  beforeEach(() => {
    cluster = new FakeCluster();
    changes = [];
    td = new TrafficDetections(cluster, WATCH, silentLogger(), (list: TrafficSettings[]) =>
      changes.push(list.map((s) => s.name)),
    );
  });
  afterEach(async () => {
    await td.stop();
  });

  it('compiles the traffic detections it lists and watches, and drops deleted and disabled ones', async () => {
    cluster.put(traffic());
    cluster.put(podDetection('not-traffic'));
    td.start();
    await eventually(() => td.synced && cluster.openWatches() === 1, 'the list');
    assert.deepEqual(changes, [['ingress-traffic-anomaly']]);
    const disabled = traffic();
    disabled.spec.enabled = false;
    cluster.put(disabled);
    await eventually(() => changes.length === 2, 'the disabled one to be dropped');
    assert.deepEqual(changes[1], []);
    assert.deepEqual(cluster.verbs(), [
      'list auditdetections.tripline.dev',
      'watch auditdetections.tripline.dev',
    ]);
  });

  it('recompiles only for a new generation, and leaves out one that does not compile', async () => {
    td.start();
    await eventually(() => cluster.openWatches() === 1, 'the watch');
    cluster.put(traffic());
    await eventually(() => changes.length === 1, 'the first one');
    // Same generation (a status write): nothing to do.
    cluster.put({ ...traffic(), status: { observedGeneration: 1 } } as AuditDetection);
    const broken = traffic();
    broken.metadata.generation = 2;
    broken.spec.traffic = { ...broken.spec.traffic, window: 'not-a-duration' };
    cluster.put(broken);
    await eventually(() => changes.length === 2, 'the broken one');
    assert.deepEqual(changes, [['ingress-traffic-anomaly'], []]);
    assert.deepEqual(td.list(), []);
  });
});
