import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { createNamespace } from '../../hack/samples.js';
import type { AuditDetection } from '../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import { allAlerted, assertExactlyOnce, createPods } from './support/burst.js';
import { adminClient, installCrds, kubectlOk, suffix } from './support/cluster.js';

/** The overlap re-checked below a persisted watermark (the README's "few seconds"). */
const OVERLAP_S = 5;
const ARGS = ['--watermark-overlap-seconds', String(OVERLAP_S), '--watermark-flush-seconds', '1'];
const DETECTION = 'workload-created';

/** The detection's persisted watermark (ms), or undefined while it has none. */
async function watermarkOf(c: KubeClient, name: string): Promise<number | undefined> {
  const d = await c.request<AuditDetection>('GET', `/apis/tripline.dev/v1alpha1/auditdetections/${name}`);
  return d.status?.watermark ? Date.parse(d.status.watermark) : undefined;
}

const newest = (objs: KubeObject[]): number =>
  Math.max(...objs.map((o) => Date.parse(o.metadata.creationTimestamp as string)));

/** Waits until the detection's watermark is at or past `ms`. Not a timing assertion. */
async function waitWatermark(c: KubeClient, ms: number, what: string): Promise<void> {
  let last: number | undefined;
  await waitFor(
    async () => {
      last = await watermarkOf(c, DETECTION);
      return last !== undefined && last >= ms;
    },
    90_000,
    `${DETECTION} watermark at ${new Date(ms).toISOString()} (${what})`,
  ).catch((err: unknown) => {
    throw new Error(`watermark stayed at ${last === undefined ? 'none' : new Date(last).toISOString()}`, {
      cause: err,
    });
  });
}

describe('watermark: a detection over many kinds advances with its busiest one; a restart re-checks only the overlap', function () {
  this.timeout(300_000);
  const ns = `watermark-${suffix()}`;
  let c: KubeClient;
  let op: OperatorProcess | undefined;
  let pods: KubeObject[] = [];

  before(async () => {
    const cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
    await createNamespace(c, ns);
    op = await startOperator(cp.kubeconfigPath, ARGS);
    await op.waitReady();
  });
  after(async () => {
    if (op?.running()) await op.stop();
    c?.close();
  });

  it(`${DETECTION} has a watermark at its newest Pod though other workload kinds may have no objects`, async () => {
    pods = await createPods(c, ns, 'wm', 20);
    await waitFor(() => allAlerted(c, pods), 60_000, 'alerts for every Pod');
    // Deployments, CronJobs, … may have no object at all: they must not hold the watermark back.
    await waitWatermark(c, newest(pods), 'the newest Pod');
  });

  it('after a restart no alert raised before the stop is created again, and new Pods get exactly one', async () => {
    const cp = controlPlane();
    const running = op as OperatorProcess;
    await running.waitIdle();
    // Past the overlap: what a restart re-checks no longer reaches back to the alerted Pods.
    await waitWatermark(c, newest(pods) + (OVERLAP_S + 1) * 1000, 'past the overlap');
    await running.stop();
    op = await startOperator(cp.kubeconfigPath, ARGS);
    await op.waitReady();
    const later = await createPods(c, ns, 'wm-after', 5);
    await waitFor(() => allAlerted(c, later), 60_000, 'alerts for the Pods created after the restart');
    await op.waitIdle();
    await assertExactlyOnce(c, [...pods, ...later]);
    const creates = (outcome: string) =>
      (op as OperatorProcess).metric('tripline_alert_creates_total', { detection: DETECTION, outcome });
    assert.equal(
      await creates('exists'),
      0,
      'alerts of Pods alerted before the stop were POSTed again (409)',
    );
    assert.equal(await creates('created'), later.length, 'one create for each Pod made after the restart');
  });
});
