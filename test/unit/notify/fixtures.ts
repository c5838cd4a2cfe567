import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';

/** Fields of the alert fixture a test may change. */
export interface AlertFixtureOptions {
  name?: string;
  severity?: AuditAlert['spec']['severity'];
  namespace?: string | undefined;
  kind?: string;
  subjectName?: string;
  state?: 'Open' | 'Acknowledged' | 'Resolved';
  detectedAt?: string;
  uid?: string;
}

/** An AuditAlert as the raiser writes it (an Ingress by default), with evidence the sinks must not copy. */
export function alertFixture(o: AlertFixtureOptions): AuditAlert {
  const namespace = 'namespace' in o ? o.namespace : 'shop';
  return {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditAlert',
    metadata: { name: o.name ?? 'ingress-created-0123456789', ...(o.uid ? { uid: o.uid } : {}) },
    spec: {
      detection: { name: 'ingress-created', generation: 1 },
      severity: o.severity ?? 'Medium',
      category: 'Exposure',
      event: 'Created',
      summary: `New Ingress ${o.subjectName ?? 'storefront'} exposes shop.example.com without TLS`,
      subject: {
        apiVersion: o.kind === 'ClusterRole' ? 'rbac.authorization.k8s.io/v1' : 'networking.k8s.io/v1',
        kind: o.kind ?? 'Ingress',
        ...(namespace ? { namespace } : {}),
        name: o.subjectName ?? 'storefront',
        uid: 'b1e4c2d0-0000-4000-8000-000000000001',
      },
      actor: {
        fieldManager: 'kubectl-client-side-apply',
        username: 'alice',
        groups: ['dev'],
        source: ['managedFields'],
      },
      evidence: { hosts: ['shop.example.com'], annotations: { big: 'x'.repeat(1000) } },
      risks: [
        { id: 'ingress-no-tls', severity: 'Medium', message: 'No TLS' },
        { id: 'ingress-wildcard-host', severity: 'Low', message: 'Wildcard host' },
      ],
      investigation: [{ title: 'Look', command: 'kubectl -n shop get ingress storefront -o yaml' }],
      detectedAt: o.detectedAt ?? '2026-11-23T12:00:00Z',
    },
    ...(o.state
      ? { status: { state: o.state, ...(o.state === 'Resolved' ? { reason: 'Expected' as const } : {}) } }
      : {}),
  };
}
