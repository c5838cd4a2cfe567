import type { AuditAlert } from '../src/api/generated/audit-alert.js';
import { KubeClient } from '../src/kube/client.js';
import { type ControlPlane, startControlPlane } from './controlplane/index.js';
import { applyDetections, installCrds, kubectlOk } from './install.js';
import { type OperatorProcess, startOperator, waitFor } from './operator-process.js';
import { createClusterRole, createDeploymentChain, createIngress, createNamespace } from './samples.js';

const say = (msg: string): void => {
  process.stdout.write(`\n==> ${msg}\n`);
};

async function createSamples(c: KubeClient): Promise<string[]> {
  const ns = 'demo-shop';
  const made = [
    await createNamespace(c, ns, { team: 'shop' }),
    await createIngress(c, ns, 'storefront', 'shop.demo.example.com'),
    await createClusterRole(c, 'demo-secret-reader'),
  ];
  const chain = await createDeploymentChain(c, ns, 'checkout', 2);
  made.push(chain[0] as (typeof made)[number]);
  return made.map((o) => o.metadata.uid as string);
}

async function waitForAlerts(c: KubeClient, uids: string[]): Promise<AuditAlert[]> {
  let alerts: AuditAlert[] = [];
  await waitFor(
    async () => {
      alerts = (await c.request<{ items: AuditAlert[] }>('GET', '/apis/tripline.dev/v1alpha1/auditalerts'))
        .items;
      return uids.every((u) => alerts.some((a) => a.spec.subject.uid === u));
    },
    60_000,
    'an alert for every sample object',
  );
  return alerts;
}

function printSteps(a: AuditAlert): void {
  process.stdout.write(`${a.metadata?.name}: ${a.spec.summary}\n\nInvestigation:\n`);
  for (const [i, s] of (a.spec.investigation ?? []).entries()) {
    process.stdout.write(`  ${i + 1}. ${s.title}\n${s.command ? `       $ ${s.command}\n` : ''}`);
  }
  process.stdout.write('Resolution:\n');
  for (const [i, s] of (a.spec.resolution ?? []).entries()) {
    process.stdout.write(`  ${i + 1}. ${s.title}\n${s.command ? `       $ ${s.command}\n` : ''}`);
  }
}

async function main(): Promise<void> {
  let cp: ControlPlane | undefined;
  let op: OperatorProcess | undefined;
  const shutdown = async (): Promise<void> => {
    say('Stopping the operator and the control plane');
    if (op?.running()) await op.stop();
    await cp?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());

  say('Starting a local kube-apiserver + etcd (the first run builds them: about 6 minutes)');
  cp = await startControlPlane();
  say('Installing the CRDs and the default detections');
  await installCrds(cp);
  await applyDetections(cp);
  say('Starting the operator (tripline run)');
  op = await startOperator(cp.kubeconfigPath);
  await op.waitReady();
  say('Creating an Ingress, a Deployment with its ReplicaSet and Pods, a ClusterRole and a Namespace');
  const c = new KubeClient(cp.access, {
    maxSockets: 4,
    userAgent: 'tripline-demo',
    requestTimeoutMs: 30_000,
  });
  const alerts = await waitForAlerts(c, await createSamples(c));
  say('kubectl get auditalerts');
  process.stdout.write(await kubectlOk(cp, ['get', 'auditalerts']));
  say('The Ingress alert, with its steps');
  const ingress = alerts.find((a) => a.spec.subject.kind === 'Ingress');
  if (ingress) printSteps(ingress);
  say('Try it in a second terminal:');
  process.stdout.write(
    [
      `  export KUBECONFIG=${cp.kubeconfigPath}`,
      `  export PATH=${cp.binDir}:$PATH   # the pinned kubectl`,
      '  kubectl get aal -o wide',
      `  kubectl describe auditalert ${ingress?.metadata?.name ?? '<name>'}`,
      `  kubectl patch auditalert ${ingress?.metadata?.name ?? '<name>'} --subresource=status --type=merge -p '{"status":{"state":"Acknowledged"}}'`,
      '  kubectl create namespace another-one && kubectl get aal',
      '',
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error('demo failed:', err);
  process.exit(1);
});
