/**
 * The identities, binding names and writers Kubernetes itself uses, so that binding rules can tell
 * a real system identity from one named to look like it. Lists as data; matching is exact or by
 * prefix pattern, never by resemblance alone (a lookalike is something that resembles these and is
 * not one of them).
 */
import { editDistance } from './images.js';

/** Namespaces of the control plane; service accounts named like controllers belong there. */
export const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set([
  'kube-system',
  'kube-public',
  'kube-node-lease',
]);

/** Users every cluster authenticates on its own (components, nodes, service accounts). */
const SYSTEM_USERS = new Set([
  'system:anonymous',
  'system:apiserver',
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:kube-proxy',
  'system:konnectivity-server',
  'system:volume-scheduler',
]);
/** `system:node:NODE` and `system:serviceaccount:NS:NAME` are real when they have that shape. */
const SYSTEM_USER_PATTERNS = [/^system:node:[a-z0-9.-]+$/, /^system:serviceaccount:[a-z0-9-]+:[a-z0-9.-]+$/];

/** Groups the authenticators assign. */
const SYSTEM_GROUPS = new Set([
  'system:masters',
  'system:nodes',
  'system:serviceaccounts',
  'system:authenticated',
  'system:unauthenticated',
  'system:bootstrappers',
  'system:monitoring',
]);
const SYSTEM_GROUP_PATTERNS = [/^system:serviceaccounts:[a-z0-9-]+$/, /^system:bootstrappers:[a-z0-9:.-]+$/];

/**
 * Service accounts of kube-system that the control plane runs as (kube-controller-manager's
 * controllers and the add-ons every cluster has).
 */
const SYSTEM_SERVICE_ACCOUNTS = [
  'attachdetach-controller',
  'bootstrap-signer',
  'certificate-controller',
  'clusterrole-aggregation-controller',
  'coredns',
  'cronjob-controller',
  'daemon-set-controller',
  'deployment-controller',
  'disruption-controller',
  'endpoint-controller',
  'endpointslice-controller',
  'ephemeral-volume-controller',
  'expand-controller',
  'generic-garbage-collector',
  'horizontal-pod-autoscaler',
  'job-controller',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-dns',
  'kube-proxy',
  'kube-scheduler',
  'kubelet',
  'namespace-controller',
  'node-controller',
  'persistent-volume-binder',
  'pod-garbage-collector',
  'pv-protection-controller',
  'pvc-protection-controller',
  'replicaset-controller',
  'replication-controller',
  'resourcequota-controller',
  'root-ca-cert-publisher',
  'service-account-controller',
  'service-controller',
  'statefulset-controller',
  'token-cleaner',
  'ttl-after-finished-controller',
  'ttl-controller',
];

/** Prefixes of the bindings the API server and kubeadm create. */
const SYSTEM_BINDING_PREFIXES = ['system:', 'kubeadm:'];
/** Names of built-in bindings without such a prefix. */
const SYSTEM_BINDING_NAMES = ['cluster-admin'];

/**
 * Field managers of the components that create system bindings: the API server (its bootstrap
 * policy) and kubeadm. A field manager is chosen by the client, so this is a hint that keeps the
 * rule quiet on real bootstraps, not proof; the actor enricher's audited user is the proof.
 */
const SYSTEM_WRITERS = new Set(['kube-apiserver', 'kubeadm', 'kube-controller-manager']);

/** Whether a User subject named `system:…` is not one of the users Kubernetes authenticates. */
export function isFakeSystemUser(name: string): boolean {
  if (!name.startsWith('system:')) return false;
  return !SYSTEM_USERS.has(name) && !SYSTEM_USER_PATTERNS.some((p) => p.test(name));
}

/** Whether a Group subject named `system:…` is not one of the groups Kubernetes assigns. */
export function isFakeSystemGroup(name: string): boolean {
  if (!name.startsWith('system:')) return false;
  return !SYSTEM_GROUPS.has(name) && !SYSTEM_GROUP_PATTERNS.some((p) => p.test(name));
}

/**
 * The system service account a service account imitates: its name is one of kube-system's (or a
 * typo of one) while it lives elsewhere, or it is a typo of one inside kube-system. Undefined
 * for a real one and for unrelated names (`kube-state-metrics` in `monitoring` is not a lookalike).
 */
export function imitatedServiceAccount(namespace: string | undefined, name: string): string | undefined {
  if (SYSTEM_SERVICE_ACCOUNTS.includes(name))
    return namespace !== undefined && SYSTEM_NAMESPACES.has(namespace) ? undefined : name;
  // One typo only: two would catch ordinary names (`tls-controller` is two from `ttl-controller`).
  return SYSTEM_SERVICE_ACCOUNTS.find((known) => editDistance(name, known, 1) === 1);
}

/** The system binding a binding's name imitates (its prefix or built-in name), or undefined. */
export function imitatedBindingName(name: string): string | undefined {
  const prefix = SYSTEM_BINDING_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `the ${prefix} prefix`;
  for (const known of SYSTEM_BINDING_NAMES)
    if (editDistance(name, known, 1) <= 1) return `a name like ${known}`;
  return undefined;
}

/** Whether the writer (a field manager) is a component that creates system bindings. */
export const isSystemWriter = (writer: string | undefined): boolean =>
  writer !== undefined && SYSTEM_WRITERS.has(writer);
