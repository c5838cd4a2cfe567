import assert from 'node:assert/strict';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { validateTemplates } from '../../../src/detections/steps.js';
import { compileTraffic } from '../../../src/detections/traffic-settings.js';
import { buildTrafficAlert } from '../../../src/traffic/alert.js';
import { TrafficEngine } from '../../../src/traffic/engine.js';
import { RULES } from '../../../src/traffic/rules.js';
import { crdValidator, errorsOf } from '../support/crd-schema.js';
import { loadAll } from '../support/fixtures.js';
import { rec } from './fixtures.js';

describe('manifests/detections/ingress-traffic-anomaly.yaml', () => {
  const [d] = loadAll<AuditDetection>('manifests/detections/ingress-traffic-anomaly.yaml');
  if (!d) throw new Error('no detection');

  it('is valid against the AuditDetection CRD schema', () => {
    const validate = crdValidator('tripline.dev_auditdetections.yaml');
    assert.ok(validate(d), errorsOf(validate));
  });

  it('compiles, with every step template valid', () => {
    const r = compileTraffic(d);
    assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
    const t = d.spec.traffic ?? {};
    const steps = [
      ...(d.spec.investigation ?? []),
      ...(d.spec.resolution ?? []),
      ...[t.disallowedSource, t.requestRate, t.clientErrorRatio, t.serverErrorRatio].flatMap((x) => [
        ...(x?.investigation ?? []),
        ...(x?.resolution ?? []),
      ]),
    ];
    assert.deepEqual(validateTemplates(steps), []);
    for (const s of steps) if (s.command) assert.match(s.command, /^kubectl /, s.command);
  });

  it('is a traffic detection that allows no remediation', () => {
    assert.deepEqual(d.spec.events, ['TrafficAnomaly']);
    assert.deepEqual(d.spec.remediation?.allowedActions, []);
    assert.ok((d.spec.description ?? '').length > 100);
  });

  // Every rule, fired on a real window, renders steps with the names filled in and nothing left over.
  for (const rule of RULES) {
    it(`${rule.id}: renders concrete steps`, () => {
      const r = compileTraffic({
        ...d,
        spec: {
          ...d.spec,
          traffic: {
            ...d.spec.traffic,
            window: '10s',
            disallowedSource: { ...d.spec.traffic?.disallowedSource, allowedCIDRs: ['10.0.0.0/8'] },
            requestRate: { ...d.spec.traffic?.requestRate, maxRequests: 10 },
            clientErrorRatio: { ...d.spec.traffic?.clientErrorRatio, hold: '0s', minRequests: 1 },
            serverErrorRatio: { ...d.spec.traffic?.serverErrorRatio, hold: '0s', minRequests: 1 },
          },
        },
      });
      assert.ok(r.ok);
      const engine = new TrafficEngine({ maxIngresses: 10, maxSources: 8 });
      engine.configure([r.settings]);
      const t0 = 1_800_000_000_000;
      const status = rule.id === 'client-error-ratio' ? 404 : rule.id === 'server-error-ratio' ? 502 : 200;
      for (let i = 0; i < 20; i++) engine.ingest(rec({ timeMs: t0, status, remoteAddr: '198.51.100.4' }), t0);
      const e = engine.tick(t0 + 1000).find((x) => x.rule.id === rule.id && x.type === 'fired');
      assert.ok(e?.finding);
      const alert = buildTrafficAlert({
        event: e,
        finding: e.finding,
        episode: 1,
        subject: {
          subject: {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'Ingress',
            namespace: 'shop',
            name: 'web',
            uid: 'u',
          },
          notes: [],
        },
        detectedAt: new Date(t0),
      });
      const steps = [...(alert.spec.investigation ?? []), ...(alert.spec.resolution ?? [])];
      assert.ok(steps.length >= 6);
      for (const s of steps) {
        const text = `${s.title} ${s.detail ?? ''} ${s.command ?? ''}`;
        assert.doesNotMatch(text, /\{\{/, text);
      }
      assert.ok(steps.some((s) => s.command?.includes('-n shop web')));
    });
  }
});
