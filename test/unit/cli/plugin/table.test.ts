import assert from 'node:assert/strict';
import type { AuditAlert } from '../../../../src/api/generated/audit-alert.js';
import { alertTable, fieldSelector, humanDuration } from '../../../../src/cli/plugin/table.js';

describe('kubectl-tripline list', () => {
  const selectors: { filters: Parameters<typeof fieldSelector>[0]; want: string | undefined }[] = [
    { filters: {}, want: undefined },
    { filters: { state: 'Open' }, want: 'status.state=Open' },
    {
      filters: { state: 'Resolved', severity: 'High', detection: 'ingress-created', namespace: 'shop' },
      want: 'status.state=Resolved,spec.severity=High,spec.detection.name=ingress-created,spec.subject.namespace=shop',
    },
    { filters: { detection: 'a,b=c\\d' }, want: 'spec.detection.name=a\\,b\\=c\\\\d' },
  ];
  for (const c of selectors) {
    it(`selects ${JSON.stringify(c.filters)} as ${c.want}`, () => {
      assert.equal(fieldSelector(c.filters), c.want);
    });
  }

  const ages: [number, string][] = [
    [-5_000, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [303_000, '5m3s'],
    [12 * 60_000, '12m'],
    [179 * 60_000, '179m'],
    [3 * 3_600_000 + 4 * 60_000, '3h4m'],
    [20 * 3_600_000, '20h'],
    [3 * 86_400_000 + 5 * 3_600_000, '3d5h'],
    [40 * 86_400_000, '40d'],
    [(3 * 365 + 2) * 86_400_000, '3y2d'],
    [9 * 365 * 86_400_000, '9y'],
  ];
  for (const [ms, want] of ages) {
    it(`prints an age of ${ms} ms as ${want}, like kubectl`, () => {
      assert.equal(humanDuration(ms), want);
    });
  }

  it('prints the columns of kubectl get auditalerts, aligned', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    const alert = (name: string, namespace: string | undefined, state?: 'Resolved'): AuditAlert => ({
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditAlert',
      metadata: { name, creationTimestamp: new Date('2025-01-01T00:00:00Z') },
      spec: {
        detection: { name: 'ingress-created' },
        severity: 'Medium',
        category: 'Exposure',
        event: 'Created',
        summary: 's',
        subject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name: 'shop' },
        detectedAt: '2025-01-01T00:00:00Z',
      },
      ...(state ? { status: { state, reason: 'Expected' } } : {}),
    });
    assert.equal(
      alertTable(
        [alert('ingress-created-1', 'demo'), alert('ingress-created-22', undefined, 'Resolved')],
        now,
      ),
      [
        'NAME                 STATE      SEVERITY   DETECTION         KIND      NAMESPACE   SUBJECT   AGE',
        'ingress-created-1    Open       Medium     ingress-created   Ingress   demo        shop      10m',
        'ingress-created-22   Resolved   Medium     ingress-created   Ingress               shop      10m',
      ].join('\n'),
    );
  });
  it('leads with a CLUSTER column when an alert carries the cluster label (--cluster-name)', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    const alert = (name: string, cluster?: string): AuditAlert => ({
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditAlert',
      metadata: {
        name,
        creationTimestamp: new Date('2025-01-01T00:00:00Z'),
        ...(cluster ? { labels: { 'tripline.dev/cluster': cluster } } : {}),
      },
      spec: {
        detection: { name: 'pod-exec' },
        severity: 'High',
        category: 'Workload',
        event: 'Created',
        summary: 's',
        subject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web' },
        detectedAt: '2025-01-01T00:00:00Z',
      },
    });
    assert.equal(
      alertTable([alert('pod-exec-1', 'prod-eu'), alert('pod-exec-2')], now),
      [
        'CLUSTER   NAME         STATE   SEVERITY   DETECTION   KIND   NAMESPACE   SUBJECT   AGE',
        'prod-eu   pod-exec-1   Open    High       pod-exec    Pod    shop        web       10m',
        '          pod-exec-2   Open    High       pod-exec    Pod    shop        web       10m',
      ].join('\n'),
    );
    assert.ok(!alertTable([alert('pod-exec-2')], now).includes('CLUSTER'), 'no column without the label');
  });
});
