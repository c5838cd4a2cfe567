import assert from 'node:assert/strict';
import { createAlert, mergeOpenAlertStatus } from '../../../src/alerts/writer.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeCluster } from '../support/fake-cluster.js';

const alert = (name: string, status?: Record<string, unknown>): AuditAlert =>
  ({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditAlert',
    metadata: { name },
    spec: { detection: { name: 'd' }, severity: 'High', evidence: { big: 'x'.repeat(100) } },
    ...(status ? { status } : {}),
  }) as unknown as AuditAlert;

describe('alerts/writer against the fake cluster', () => {
  let cluster: FakeCluster;
  beforeEach(() => {
    cluster = new FakeCluster();
  });

  describe('createAlert', () => {
    it('creates with the field manager, asking for metadata only back', async () => {
      assert.equal(await createAlert(cluster, alert('a1'), silentLogger()), 'created');
      assert.deepEqual(cluster.verbs(), ['create auditalerts.tripline.dev a1']);
      assert.equal(cluster.actions[0]?.query.fieldManager, 'tripline');
      assert.ok(cluster.get(alert('a1')));
    });

    it('takes 409 AlreadyExists as raised before', async () => {
      cluster.put(alert('a1'));
      assert.equal(await createAlert(cluster, alert('a1'), silentLogger()), 'exists');
      assert.deepEqual(cluster.verbs(), ['create auditalerts.tripline.dev a1 -> 409']);
    });

    it('retries a write refused as too large with trimmed evidence, never drops it', async () => {
      cluster.fail({ verb: 'create', resource: 'auditalerts.tripline.dev', status: 413, times: 2 });
      assert.equal(await createAlert(cluster, alert('a1'), silentLogger()), 'created');
      assert.deepEqual(cluster.verbs(), [
        'create auditalerts.tripline.dev a1 -> 413',
        'create auditalerts.tripline.dev a1 -> 413',
        'create auditalerts.tripline.dev a1',
      ]);
    });

    it('throws any other error with the API error as cause', async () => {
      cluster.fail({ verb: 'create', status: 403 });
      await assert.rejects(createAlert(cluster, alert('a1'), silentLogger()), (err: Error) => {
        assert.match(err.message, /creating AuditAlert a1/);
        assert.equal((err.cause as { status?: number }).status, 403);
        return true;
      });
    });
  });

  describe('mergeOpenAlertStatus', () => {
    const addFiring = (stored: AuditAlert) => ({
      traffic: {
        firings: ((stored.status as { traffic?: { firings?: number } })?.traffic?.firings ?? 0) + 1,
      },
    });

    it('re-reads and merges again when another writer moved the alert meanwhile: no count lost', async () => {
      cluster.put(alert('a1', { state: 'Open', traffic: { firings: 1 } }));
      let first = true;
      const outcome = await mergeOpenAlertStatus(cluster, 'a1', (stored) => {
        if (first) {
          first = false;
          // The other replica adds its firing between this read and this write.
          cluster.put(alert('a1', { state: 'Open', traffic: { firings: 2 } }));
        }
        return addFiring(stored);
      });
      assert.equal(outcome, 'written');
      assert.deepEqual(cluster.verbs(), [
        'get auditalerts.tripline.dev a1',
        'patch auditalerts.tripline.dev a1/status -> 409',
        'get auditalerts.tripline.dev a1',
        'patch auditalerts.tripline.dev a1/status',
      ]);
      const status = cluster.get(alert('a1'))?.status as { traffic?: unknown } | undefined;
      assert.deepEqual(status?.traffic, { firings: 3 });
    });

    it("is 'closed' for a Resolved alert and for a deleted one, writing nothing", async () => {
      cluster.put(alert('resolved', { state: 'Resolved' }));
      assert.equal(await mergeOpenAlertStatus(cluster, 'resolved', addFiring), 'closed');
      assert.equal(await mergeOpenAlertStatus(cluster, 'gone', addFiring), 'closed');
      assert.deepEqual(cluster.verbs(), [
        'get auditalerts.tripline.dev resolved',
        'get auditalerts.tripline.dev gone -> 404',
      ]);
    });

    it('gives up with an error when the alert keeps changing under it', async () => {
      cluster.put(alert('a1', { state: 'Open' }));
      cluster.fail({ verb: 'patch', subresource: 'status', status: 409, times: Number.POSITIVE_INFINITY });
      await assert.rejects(mergeOpenAlertStatus(cluster, 'a1', addFiring), /kept changing/);
      assert.equal(cluster.verbs(['patch']).length, 5);
    });
  });
});
