import type { ControlPlane } from '../../../hack/controlplane/index.js';
import { waitFor } from '../../../hack/operator-process.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { KubeClient } from '../../../src/kube/client.js';
import { isRetryable } from '../../../src/kube/errors.js';

/** The lean client on the admin kubeconfig, for test reads and writes. */
export function adminClient(cp: ControlPlane): KubeClient {
  return new KubeClient(cp.access, {
    maxSockets: 16,
    userAgent: 'tripline-e2e',
    requestTimeoutMs: 30_000,
  });
}

import { kubectlOk } from '../../../hack/install.js';

export { applyDetections, installCrds, kubectlOk } from '../../../hack/install.js';

/** Every AuditAlert in the cluster. */
export async function listAlerts(client: KubeClient): Promise<AuditAlert[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const list = await client.request<{ items: AuditAlert[] }>(
        'GET',
        '/apis/tripline.dev/v1alpha1/auditalerts',
      );
      return list.items;
    } catch (err: unknown) {
      // Right after a CRD is installed its storage answers 429 "(re)initializing" for a moment.
      if (!isRetryable(err) || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** One AuditAlert by name. */
export const getAlert = (client: KubeClient, name: string): Promise<AuditAlert> =>
  client.request<AuditAlert>('GET', `/apis/tripline.dev/v1alpha1/auditalerts/${name}`);

/** The README's triage command: `kubectl patch auditalert NAME --subresource=status --type=merge -p …`. */
export async function patchAlertStatus(cp: ControlPlane, name: string, status: object): Promise<string> {
  const patch = JSON.stringify({ status });
  return await kubectlOk(cp, [
    'patch',
    'auditalert',
    name,
    '--subresource=status',
    '--type=merge',
    '-p',
    patch,
  ]);
}

/** Alerts whose subject is the given uid (any detection). */
export async function alertsFor(client: KubeClient, uid: string): Promise<AuditAlert[]> {
  return (await listAlerts(client)).filter((a) => a.spec.subject.uid === uid);
}

/** Waits until the object has at least one alert and returns them all. */
export async function waitForAlerts(
  client: KubeClient,
  uid: string,
  timeoutMs = 30_000,
): Promise<AuditAlert[]> {
  let found: AuditAlert[] = [];
  const poll = async (): Promise<boolean> => {
    found = await alertsFor(client, uid);
    return found.length > 0;
  };
  await waitFor(poll, timeoutMs, `an alert for ${uid}`);
  return found;
}

/** A short random suffix for unique names in a shared control plane. */
export const suffix = (): string => Math.random().toString(36).slice(2, 8);

/** Resolves once the detection reports Ready for its current generation. */
export async function waitDetectionReady(client: KubeClient, name: string): Promise<void> {
  await waitFor(
    async () => {
      const d = await client.request<AuditDetection>(
        'GET',
        `/apis/tripline.dev/v1alpha1/auditdetections/${name}`,
      );
      const ready = d.status?.conditions?.find((x) => x.type === 'Ready');
      return d.status?.observedGeneration === d.metadata?.generation && ready?.status === 'True';
    },
    30_000,
    `${name} Ready`,
  );
}

/** A test AuditDetection raising Created alerts, as JSON for `kubectl apply -f -`. */
export const detectionManifest = (name: string, spec: object): string =>
  JSON.stringify({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name },
    spec: { title: `e2e ${name}`, events: ['Created'], ...spec },
  });
