/**
 * The vocabulary of the fake API server (fake-cluster.ts; docs/adr/0023): the resources it serves,
 * the actions it records, the faults tests inject, and the shapes of its answers and errors.
 */
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { RequestOptions } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/errors.js';

/** A resource the fake API server serves (what discovery would list). */
export interface FakeResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  /** A `status` subresource (default true): writes to the object keep status, status writes keep the rest. */
  status?: boolean;
  /** A `scale` subresource (`spec.replicas`). */
  scale?: boolean;
}

const r = (
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  more = {},
) => ({
  group,
  version,
  resource,
  kind,
  namespaced,
  ...more,
});

/** What the fake serves unless told otherwise: the kinds the operator's tests touch. */
export const DEFAULT_RESOURCES: FakeResource[] = [
  r('', 'v1', 'namespaces', 'Namespace', false),
  r('', 'v1', 'pods', 'Pod', true),
  r('', 'v1', 'secrets', 'Secret', true, { status: false }),
  r('', 'v1', 'configmaps', 'ConfigMap', true, { status: false }),
  r('', 'v1', 'services', 'Service', true),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { status: false }),
  r('apps', 'v1', 'deployments', 'Deployment', true, { scale: true }),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, { scale: true }),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true),
  r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, { status: false }),
  r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, { status: false }),
  r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, { status: false }),
  r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, { status: false }),
  r('events.k8s.io', 'v1', 'events', 'Event', true, { status: false }),
  r('coordination.k8s.io', 'v1', 'leases', 'Lease', true, { status: false }),
  r(
    'admissionregistration.k8s.io',
    'v1',
    'validatingwebhookconfigurations',
    'ValidatingWebhookConfiguration',
    false,
    {
      status: false,
    },
  ),
  r('tripline.dev', 'v1alpha1', 'auditalerts', 'AuditAlert', false),
  r('tripline.dev', 'v1alpha1', 'auditdetections', 'AuditDetection', false),
];

/** The kind of request, as Kubernetes authorization names it. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** One request the fake answered, in order: what tests assert (sample-controller style). */
export interface Action {
  verb: Verb;
  method: string;
  path: string;
  /** `auditalerts.tripline.dev`, `pods`; the path for discovery (`/apis/apps/v1`). */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: Record<string, string>;
  body?: unknown;
  /** The Accept header asked for, when not the default JSON. */
  accept?: string;
  /** The HTTP status answered (0: a network failure was injected). */
  code: number;
}

/** A failure to answer instead of serving: the next `times` requests that match get it. */
export interface Fault extends ActionMatch {
  /** HTTP status; 0 is a connection failure (no answer). */
  status: number;
  reason?: string;
  message?: string;
  retryAfterSeconds?: number;
  /** How many matching requests fail (default 1; Infinity: until {@link FakeCluster.clearFaults}). */
  times?: number;
}

/** Any typed object (generated CRD types included) for the test-side helpers; its apiVersion and kind pick the resource. */
export type AnyObject = { apiVersion?: string; kind?: string; metadata?: object };

/** Options of {@link FakeCluster}. */
export interface FakeClusterOptions {
  resources?: FakeResource[];
  /** Time of creationTimestamp and managedFields (default: the system clock). */
  now?: () => Date;
  /**
   * False: answer full objects even when the Accept header asks for PartialObjectMetadata, as a
   * server (or proxy) that ignores it would; the reader must still keep only metadata.
   */
  honourMetadataAccept?: boolean;
  /** The API server's clock minus the local one, as {@link KubeApi.serverOffsetMs} reports it (default 0). */
  serverOffsetMs?: number;
}

/** Which requests a {@link Fault} or a {@link FakeCluster.before} hook applies to. */
export interface ActionMatch {
  verb?: Verb;
  /** Matched against the resource (`auditalerts.tripline.dev`, `pods`). */
  resource?: string;
  name?: string;
  subresource?: string;
}

export interface Target {
  res: FakeResource;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A stored object. */
export type Obj = KubeObject & Record<string, unknown>;

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** `resource.group`, as kubectl and error messages spell it. */
export const qualified = (res: FakeResource): string =>
  res.group ? `${res.resource}.${res.group}` : res.resource;
export const apiVersion = (res: FakeResource): string =>
  res.group ? `${res.group}/${res.version}` : res.version;
export const keyOf = (res: FakeResource, ns: string | undefined, name: string): string =>
  `${qualified(res)}|${ns ?? ''}|${name}`;

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

export function matches(m: ActionMatch, a: Action): boolean {
  return (
    (!m.verb || m.verb === a.verb) &&
    (!m.resource || m.resource === a.resource) &&
    (!m.name || m.name === a.name) &&
    (m.subresource === undefined || m.subresource === a.subresource)
  );
}

export function verbOf(method: string, t: Partial<Target>, query: Record<string, string>): Verb {
  switch (method) {
    case 'GET':
      if (!t.name) return query.watch ? 'watch' : 'list';
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return t.name ? 'delete' : 'deletecollection';
    default:
      throw new Error(`FakeCluster: method ${method} is not modelled`);
  }
}

/** `verb resource [namespace/]name[/subresource][ -> code]`. */
export function describe(a: Action): string {
  const obj = a.name
    ? ` ${a.namespace ? `${a.namespace}/` : ''}${a.name}${a.subresource ? `/${a.subresource}` : ''}`
    : '';
  const ns = !a.name && a.namespace ? ` ${a.namespace}/` : '';
  const failed = a.code === 0 || a.code >= 300 ? ` -> ${a.code}` : '';
  return `${a.verb} ${a.resource}${obj}${ns}${failed}`;
}

export const keyOfTarget = (t: Target): string => keyOf(t.res, t.namespace, t.name as string);
export const isApply = (opts: RequestOptions): boolean => opts.contentType === 'application/apply-patch+yaml';

export const sortKey = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Everything but metadata and status: what moves `generation`. */
export function contentOf(o: Obj): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

/** The shape of the answer: the object, its scale, or its metadata only. */
export function shape(o: Obj, t: Target, metadataOnly: boolean): unknown {
  if (metadataOnly)
    return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: o.metadata };
  return t.subresource === 'scale' && o.kind !== 'Scale' ? toScale(o) : o;
}

export function toScale(o: Obj): Obj {
  const replicas = (o.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = o.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas },
    status: { replicas: (o.status as { replicas?: number } | undefined)?.replicas ?? replicas },
  };
}

export function discoveryList(served: FakeResource[]): unknown {
  const first = served[0] as FakeResource;
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  const resources = served.flatMap((x) => [
    { name: x.resource, kind: x.kind, namespaced: x.namespaced, verbs },
    ...(x.status !== false
      ? [
          {
            name: `${x.resource}/status`,
            kind: x.kind,
            namespaced: x.namespaced,
            verbs: ['get', 'patch', 'update'],
          },
        ]
      : []),
    ...(x.scale
      ? [
          {
            name: `${x.resource}/scale`,
            kind: 'Scale',
            namespaced: x.namespaced,
            verbs: ['get', 'patch', 'update'],
          },
        ]
      : []),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersion(first), resources };
}

/** The Status of a watch or list whose resourceVersion is older than the history kept. */
export function expiredStatus(asked: number, oldest = asked): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${asked} (${oldest})`,
    reason: 'Expired',
    code: 410,
  };
}

/** The error `KubeClient` throws for a Status answer, with the same message shape. */
export function apiError(
  a: Action,
  status: number,
  message: string,
  reason = REASONS[status] ?? '',
  retryAfterSeconds?: number,
): ApiError {
  return new ApiError(`${a.method} ${a.path}: ${status} ${reason} ${message}`.trim(), {
    status,
    reason,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

export function conflict(a: Action, t: Target, why: string): ApiError {
  return apiError(
    a,
    409,
    `Operation cannot be fulfilled on ${qualified(t.res)} "${t.name}": ${why}`,
    'Conflict',
  );
}
