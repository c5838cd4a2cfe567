/**
 * Objects for the risk tables: one clean object per kind (no risk at all) and small edits that add
 * exactly one problem, so each case can assert the exact set of risk ids.
 */

type Obj = Record<string, unknown>;

const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/** A container that passes every Baseline and Restricted control. */
export const cleanContainer = (name = 'app', extra: Obj = {}, sc: Obj = {}): Obj => ({
  name,
  image: `registry.example.com/shop/app:1.2.3@${DIGEST}`,
  ports: [{ containerPort: 8080 }],
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    ...sc,
  },
  ...extra,
});

/** A pod spec that passes every Baseline and Restricted control. */
export const cleanPodSpec = (extra: Obj = {}, podSc: Obj = {}): Obj => ({
  serviceAccountName: 'app',
  automountServiceAccountToken: false,
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 10001,
    seccompProfile: { type: 'RuntimeDefault' },
    ...podSc,
  },
  containers: [cleanContainer()],
  volumes: [{ name: 'cache', emptyDir: {} }],
  ...extra,
});

/** A Pod in namespace `shop` with `spec`. */
export const pod = (spec: Obj, meta: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app', namespace: 'shop', ...meta },
  spec,
});

/** A controller of `kind` whose template has `spec` (and template `annotations`). */
export function workload(kind: string, spec: Obj, annotations?: Record<string, string>): Obj {
  const template = { metadata: { labels: { app: 'app' }, ...(annotations ? { annotations } : {}) }, spec };
  const group = ['Job', 'CronJob'].includes(kind) ? 'batch/v1' : 'apps/v1';
  const body =
    kind === 'CronJob'
      ? { schedule: '0 * * * *', jobTemplate: { spec: { template } } }
      : { selector: { matchLabels: { app: 'app' } }, template };
  return { apiVersion: group, kind, metadata: { name: 'app', namespace: 'shop' }, spec: body };
}

/** A Pod whose one container has `sc` added to its clean securityContext. */
export const podWithContainerSc = (sc: Obj): Obj =>
  pod(cleanPodSpec({ containers: [cleanContainer('app', {}, sc)] }));

/** A Pod with one extra volume. */
export const podWithVolume = (volume: Obj, mounted = true): Obj =>
  pod(
    cleanPodSpec({
      volumes: [volume],
      containers: [
        cleanContainer('app', mounted ? { volumeMounts: [{ name: volume.name, mountPath: '/host' }] } : {}),
      ],
    }),
  );

/** A Pod whose one container runs `image`. */
export const podWithImage = (image: string): Obj =>
  pod(cleanPodSpec({ containers: [cleanContainer('app', { image })] }));

/** A ClusterRole (or Role) with `rules`. */
export const role = (rules: unknown[], extra: Obj = {}, kind = 'ClusterRole'): Obj => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name: 'r', ...(kind === 'Role' ? { namespace: 'shop' } : {}) },
  rules,
  ...extra,
});

/** An Ingress with class nginx, TLS for its host and one path, plus `spec` and `annotations` overrides. */
export function ingress(spec: Obj = {}, annotations: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'shop', annotations },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        },
      ],
      ...spec,
    },
  };
}

/** An Ingress rule for `host` with `paths`. */
export const ingressRule = (host: string | undefined, paths: string[] = ['/']): Obj => ({
  ...(host === undefined ? {} : { host }),
  http: {
    paths: paths.map((path) => ({
      path,
      pathType: 'Prefix',
      backend: { service: { name: 'web', port: { number: 80 } } },
    })),
  },
});

/** A Namespace with `labels`. */
export const namespace = (labels: Record<string, string>): Obj => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'team-a', labels },
});

/** The restricted Pod Security labels. */
export const RESTRICTED = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
};
