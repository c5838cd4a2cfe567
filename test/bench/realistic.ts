/**
 * Realistic objects for the cost scenario: what an AuditAlert must be compared with is the object it
 * is about as it really arrives at the API server, not the bench's minimal bodies. A Deployment as
 * `kubectl apply` creates it (its last-applied annotation, a container with ports, env, resources,
 * probes and a security context, a volume) and a Pod as a ReplicaSet controller makes from it (owner
 * reference, pod-template-hash). Each is created with the field manager its real creator uses, so
 * the API server stores the same managedFields.
 */

/** The field manager of `kubectl apply` (client-side) and of the ReplicaSet controller. */
export const KUBECTL_APPLY = 'kubectl-client-side-apply';
export const CONTROLLER_MANAGER = 'kube-controller-manager';

const LABELS = { 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/part-of': 'shop', tier: 'web' };

function podSpec(): object {
  return {
    serviceAccountName: 'default',
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'checkout',
        image: 'registry.example.com/shop/checkout:1.42.3',
        imagePullPolicy: 'IfNotPresent',
        args: ['--listen=:8080', '--log-format=json'],
        ports: [
          { name: 'http', containerPort: 8080, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
        ],
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'PAYMENTS_URL', value: 'http://payments.shop.svc:8080' },
          {
            name: 'DB_PASSWORD',
            valueFrom: { secretKeyRef: { name: 'checkout-db', key: 'password' } },
          },
        ],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [{ name: 'config', mountPath: '/etc/checkout', readOnly: true }],
      },
    ],
    volumes: [{ name: 'config', configMap: { name: 'checkout-config' } }],
  };
}

/** A Deployment as `kubectl apply -f` creates it (POST it with `fieldManager=kubectl-client-side-apply`). */
export function appliedDeployment(name: string, namespace: string): object {
  const manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: LABELS },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'checkout' } },
      template: { metadata: { labels: LABELS }, spec: podSpec() },
    },
  };
  const annotations = { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(manifest)}\n` };
  return { ...manifest, metadata: { ...manifest.metadata, annotations } };
}

/** A Pod as the ReplicaSet controller makes it for that Deployment (POST it with `fieldManager=kube-controller-manager`). */
export function controlledPod(name: string, namespace: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      generateName: 'checkout-7c9f8d6b5d-',
      labels: { ...LABELS, 'pod-template-hash': '7c9f8d6b5d' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'checkout-7c9f8d6b5d',
          uid: '3f9a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: podSpec(),
  };
}
