import { kubectlOk } from '../../hack/install.js';

export { applyDetections, installCrds } from '../../hack/install.js';

import { type ControlPlane, startControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator } from '../../hack/operator-process.js';
import { KubeClient } from '../../src/kube/client.js';
import { closedLoop } from './load.js';
import { progress } from './progress.js';

/** The default detections the benchmark relies on (manifests/detections). */
export const DETECTIONS = ['ingress-created', 'workload-created', 'clusterrole-created', 'namespace-created'];

/** creationTimestamp has one-second resolution: objects must predate the detections by more than that. */
export const TIMESTAMP_GAP_MS = 1100;

/** Starts a fresh local control plane, logging through the progress printer. */
export async function startCluster(label: string): Promise<ControlPlane> {
  progress(`${label}: starting a local control plane (kube-apiserver + etcd)`);
  return await startControlPlane({ log: (msg) => progress(`${label}: ${msg}`) });
}

/** A lean client (one keep-alive pool of `maxSockets`) on the admin kubeconfig. */
export function benchClient(cp: ControlPlane, maxSockets: number, role: string): KubeClient {
  return new KubeClient(cp.access, {
    maxSockets,
    userAgent: `tripline-bench/${role}`,
    requestTimeoutMs: 120_000,
  });
}

/** Waits until the operator has marked every default detection Ready. */
export async function waitDetectionsReady(cp: ControlPlane): Promise<void> {
  const names = DETECTIONS.map((d) => `auditdetection/${d}`);
  await kubectlOk(cp, ['wait', '--for=condition=Ready', '--timeout=120s', ...names]);
}

/** Creates namespaces with a few requests in flight. */
export async function createNamespaces(client: KubeClient, names: string[]): Promise<void> {
  await closedLoop(names.length, 16, async (i) => {
    const name = names[i] as string;
    await client.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
  });
}

/** Starts the operator (as a user would: default settings unless `args` say otherwise) and waits for /readyz. */
export async function startReadyOperator(cp: ControlPlane, args: string[]): Promise<OperatorProcess> {
  const op = await startOperator(cp.kubeconfigPath, args);
  await op.waitReady(180_000);
  return op;
}

/** Stops the operator if it still runs: SIGTERM, then SIGKILL after 10 s. */
export async function stopOperator(op: OperatorProcess | undefined): Promise<void> {
  if (!op?.running()) return;
  const killer = setTimeout(() => void op.kill(), 10_000);
  try {
    await op.stop();
  } finally {
    clearTimeout(killer);
  }
}
