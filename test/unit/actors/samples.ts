/**
 * Requests as kube-apiserver v1.37.2 sends them to the attribution webhooks (shapes captured from
 * the local control plane, values made up), with builders for variations.
 */
import type { Clock } from '../../../src/runtime/clock.js';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(public ms = Date.parse('2026-11-23T12:00:00Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const TENANT = {
  username: 'tenant-dev',
  groups: ['devs', 'system:authenticated'],
  extra: { 'authentication.kubernetes.io/credential-id': ['X509SHA256=bc44ee'] },
};

interface ReviewOptions {
  operation?: string;
  group?: string;
  resource?: string;
  subResource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  generation?: number;
  user?: unknown;
  dryRun?: boolean;
  object?: unknown;
  oldObject?: unknown;
}

/** An AdmissionReview for an Ingress create by tenant-dev, with overrides. */
export function review(o: ReviewOptions = {}): Record<string, unknown> {
  const meta = {
    name: o.name ?? 'shop',
    namespace: o.namespace ?? 'team-a',
    uid: o.uid ?? '820aa7dc-010a-4517-8822-e28cd17fb117',
    generation: o.generation ?? 1,
    creationTimestamp: '2026-11-23T12:00:00Z',
  };
  const obj = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta, spec: {} };
  const operation = o.operation ?? 'CREATE';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'afea2b4e-54c1-433f-95b9-5782b9db0122',
      kind: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
      resource: { group: o.group ?? 'networking.k8s.io', version: 'v1', resource: o.resource ?? 'ingresses' },
      ...(o.subResource ? { subResource: o.subResource } : {}),
      name: o.name ?? 'shop',
      namespace: o.namespace ?? 'team-a',
      operation,
      userInfo: o.user ?? TENANT,
      object: 'object' in o ? o.object : operation === 'DELETE' ? null : obj,
      oldObject: 'oldObject' in o ? o.oldObject : operation === 'CREATE' ? null : obj,
      dryRun: o.dryRun ?? false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-create' },
    },
  };
}

/** A status patch of an AuditAlert from one state to another, as an AdmissionReview. */
export function statusReview(
  alert: string,
  from: string | undefined,
  to: string | undefined,
  user: unknown,
  actions: { from?: string; to?: string } = {},
) {
  const alertObj = (state: string | undefined, action: string | undefined) => ({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditAlert',
    metadata: { name: alert, uid: 'alert-uid' },
    status: { ...(state ? { state } : {}), ...(action ? { remediation: { action } } : {}) },
  });
  return review({
    operation: 'UPDATE',
    group: 'tripline.dev',
    resource: 'auditalerts',
    subResource: 'status',
    namespace: '',
    name: alert,
    user,
    object: alertObj(to, actions.to),
    oldObject: alertObj(from, actions.from),
  });
}

interface EventOptions {
  verb?: string;
  stage?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string | null;
  user?: unknown;
  impersonatedUser?: unknown;
  code?: number;
  received?: string;
  completed?: string;
  requestURI?: string;
  userAgent?: string;
}

/** An audit.k8s.io/v1 Event (level Metadata) of an Ingress create by tenant-dev, with overrides. */
export function auditEvent(o: EventOptions = {}): Record<string, unknown> {
  const ref: Record<string, unknown> = {
    resource: o.resource ?? 'ingresses',
    namespace: o.namespace ?? 'team-a',
    apiGroup: o.group ?? 'networking.k8s.io',
    apiVersion: 'v1',
  };
  if (o.name !== null) ref.name = o.name ?? 'shop';
  if (o.subresource) ref.subresource = o.subresource;
  return {
    level: 'Metadata',
    auditID: '22606faf-0de0-4015-a72e-a47f1c2cade3',
    stage: o.stage ?? 'ResponseComplete',
    requestURI:
      o.requestURI ?? '/apis/networking.k8s.io/v1/namespaces/team-a/ingresses?fieldManager=kubectl-create',
    verb: o.verb ?? 'create',
    user: o.user ?? TENANT,
    ...(o.impersonatedUser ? { impersonatedUser: o.impersonatedUser } : {}),
    sourceIPs: ['127.0.0.1'],
    userAgent: o.userAgent ?? 'kubectl/v1.37.2 (linux/amd64) kubernetes/7c06c13',
    objectRef: ref,
    responseStatus: { metadata: {}, code: o.code ?? 201 },
    requestReceivedTimestamp: o.received ?? '2026-11-23T12:00:00.545161Z',
    stageTimestamp: o.completed ?? '2026-11-23T12:00:00.564385Z',
    annotations: { 'authorization.k8s.io/decision': 'allow' },
  };
}

/** An EventList of the given events. */
export const eventList = (...items: unknown[]) => ({
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  items,
});
