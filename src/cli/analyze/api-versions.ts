/**
 * API versions Kubernetes no longer serves. A manifest using one fails to apply on a current
 * cluster; `tripline analyze` reports it (and still analyses the object when its kind has rules,
 * since the shapes are close enough).
 */

/** A version removed for some kinds only, or replaced by something other than its group's v1. */
interface Removed {
  apiVersion: string;
  /** The kinds it applies to; every kind of the version when absent. */
  kinds?: readonly string[];
  /** What to use instead; the group's v1 when absent. */
  use?: string;
}

/**
 * From the Kubernetes deprecated API migration guide, by the release that removed them. A version
 * alone was removed for every kind, replaced by its group's v1.
 */
const REMOVED: Readonly<Record<string, ReadonlyArray<string | Removed>>> = {
  '1.16': [
    'apps/v1beta1',
    'apps/v1beta2',
    { apiVersion: 'extensions/v1beta1', kinds: ['Deployment', 'DaemonSet', 'ReplicaSet'], use: 'apps/v1' },
    { apiVersion: 'extensions/v1beta1', kinds: ['NetworkPolicy'], use: 'networking.k8s.io/v1' },
    {
      apiVersion: 'extensions/v1beta1',
      kinds: ['PodSecurityPolicy'],
      use: 'Pod Security Admission labels on Namespaces (PodSecurityPolicy itself was removed in 1.25)',
    },
  ],
  '1.21': [{ apiVersion: 'batch/v2alpha1', kinds: ['CronJob'] }],
  '1.22': [
    'rbac.authorization.k8s.io/v1beta1',
    'rbac.authorization.k8s.io/v1alpha1',
    'admissionregistration.k8s.io/v1beta1',
    'apiextensions.k8s.io/v1beta1',
    'apiregistration.k8s.io/v1beta1',
    'certificates.k8s.io/v1beta1',
    'coordination.k8s.io/v1beta1',
    'scheduling.k8s.io/v1beta1',
    { apiVersion: 'extensions/v1beta1', kinds: ['Ingress'], use: 'networking.k8s.io/v1' },
    { apiVersion: 'networking.k8s.io/v1beta1', kinds: ['Ingress', 'IngressClass'] },
    {
      apiVersion: 'storage.k8s.io/v1beta1',
      kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
    },
  ],
  '1.25': [
    'discovery.k8s.io/v1beta1',
    'events.k8s.io/v1beta1',
    'node.k8s.io/v1beta1',
    { apiVersion: 'autoscaling/v2beta1', use: 'autoscaling/v2' },
    { apiVersion: 'batch/v1beta1', kinds: ['CronJob'] },
    { apiVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget'] },
    {
      apiVersion: 'policy/v1beta1',
      kinds: ['PodSecurityPolicy'],
      use: 'Pod Security Admission labels on Namespaces',
    },
  ],
  '1.26': [
    'flowcontrol.apiserver.k8s.io/v1beta1',
    { apiVersion: 'autoscaling/v2beta2', use: 'autoscaling/v2' },
  ],
  '1.27': [{ apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIStorageCapacity'] }],
  '1.29': ['flowcontrol.apiserver.k8s.io/v1beta2'],
  '1.32': ['flowcontrol.apiserver.k8s.io/v1beta3'],
};

/**
 * Why `apiVersion` `kind` cannot be applied to a current cluster, or `undefined` when it is still
 * served (or unknown to this table, like every custom resource).
 */
export function removedApi(apiVersion: string, kind: string): string | undefined {
  for (const [release, removed] of Object.entries(REMOVED)) {
    for (const entry of removed) {
      const r: Removed = typeof entry === 'string' ? { apiVersion: entry } : entry;
      if (r.apiVersion !== apiVersion || (r.kinds !== undefined && !r.kinds.includes(kind))) continue;
      const use = r.use ?? `${apiVersion.slice(0, apiVersion.lastIndexOf('/'))}/v1`;
      return `${apiVersion} ${kind} was removed in Kubernetes ${release}; use ${use}`;
    }
  }
  return undefined;
}
