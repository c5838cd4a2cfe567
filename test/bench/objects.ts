/**
 * What the benchmark creates: each kind with its collection, a minimal valid body and the one
 * detection of `manifests/detections` that must raise exactly one alert for it.
 */
import { WORKLOADS } from '../../hack/samples.js';

/** A kind the benchmark creates. */
export interface BenchKind {
  kind: string;
  /** Collection path to POST to (`ns` is ignored by cluster-scoped kinds). */
  collection(ns: string): string;
  /** Cluster-wide collection path, the one a watcher of every namespace uses. */
  watchPath: string;
  body(name: string): object;
  /** The detection that must raise exactly one alert for a new object of this kind. */
  detection: string;
}

const workload = (kind: string, watchPath: string): BenchKind => {
  const w = WORKLOADS.find((x) => x.kind === kind);
  if (!w) throw new Error(`hack/samples.ts has no workload kind ${kind}`);
  return { kind, collection: w.collection, watchPath, body: w.body, detection: 'workload-created' };
};

const POD = workload('Pod', '/api/v1/pods');

/** Every kind, by name. */
export const KINDS = {
  Pod: POD,
  Deployment: workload('Deployment', '/apis/apps/v1/deployments'),
  ReplicaSet: workload('ReplicaSet', '/apis/apps/v1/replicasets'),
  StatefulSet: workload('StatefulSet', '/apis/apps/v1/statefulsets'),
  DaemonSet: workload('DaemonSet', '/apis/apps/v1/daemonsets'),
  Job: workload('Job', '/apis/batch/v1/jobs'),
  CronJob: workload('CronJob', '/apis/batch/v1/cronjobs'),
  Ingress: {
    kind: 'Ingress',
    collection: (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
    watchPath: '/apis/networking.k8s.io/v1/ingresses',
    body: ingressBody,
    detection: 'ingress-created',
  },
  Namespace: {
    kind: 'Namespace',
    collection: () => '/api/v1/namespaces',
    watchPath: '/api/v1/namespaces',
    body: (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    detection: 'namespace-created',
  },
  ClusterRole: {
    kind: 'ClusterRole',
    collection: () => '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    watchPath: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    body: (name: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    }),
    detection: 'clusterrole-created',
  },
} satisfies Record<string, BenchKind>;

/**
 * The latency scenario's mix, cycled in order: every default detection and every workload kind,
 * Pods and Ingresses more often, as in a busy cluster.
 */
export const LATENCY_MIX: BenchKind[] = [
  KINDS.Pod,
  KINDS.Ingress,
  KINDS.Namespace,
  KINDS.Pod,
  KINDS.Deployment,
  KINDS.ClusterRole,
  KINDS.Pod,
  KINDS.StatefulSet,
  KINDS.Ingress,
  KINDS.Job,
  KINDS.Pod,
  KINDS.DaemonSet,
  KINDS.CronJob,
  KINDS.ReplicaSet,
  KINDS.Namespace,
  KINDS.Deployment,
];

/**
 * The bulk mix of the burst and scale scenarios: mostly Pods, with one Deployment and one Ingress in
 * every hundred objects, and one ClusterRole in every thousand.
 */
export function bulkKind(i: number): BenchKind {
  if (i % 1000 === 500) return KINDS.ClusterRole;
  if (i % 100 === 10) return KINDS.Deployment;
  if (i % 100 === 60) return KINDS.Ingress;
  return POD;
}

/** The distinct cluster-wide watch paths of some kinds. */
export const watchPaths = (kinds: Iterable<BenchKind>): string[] => [
  ...new Set([...kinds].map((k) => k.watchPath)),
];

function ingressBody(name: string): object {
  const host = `${name}.bench.example.com`;
  const backend = { service: { name: 'web', port: { number: 80 } } };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [host], secretName: `${name}-tls` }],
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
    },
  };
}
