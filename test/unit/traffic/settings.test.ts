import assert from 'node:assert/strict';
import {
  compileTraffic,
  isTrafficDetection,
  TRAFFIC_DEFAULTS,
} from '../../../src/detections/traffic-settings.js';
import { loadAll } from '../support/fixtures.js';
import { settingsOf, trafficDetection } from './fixtures.js';

type Schema = { default?: unknown; properties?: Record<string, Schema> };

/** The defaults a CRD schema declares, nested like the objects they apply to. */
function defaultsOf(s: Schema): unknown {
  if (!s.properties) return s.default;
  const out: Record<string, unknown> = {};
  for (const [k, child] of Object.entries(s.properties)) {
    const d = defaultsOf(child);
    if (d !== undefined && !(typeof d === 'object' && d !== null && Object.keys(d).length === 0)) out[k] = d;
  }
  return out;
}

describe('traffic/settings', () => {
  it('TRAFFIC_DEFAULTS equal the defaults of spec.traffic in the AuditDetection CRD', () => {
    const [crd] = loadAll<{
      spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> };
    }>('crds/tripline.dev_auditdetections.yaml');
    const spec = crd?.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
    const traffic = spec?.properties?.traffic as Schema;
    assert.deepEqual(defaultsOf(traffic), TRAFFIC_DEFAULTS);
  });

  it('applies the defaults to traffic: {}', () => {
    const s = settingsOf({});
    assert.equal(s.windowMs, 60_000);
    assert.equal(s.bucketMs, 5000);
    assert.equal(s.updateIntervalMs, 30_000);
    assert.equal(s.allow, undefined, 'no allow-list: the disallowed-source rule is off');
    assert.equal(s.requestRate.baseline.halfLifeMs, 600_000);
    assert.equal(s.serverErrorRatio.ratio, 0.2);
    assert.equal(s.clientErrorRatio.holdMs, 30_000);
    assert.equal(s.disallowedSource.severity, 'Medium', "the detection's severity");
  });

  it('per-rule severity and steps', () => {
    const s = settingsOf({
      disallowedSource: {
        severity: 'High',
        allowedCIDRs: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1'],
        investigation: [{ title: 'x {{traffic.topSources}}' }],
      },
    });
    assert.equal(s.disallowedSource.severity, 'High');
    assert.deepEqual(
      s.allow?.ranges.map((r) => r.text),
      ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1/32'],
    );
    assert.equal(s.disallowedSource.investigation.length, 1);
  });

  const invalid: Array<{
    name: string;
    traffic: Parameters<typeof trafficDetection>[0];
    spec?: object;
    error: RegExp;
  }> = [
    {
      name: 'a bad CIDR',
      traffic: { disallowedSource: { allowedCIDRs: ['10.0.0.0/33'] } },
      error: /allowedCIDRs\[0\]/,
    },
    { name: 'a bad window', traffic: { window: 'soon' }, error: /spec\.traffic\.window/ },
    {
      name: 'a bad hold',
      traffic: { serverErrorRatio: { hold: '5 minutes' } },
      error: /serverErrorRatio\.hold/,
    },
    {
      name: 'a zero half-life',
      traffic: { requestRate: { baseline: { halfLife: '0s' } } },
      error: /halfLife/,
    },
    {
      name: 'an unknown template variable in a rule step',
      traffic: { requestRate: { resolution: [{ title: '{{traffic.nope}}' }] } },
      error: /requestRate: .*unknown variable/,
    },
    {
      name: 'an unknown template variable in a detection step',
      traffic: {},
      spec: { investigation: [{ title: 'x', command: 'kubectl get ing {{ingress}}' }] },
      error: /unknown variable \{\{ingress\}\}/,
    },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name}`, () => {
      const r = compileTraffic(trafficDetection(c.traffic, c.spec));
      assert.ok(!r.ok);
      assert.match(r.errors.join('\n'), c.error);
    });
  }

  describe('covers: match.namespaces and exceptions', () => {
    const s = settingsOf(
      {},
      {
        match: { namespaces: { include: ['shop*', 'api'], exclude: ['shop-dev'] } },
        exceptions: [{ namespaces: ['api'], names: ['health*'] }, { labels: { a: 'b' } }],
      },
    );
    const cases: Array<[string | undefined, string | undefined, boolean]> = [
      ['shop', 'web', true],
      ['shop-prod', 'web', true],
      ['shop-dev', 'web', false],
      ['other', 'web', false],
      ['api', 'web', true],
      ['api', 'healthz', false],
      [undefined, undefined, false],
    ];
    for (const [ns, name, covered] of cases)
      it(`${ns}/${name} → ${covered}`, () => assert.equal(s.covers(ns, name), covered));
  });

  it('isTrafficDetection: events [TrafficAnomaly]', () => {
    assert.equal(isTrafficDetection(trafficDetection({})), true);
    assert.equal(isTrafficDetection(trafficDetection({}, { events: ['Created'] })), false);
  });
});
