import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { createNamespace } from '../../hack/samples.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { Lease } from '../../src/runtime/leader.js';
import { controlPlane } from './setup.js';
import { allAlerted, assertExactlyOnce, createPods } from './support/burst.js';
import { adminClient, installCrds, kubectlOk, suffix } from './support/cluster.js';

/**
 * Two replicas, as the default install runs them: one leads, the other follows; the leader is
 * SIGKILLed mid-burst (no release, the Lease must expire); the follower takes over and every Pod
 * ends with exactly one alert.
 */
describe('leader election with two replicas', function () {
  this.timeout(300_000);
  let cp: ControlPlane;
  let c: KubeClient;
  const ns = `leader-${suffix()}`;
  const leaseName = `tripline-${suffix()}`;
  const ops: OperatorProcess[] = [];

  // Short timings keep the test quick; the ratios are client-go's (15/10/2 s by default).
  const electionArgs = (pod: string): string[] => [
    '--leader-elect=true',
    `--leader-election-namespace=${ns}`,
    `--leader-election-id=${leaseName}`,
    '--lease-duration-seconds=4',
    '--renew-deadline-seconds=3',
    '--retry-period-seconds=0.5',
    `--pod-name=${pod}`,
  ];

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
    await createNamespace(c, ns);
  });
  after(async () => {
    for (const op of ops) if (op.running()) await op.stop();
    c?.close();
  });

  const lease = (): Promise<Lease> =>
    c.request<Lease>('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName}`);

  /** The replica whose identity holds the Lease. */
  async function leaderOf(replicas: Record<string, OperatorProcess>): Promise<string | undefined> {
    try {
      const holder = (await lease()).spec.holderIdentity ?? '';
      return Object.keys(replicas).find((pod) => holder.startsWith(`${pod}_`));
    } catch {
      return undefined;
    }
  }

  it('one replica leads, the other takes over when the leader is killed mid-burst; one alert per Pod', async () => {
    const replicas: Record<string, OperatorProcess> = {};
    for (const pod of ['replica-a', 'replica-b']) {
      replicas[pod] = await startOperator(cp.kubeconfigPath, electionArgs(pod));
      ops.push(replicas[pod]);
    }
    let first: string | undefined;
    await waitFor(
      async () => {
        first = await leaderOf(replicas);
        return first !== undefined;
      },
      30_000,
      'a replica holds the Lease',
    );
    const leader = replicas[first as string];
    const follower = replicas[first === 'replica-a' ? 'replica-b' : 'replica-a'];
    assert.ok(leader && follower);
    await leader.waitReady();
    await follower.waitReady(); // a follower is ready: it serves probes and stands by
    assert.equal(await leader.metric('tripline_leader'), 1);
    assert.equal(await follower.metric('tripline_leader'), 0);
    assert.equal(follower.records('Created AuditAlert').length, 0, 'the follower raises nothing');
    const transitionsBefore = (await lease()).spec.leaseTransitions ?? 0;

    let killed: Promise<void> | undefined;
    const pods: KubeObject[] = await createPods(c, ns, 'ha', 400, {
      concurrency: 20,
      onProgress: (done) => {
        if (done === 120) killed = leader.kill();
      },
    });
    await killed;
    await waitFor(async () => (await follower.metric('tripline_leader')) === 1, 60_000, 'the follower leads');
    assert.ok(((await lease()).spec.leaseTransitions ?? 0) > transitionsBefore, 'the Lease changed hands');
    await waitFor(() => allAlerted(c, pods), 120_000, `alerts for all ${pods.length} Pods`);
    await follower.waitIdle();
    await assertExactlyOnce(c, pods);
    assert.ok(follower.running(), 'the new leader still runs');
    assert.ok(follower.records('Created AuditAlert').length > 0, 'the new leader raised the rest');
  });

  it('a leader stopped gracefully releases the Lease to a new replica at once', async () => {
    const holder = (await lease()).spec.holderIdentity ?? '';
    const current = ops.find((op) => op.running());
    assert.ok(current && holder !== '', 'the leader of the previous test runs');
    const next = await startOperator(cp.kubeconfigPath, electionArgs('replica-c'));
    ops.push(next);
    await next.waitReady();
    assert.equal(await next.metric('tripline_leader'), 0, 'the Lease is held: replica-c follows');
    assert.equal(await current.stop(), 0, 'a SIGTERMed replica exits 0');
    // Released, not left to expire: right after exit the old identity no longer holds it.
    assert.notEqual((await lease()).spec.holderIdentity, holder);
    await waitFor(async () => (await next.metric('tripline_leader')) === 1, 30_000, 'replica-c leads');
  });
});
