/**
 * Installing Tripline into a local control plane the way the README tells users to, shared by the
 * demo, the e2e tests and the benchmarks.
 */
import path from 'node:path';
import { repoRoot } from './controlplane/binaries.js';
import type { ControlPlane } from './controlplane/index.js';

/** Runs the pinned kubectl and throws with its stderr when it fails. */
export async function kubectlOk(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const r = await cp.kubectl(args, input === undefined ? undefined : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** `kubectl apply --server-side -k crds/`, then waits until both CRDs are Established. */
export async function installCrds(cp: ControlPlane): Promise<void> {
  await kubectlOk(cp, ['apply', '--server-side', '-k', path.join(repoRoot(), 'crds')]);
  await kubectlOk(cp, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/auditalerts.tripline.dev',
    'crd/auditdetections.tripline.dev',
  ]);
}

/** `kubectl apply -k manifests/detections` (the default detections). */
export async function applyDetections(cp: ControlPlane): Promise<void> {
  await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
}
