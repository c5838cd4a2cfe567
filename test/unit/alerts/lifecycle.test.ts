import assert from 'node:assert/strict';
import { LifecycleController } from '../../../src/alerts/lifecycle.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { Discovery } from '../../../src/kube/resources.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { WATCH } from '../support/core-fixtures.js';
import { eventually } from '../support/eventually.js';
import { FakeCluster } from '../support/fake-cluster.js';

const NOW = new Date('2026-01-01T01:00:00Z');

const alert = (name: string, status?: Record<string, unknown>): AuditAlert =>
  ({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditAlert',
    metadata: { name },
    spec: {
      detection: { name: 'd' },
      severity: 'High',
      subject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web', uid: 'u1' },
    },
    ...(status ? { status } : {}),
  }) as unknown as AuditAlert;

type Status = { history?: { from: string; to: string }[]; conditions?: { type: string; status: string }[] };
const statusOf = (cluster: FakeCluster, name: string): Status =>
  (cluster.get(alert(name))?.status ?? {}) as Status;
const condition = (cluster: FakeCluster, name: string, type: string): string | undefined =>
  statusOf(cluster, name).conditions?.find((c) => c.type === type)?.status;

describe('LifecycleController against the fake cluster', () => {
  let cluster: FakeCluster;
  let lifecycle: LifecycleController;
  beforeEach(() => {
    cluster = new FakeCluster({ now: () => NOW });
    lifecycle = new LifecycleController(
      { watch: WATCH, backoff: { baseMs: 1, maxMs: 2 }, concurrency: 1 },
      {
        client: cluster,
        discovery: new Discovery(cluster),
        clock: { now: () => NOW },
        log: silentLogger(),
        detection: () => undefined,
      },
    );
  });
  afterEach(async () => {
    await lifecycle.stop();
  });

  async function started(): Promise<void> {
    lifecycle.start();
    await eventually(() => lifecycle.synced && cluster.openWatches() === 1, 'the alert watch');
  }

  it('writes nothing for a new alert nobody touched', async () => {
    cluster.put(alert('a1'));
    await started();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(cluster.verbs(), ['list auditalerts.tripline.dev', 'watch auditalerts.tripline.dev']);
  });

  it('records a state change people made, once, with the resourceVersion it read', async () => {
    cluster.put(alert('a1'));
    await started();
    cluster.put(alert('a1', { state: 'Acknowledged', assignee: 'alice' }));
    const rv = cluster.resourceVersion;
    await eventually(() => cluster.writes().length === 1, 'the status write');
    // Its own write comes back as MODIFIED: converged, nothing more to write.
    await eventually(() => condition(cluster, 'a1', 'Acknowledged') === 'True', 'the condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(cluster.writes(), ['patch auditalerts.tripline.dev a1/status']);
    const patch = cluster.actions.find((a) => a.verb === 'patch')?.body as {
      metadata: { resourceVersion: string };
    };
    assert.equal(patch.metadata.resourceVersion, rv);
    assert.deepEqual(
      statusOf(cluster, 'a1').history?.map((h) => `${h.from}->${h.to}`),
      ['Open->Acknowledged'],
    );
  });

  it('re-reads and recomputes on 409 Conflict, never overwriting a concurrent patch', async () => {
    await started();
    cluster.fail({ verb: 'patch', subresource: 'status', status: 409 });
    cluster.put(alert('a1', { state: 'Resolved', reason: 'FalsePositive' }));
    await eventually(() => condition(cluster, 'a1', 'Resolved') === 'True', 'the retried write');
    assert.deepEqual(cluster.verbs(['get', 'patch']), [
      'patch auditalerts.tripline.dev a1/status -> 409',
      'get auditalerts.tripline.dev a1',
      'patch auditalerts.tripline.dev a1/status',
    ]);
  });

  it('flips SubjectPresent to False when told the subject was deleted', async () => {
    cluster.put(alert('a1'));
    await started();
    lifecycle.subjectDeleted('a1');
    await eventually(() => condition(cluster, 'a1', 'SubjectPresent') === 'False', 'the condition');
    assert.deepEqual(cluster.verbs(['get', 'patch']), [
      'get auditalerts.tripline.dev a1',
      'patch auditalerts.tripline.dev a1/status',
    ]);
  });
});
