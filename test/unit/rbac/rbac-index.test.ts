import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { RbacIndex } from '../../../src/rbac/rbac-index.js';
import type { RbacCounts } from '../../../src/rbac/state.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { clusterRoleBinding, user } from './fixtures.js';

const CRB = 'clusterrolebindings.rbac.authorization.k8s.io';

/** A cluster holding `objects`, as another client put them there. */
const clusterWith = (...objects: KubeObject[]): FakeCluster => FakeCluster.holding(objects);

const WATCH = {
  pageSize: 100,
  stallTimeoutMs: 60_000,
  watchTimeoutSeconds: 60,
  backoff: { baseMs: 1, maxMs: 5 },
};

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

describe('rbac index', () => {
  it('is not synced until all four kinds have listed, and reports counts', async () => {
    const counts: Array<[RbacCounts, boolean]> = [];
    const cluster = clusterWith(clusterRoleBinding('ops', 'admin', [user('alice')]));
    const index = new RbacIndex(
      cluster,
      { watch: WATCH, onCounts: (c, s) => counts.push([c, s]) },
      silentLogger(),
    );
    assert.equal(index.synced, false);
    assert.equal(await index.whenSynced(0), false);
    index.start();
    assert.equal(await index.whenSynced(2000), true);
    assert.equal(index.state.clusterRoleBindings()[0]?.name, 'ops');
    assert.deepEqual(counts.at(-1), [
      { Role: 0, ClusterRole: 0, RoleBinding: 0, ClusterRoleBinding: 1 },
      true,
    ]);
    // ResilientWatch misses a stop that lands between a list and its watch; let the watches open.
    await until(() => cluster.openWatches() === 4, 'four watches open');
    assert.deepEqual(cluster.verbs(['list', 'watch']).sort(), [
      'list clusterrolebindings.rbac.authorization.k8s.io',
      'list clusterroles.rbac.authorization.k8s.io',
      'list rolebindings.rbac.authorization.k8s.io',
      'list roles.rbac.authorization.k8s.io',
      'watch clusterrolebindings.rbac.authorization.k8s.io',
      'watch clusterroles.rbac.authorization.k8s.io',
      'watch rolebindings.rbac.authorization.k8s.io',
      'watch roles.rbac.authorization.k8s.io',
    ]);
    await index.stop();
    assert.equal(cluster.openWatches(), 0, 'stop closes the watches');
  });

  it('answers "not synced" when it cannot list (RBAC read denied), waiting only right after start', async () => {
    const cluster = new FakeCluster();
    cluster.fail({ verb: 'list', status: 403, times: Number.POSITIVE_INFINITY });
    const index = new RbacIndex(cluster, { watch: WATCH }, silentLogger());
    index.start();
    assert.equal(await index.whenSynced(20), false);
    await new Promise((r) => setTimeout(r, 30));
    let settled = false;
    const later = index.whenSynced(20).then((v) => {
      settled = true;
      return v;
    });
    await Promise.resolve();
    assert.equal(settled, true, 'past the grace period nobody waits');
    assert.equal(await later, false);
    assert.ok(cluster.verbs(['list']).every((v) => v.endsWith(' -> 403')));
    await index.stop();
  });

  it('applies watch events and drops what a relist after 410 Expired no longer returns', async () => {
    const gone = clusterRoleBinding('gone', 'admin', [user('bob')]);
    const kept = clusterRoleBinding('kept', 'admin', [user('carol')]);
    const added = clusterRoleBinding('added', 'edit', [user('dave')]);
    const cluster = clusterWith(gone, kept);
    const index = new RbacIndex(cluster, { watch: WATCH }, silentLogger());
    index.start();
    await until(() => cluster.openWatches(CRB) === 1, 'watching');
    cluster.put(added);
    await until(() => index.state.keys('ClusterRoleBinding').length === 3, 'the ADDED event applied');
    // The watch falls behind and expires; meanwhile 'gone' is deleted, an event the index never sees.
    cluster.expireWatches();
    cluster.remove(gone);
    await until(
      () =>
        cluster.verbs(['list']).filter((v) => v === `list ${CRB}`).length >= 2 &&
        index.state.keys('ClusterRoleBinding').length === 2,
      'relisted',
    );
    assert.deepEqual(index.state.keys('ClusterRoleBinding').sort(), ['/added', '/kept']);
    await index.stop();
  });
});
