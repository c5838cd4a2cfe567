import { KubeConfig } from '@kubernetes/client-node';

/**
 * Loads cluster access: the given kubeconfig file, or client-node's defaults (in-cluster service
 * account when running in a Pod, else $KUBECONFIG, else ~/.kube/config).
 */
export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
  } catch (err: unknown) {
    throw new Error(`loading kubeconfig ${path || '(default)'}`, { cause: err });
  }
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig ${path || '(default)'} has no current cluster`);
  return kc;
}
