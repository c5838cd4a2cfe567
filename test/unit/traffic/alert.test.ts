import assert from 'node:assert/strict';
import {
  buildTrafficAlert,
  episodeSelector,
  formatDuration,
  TRAFFIC_LABELS,
  targetHash,
  trafficAlertName,
} from '../../../src/traffic/alert.js';
import { TrafficEngine, type TrafficEvent } from '../../../src/traffic/engine.js';
import { mergeTrafficStatus, type StatusUpdate, type TrafficStatus } from '../../../src/traffic/status.js';
import { TopK } from '../../../src/traffic/top-k.js';
import { crdValidator, errorsOf } from '../support/crd-schema.js';
import { ALL_OFF, rec, settingsOf } from './fixtures.js';

const T0 = 1_800_000_000_000;

/** A fired disallowed-source event for shop/web from the engine itself. */
function firedEvent(): TrafficEvent & { finding: NonNullable<TrafficEvent['finding']> } {
  const engine = new TrafficEngine({ maxIngresses: 10, maxSources: 8 });
  engine.configure([
    settingsOf(
      {
        ...ALL_OFF,
        window: '60s',
        disallowedSource: {
          allowedCIDRs: ['10.0.0.0/8'],
          severity: 'High',
          resolution: [
            {
              title: 'Deny {{traffic.topSources}}',
              command:
                'kubectl annotate ingresses.networking.k8s.io -n {{namespace}} {{name}} nginx.ingress.kubernetes.io/denylist-source-range={{traffic.sourceRanges}} --overwrite',
            },
          ],
        },
      },
      {
        investigation: [
          { title: 'Read {{alert}}', command: 'kubectl get auditalert {{alert}} -o yaml' },
          {
            title: 'Grep',
            command:
              'kubectl logs -n ingress-nginx deploy/ingress-nginx-controller | grep -E {{traffic.sourcesPattern}}',
          },
        ],
      },
    ),
  ]);
  for (let i = 0; i < 4; i++) engine.ingest(rec({ timeMs: T0, remoteAddr: '10.0.0.1' }), T0);
  for (let i = 0; i < 3; i++) engine.ingest(rec({ timeMs: T0, remoteAddr: '203.0.113.7', status: 404 }), T0);
  engine.ingest(rec({ timeMs: T0, remoteAddr: '2001:db8::9' }), T0);
  const [e] = engine.tick(T0 + 1000);
  assert.ok(e?.type === 'fired' && e.finding);
  return e as TrafficEvent & { finding: NonNullable<TrafficEvent['finding']> };
}

const SUBJECT = {
  subject: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    namespace: 'shop',
    name: 'web',
    uid: 'u-1',
  },
  notes: [],
};

describe('traffic/alert', () => {
  it('names an episode deterministically; other episodes, rules, Ingresses differ', () => {
    const a = trafficAlertName('ingress-traffic-anomaly', 'ingress/shop/web', 'disallowed-source', 1);
    assert.equal(a, trafficAlertName('ingress-traffic-anomaly', 'ingress/shop/web', 'disallowed-source', 1));
    assert.match(a, /^ingress-traffic-anomaly-[0-9a-f]{10}$/);
    const others = [
      trafficAlertName('ingress-traffic-anomaly', 'ingress/shop/web', 'disallowed-source', 2),
      trafficAlertName('ingress-traffic-anomaly', 'ingress/shop/web', 'request-rate', 1),
      trafficAlertName('ingress-traffic-anomaly', 'ingress/shop/api', 'disallowed-source', 1),
      trafficAlertName('other', 'ingress/shop/web', 'disallowed-source', 1),
    ];
    assert.equal(new Set([a, ...others]).size, 5);
  });

  it('selects episodes by detection, rule and a hash of the Ingress key', () => {
    assert.equal(
      episodeSelector('d', 'ingress/shop/web', 'request-rate'),
      `tripline.dev/detection=d,tripline.dev/traffic-rule=request-rate,tripline.dev/traffic-target=${targetHash('ingress/shop/web')}`,
    );
  });

  describe('buildTrafficAlert', () => {
    const e = firedEvent();
    const alert = buildTrafficAlert({
      event: e,
      finding: e.finding,
      episode: 3,
      subject: SUBJECT,
      detectedAt: new Date(T0),
    });
    const spec = alert.spec;

    it('is valid against the AuditAlert CRD schema', () => {
      const validate = crdValidator('tripline.dev_auditalerts.yaml');
      assert.ok(validate(alert), errorsOf(validate));
    });

    it('carries the episode in its name, labels and changeKey', () => {
      assert.equal(
        alert.metadata?.name,
        trafficAlertName('ingress-traffic-anomaly', 'ingress/shop/web', 'disallowed-source', 3),
      );
      assert.deepEqual(alert.metadata?.labels, {
        'app.kubernetes.io/managed-by': 'tripline',
        'tripline.dev/detection': 'ingress-traffic-anomaly',
        'tripline.dev/severity': 'High',
        'tripline.dev/subject-kind': 'Ingress',
        'tripline.dev/subject-namespace': 'shop',
        'tripline.dev/subject-name': 'web',
        [TRAFFIC_LABELS.rule]: 'disallowed-source',
        [TRAFFIC_LABELS.target]: targetHash('ingress/shop/web'),
        [TRAFFIC_LABELS.episode]: '3',
      });
      assert.equal(spec.changeKey, 'disallowed-source/3');
    });

    it('says what happened, with the rule severity and the sources as actor', () => {
      assert.equal(spec.event, 'TrafficAnomaly');
      assert.equal(spec.category, 'Traffic');
      assert.equal(spec.severity, 'High');
      assert.equal(
        spec.summary,
        'Requests from outside the allowed source ranges reached Ingress shop/web: 4 within 60s',
      );
      assert.deepEqual(spec.actor, { sourceIPs: ['203.0.113.7', '2001:db8::9'], source: ['accessLog'] });
      assert.deepEqual(spec.subject, SUBJECT.subject);
      assert.equal(spec.risks?.[0]?.id, 'traffic-disallowed-source');
    });

    it('keeps the raising window as evidence', () => {
      const t = (spec.evidence as { traffic: Record<string, unknown> }).traffic;
      assert.equal(t.rule, 'disallowed-source');
      assert.deepEqual(t.ingress, {
        namespace: 'shop',
        name: 'web',
        host: 'shop.example.com',
        service: 'web-svc',
      });
      assert.deepEqual(t.threshold, { allowedCIDRs: ['10.0.0.0/8'], minRequests: 1, hold: '0s' });
      assert.deepEqual(t.observed, { matched: 4 });
      assert.deepEqual(t.disallowedSources, [
        { address: '203.0.113.7', requests: 3, allowed: false },
        { address: '2001:db8::9', requests: 1, allowed: false },
      ]);
      assert.deepEqual(t.statusCodes, [
        { code: 200, count: 5 },
        { code: 404, count: 3 },
      ]);
      const w = t.window as Record<string, unknown>;
      assert.equal(w.requests, 8);
      assert.equal(w.disallowed, 4);
      assert.equal(w.length, '60s');
      assert.deepEqual(w.statusClasses, { '1xx': 0, '2xx': 5, '3xx': 0, '4xx': 3, '5xx': 0 });
    });

    it('renders the detection steps then the rule steps with the real names, shell-quoted', () => {
      assert.deepEqual(
        spec.investigation?.map((s) => s.command),
        [
          `kubectl get auditalert ${alert.metadata?.name} -o yaml`,
          "kubectl logs -n ingress-nginx deploy/ingress-nginx-controller | grep -E '203\\.0\\.113\\.7|2001:db8::9'",
        ],
      );
      assert.deepEqual(spec.resolution, [
        {
          title: 'Deny 203.0.113.7,2001:db8::9',
          command:
            'kubectl annotate ingresses.networking.k8s.io -n shop web nginx.ingress.kubernetes.io/denylist-source-range=203.0.113.7/32,2001:db8::9/128 --overwrite',
        },
      ]);
    });

    it('notes a subject that was not found, and has no uid then', () => {
      const missing = {
        subject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'shop', name: 'web' },
        notes: ['Ingress shop/web was not found'],
      };
      const a = buildTrafficAlert({
        event: e,
        finding: e.finding,
        episode: 1,
        subject: missing,
        detectedAt: new Date(T0),
      });
      assert.deepEqual(a.spec.notes, ['Ingress shop/web was not found']);
      assert.equal(a.spec.subject.uid, undefined);
    });
  });

  describe('mergeTrafficStatus', () => {
    const w = firedEvent().window;
    const update = (over: Partial<StatusUpdate>): StatusUpdate => {
      const sources = new TopK(8);
      sources.add('203.0.113.7', 2);
      return {
        fired: 0,
        active: true,
        delta: { requests: 10, matched: 2, codes: new Map([[404, 2]]), sources, lastSeenMs: T0 + 5000 },
        window: w,
        topSources: 10,
        verdict: (a) => (a.startsWith('10.') ? 'allowed' : 'disallowed'),
        ...over,
      };
    };

    it('starts the aggregates', () => {
      const s = mergeTrafficStatus(undefined, 'disallowed-source', update({ fired: 1 }), T0 + 6000);
      assert.deepEqual(s, {
        rule: 'disallowed-source',
        active: true,
        firings: 1,
        firstSeen: '2027-01-15T08:00:05Z',
        lastSeen: '2027-01-15T08:00:05Z',
        updatedAt: '2027-01-15T08:00:06Z',
        requests: 10,
        matched: 2,
        statusCodes: [{ code: 404, count: 2 }],
        topSources: [{ address: '203.0.113.7', requests: 2, allowed: false }],
        window: { start: '2027-01-15T07:59:05Z', end: '2027-01-15T08:00:01Z', requests: 8, matched: 0 },
      });
    });

    it('adds to what is stored (so replicas converge on the sum) and marks a clear', () => {
      const prev: TrafficStatus = {
        rule: 'disallowed-source',
        active: true,
        firings: 1,
        firstSeen: '2027-01-15T07:00:00Z',
        lastSeen: '2027-01-15T07:30:00Z',
        requests: 100,
        matched: 7,
        statusCodes: [
          { code: 200, count: 93 },
          { code: 404, count: 7 },
        ],
        topSources: [{ address: '198.51.100.1', requests: 5, allowed: false }],
      };
      const s = mergeTrafficStatus(
        prev,
        'disallowed-source',
        update({ active: false, clearedAtMs: T0 + 7000 }),
        T0 + 8000,
      );
      assert.equal(s.requests, 110);
      assert.equal(s.matched, 9);
      assert.equal(s.firings, 1);
      assert.equal(s.firstSeen, '2027-01-15T07:00:00Z');
      assert.equal(s.active, false);
      assert.equal(s.clearedAt, '2027-01-15T08:00:07Z');
      assert.deepEqual(s.statusCodes, [
        { code: 200, count: 93 },
        { code: 404, count: 9 },
      ]);
      assert.deepEqual(s.topSources, [
        { address: '198.51.100.1', requests: 5, allowed: false },
        { address: '203.0.113.7', requests: 2, allowed: false },
      ]);
    });

    it('keeps at most topSources sources', () => {
      const prev: TrafficStatus = {
        topSources: Array.from({ length: 10 }, (_, i) => ({ address: `198.51.100.${i}`, requests: 100 - i })),
      };
      const s = mergeTrafficStatus(prev, 'request-rate', update({ topSources: 3, verdict: undefined }), T0);
      assert.deepEqual(
        s.topSources?.map((x) => x.address),
        ['198.51.100.0', '198.51.100.1', '198.51.100.2'],
      );
    });
  });

  it('formatDuration', () => {
    assert.deepEqual([5000, 60_000, 90_000, 150_000, 3_600_000, 600_000].map(formatDuration), [
      '5s',
      '60s',
      '90s',
      '2m30s',
      '1h',
      '10m',
    ]);
  });
});
