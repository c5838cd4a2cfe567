import type { KubeObject } from '../src/api/kube-object.js';
import type { KubeClient } from '../src/kube/client.js';

/** Creates an object through the API and returns what the server stored. */
export async function create(client: KubeClient, collection: string, obj: object): Promise<KubeObject> {
  return await client.request<KubeObject>('POST', collection, { body: obj });
}

const podSpec = (image = 'registry.example.com/web:1.2.3') => ({
  containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }],
});
const template = (app: string) => ({ metadata: { labels: { app } }, spec: podSpec() });
const selector = (app: string) => ({ matchLabels: { app } });

/** A workload kind the default detections cover, with its collection and a minimal valid body. */
export interface WorkloadKind {
  kind: string;
  collection: (ns: string) => string;
  body: (name: string) => object;
}

/** All eight workload kinds of `workload-created`. */
export const WORKLOADS: WorkloadKind[] = [
  {
    kind: 'Pod',
    collection: (ns) => `/api/v1/namespaces/${ns}/pods`,
    body: (name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: podSpec() }),
  },
  {
    kind: 'Deployment',
    collection: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
    body: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { replicas: 2, selector: selector(name), template: template(name) },
    }),
  },
  {
    kind: 'ReplicaSet',
    collection: (ns) => `/apis/apps/v1/namespaces/${ns}/replicasets`,
    body: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name },
      spec: { replicas: 1, selector: selector(name), template: template(name) },
    }),
  },
  {
    kind: 'StatefulSet',
    collection: (ns) => `/apis/apps/v1/namespaces/${ns}/statefulsets`,
    body: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name },
      spec: { serviceName: name, selector: selector(name), template: template(name) },
    }),
  },
  {
    kind: 'DaemonSet',
    collection: (ns) => `/apis/apps/v1/namespaces/${ns}/daemonsets`,
    body: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name },
      spec: { selector: selector(name), template: template(name) },
    }),
  },
  {
    kind: 'Job',
    collection: (ns) => `/apis/batch/v1/namespaces/${ns}/jobs`,
    body: (name) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: { template: { spec: { ...podSpec(), restartPolicy: 'Never' } } },
    }),
  },
  {
    kind: 'CronJob',
    collection: (ns) => `/apis/batch/v1/namespaces/${ns}/cronjobs`,
    body: (name) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name },
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: { spec: { template: { spec: { ...podSpec(), restartPolicy: 'OnFailure' } } } },
      },
    }),
  },
  {
    kind: 'ReplicationController',
    collection: (ns) => `/api/v1/namespaces/${ns}/replicationcontrollers`,
    body: (name) => ({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name },
      spec: { replicas: 1, selector: { app: name }, template: template(name) },
    }),
  },
];

/** Creates a namespace. */
export const createNamespace = (c: KubeClient, name: string, labels: Record<string, string> = {}) =>
  create(c, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

/** Creates an Ingress with TLS and one backend. */
export const createIngress = (c: KubeClient, ns: string, name: string, host = `${name}.example.com`) =>
  create(c, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [host], secretName: `${name}-tls` }],
      rules: [
        {
          host,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  });

/** Creates a ClusterRole that can read secrets. */
export const createClusterRole = (c: KubeClient, name: string) =>
  create(c, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
  });

const ownedBy = (o: KubeObject) => [
  {
    apiVersion: o.apiVersion as string,
    kind: o.kind as string,
    name: o.metadata.name as string,
    uid: o.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  },
];

/**
 * A Deployment with the ReplicaSet and Pods its controller would make (created by hand with
 * controller ownerReferences, since no controllers run on the local control plane).
 */
export async function createDeploymentChain(
  c: KubeClient,
  ns: string,
  name: string,
  pods = 2,
): Promise<KubeObject[]> {
  const dep = await create(
    c,
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    WORKLOADS[1]?.body(name) as object,
  );
  const rs = await create(c, `/apis/apps/v1/namespaces/${ns}/replicasets`, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${name}-5d9f7c`, ownerReferences: ownedBy(dep), labels: { app: name } },
    spec: { replicas: pods, selector: selector(name), template: template(name) },
  });
  const out = [dep, rs];
  for (let i = 0; i < pods; i++) {
    out.push(
      await create(c, `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-5d9f7c-${i}`, ownerReferences: ownedBy(rs), labels: { app: name } },
        spec: podSpec(),
      }),
    );
  }
  return out;
}
