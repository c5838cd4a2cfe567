import assert from 'node:assert/strict';
import { withEventContext } from '../../../src/alerts/event-context.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { Referrer } from '../../../src/detections/references.js';

const alert: AuditAlert = {
  apiVersion: 'tripline.dev/v1alpha1',
  kind: 'AuditAlert',
  metadata: { name: 'a' },
  spec: {
    detection: { name: 'd', generation: 1 },
    severity: 'Medium',
    category: 'Exposure',
    event: 'Updated',
    summary: 'Changed Secret web/shop-tls',
    subject: { apiVersion: 'v1', kind: 'Secret', name: 'shop-tls', namespace: 'web' },
    evidence: { metadata: {} },
    detectedAt: '2026-11-23T10:00:00Z',
  },
};
const ref = (name: string, hosts?: string[]): Referrer => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  namespace: 'web',
  name,
  field: 'spec.tls[0].secretName',
  summary: `Ingress web/${name} routes ...`,
  ...(hosts ? { context: { hosts } } : {}),
});

describe('withEventContext', () => {
  it('adds the referring objects to evidence and names them in the summary', () => {
    const out = withEventContext(alert, {
      referrers: { items: [ref('shop', ['shop.example.com']), ref('api')], total: 2 },
    });
    assert.equal(
      out.spec.summary,
      'Changed Secret web/shop-tls; referenced by Ingress shop (shop.example.com), Ingress api',
    );
    assert.equal((out.spec.evidence?.referencedBy as Referrer[] | undefined)?.length, 2);
    assert.equal(out.spec.evidence?.referencedByTotal, undefined);
    assert.deepEqual(out.spec.evidence?.metadata, {});
  });

  it('counts referring objects beyond those listed', () => {
    const items = ['a', 'b', 'c', 'd'].map((n) => ref(n));
    const out = withEventContext(alert, { referrers: { items, total: 25 } });
    assert.equal(out.spec.evidence?.referencedByTotal, 25);
    assert.match(out.spec.summary, /Ingress a, Ingress b, Ingress c \+22 more$/);
  });

  it('records who made an update', () => {
    const out = withEventContext(alert, {
      writer: { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-11-23T10:00:00Z' },
    });
    assert.deepEqual(out.spec.evidence?.changedBy, {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      time: '2026-11-23T10:00:00Z',
      source: 'managedFields (newest write)',
    });
    assert.equal(out.spec.summary, alert.spec.summary);
  });

  it('leaves the alert alone when there is nothing to add', () => {
    assert.equal(withEventContext(alert, {}), alert);
    assert.equal(withEventContext(alert, { referrers: { items: [], total: 0 } }), alert);
  });
});
