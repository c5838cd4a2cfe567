import assert from 'node:assert/strict';
import type { Settings } from '../../../src/config/schema.js';
import { OpenAlerts } from '../../../src/notify/open-alerts.js';
import {
  discoverReportApi,
  policyReportSink,
  REPORT_APIS,
  reportFor,
  reportPath,
  resultFor,
} from '../../../src/notify/policyreport.js';
import { viewOf } from '../../../src/notify/sink.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { alertFixture } from './fixtures.js';

const [WG, OPEN] = REPORT_APIS as [(typeof REPORT_APIS)[number], (typeof REPORT_APIS)[number]];

interface Report {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations: Record<string, string> };
  summary: Record<string, number>;
  results: ReturnType<typeof resultFor>[];
}

describe('PolicyReport results', () => {
  const cases: [string, 'fail' | 'warn'][] = [
    ['Critical', 'fail'],
    ['High', 'fail'],
    ['Medium', 'fail'],
    ['Low', 'warn'],
    ['Info', 'warn'],
  ];
  for (const [severity, result] of cases) {
    it(`${severity} alert → result ${result}, severity ${severity.toLowerCase()}`, () => {
      const r = resultFor(viewOf(alertFixture({ severity: severity as 'High' })));
      assert.equal(r.result, result);
      assert.equal(r.severity, severity.toLowerCase());
    });
  }

  it('names the detection as policy, the top risk as rule, the subject as resource', () => {
    const r = resultFor(viewOf(alertFixture({ uid: 'x' })));
    assert.equal(r.policy, 'ingress-created');
    assert.equal(r.rule, 'ingress-no-tls');
    assert.equal(r.source, 'tripline');
    assert.deepEqual(r.resources, [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: 'storefront',
        namespace: 'shop',
        uid: 'b1e4c2d0-0000-4000-8000-000000000001',
      },
    ]);
    assert.deepEqual(r.timestamp, { seconds: Date.parse('2026-11-23T12:00:00Z') / 1000, nanos: 0 });
    assert.deepEqual(r.properties, { alert: 'ingress-created-0123456789', state: 'Open', event: 'Created' });
  });
});

describe('PolicyReport', () => {
  const alerts = [
    alertFixture({ name: 'low-old', severity: 'Low', detectedAt: '2026-11-01T00:00:00Z' }),
    alertFixture({ name: 'high', severity: 'High' }),
    alertFixture({ name: 'low-new', severity: 'Low', detectedAt: '2026-11-20T00:00:00Z' }),
  ].map(viewOf);

  it('is one report per namespace with a summary of its results', () => {
    const r = reportFor(WG, 'shop', alerts, 10) as Report;
    assert.equal(r.apiVersion, 'wgpolicyk8s.io/v1alpha2');
    assert.equal(r.kind, 'PolicyReport');
    assert.deepEqual(r.metadata.name, 'tripline');
    assert.equal(r.metadata.namespace, 'shop');
    assert.deepEqual(r.summary, { pass: 0, fail: 1, warn: 2, error: 0, skip: 0 });
  });

  it('keeps the most severe, then newest, results when capped, and says how many it left out', () => {
    const r = reportFor(WG, 'shop', alerts, 2) as Report;
    assert.deepEqual(
      r.results.map((x) => (x.properties as { alert: string }).alert),
      ['high', 'low-new'],
    );
    assert.equal(r.metadata.annotations['tripline.dev/results-omitted'], '1');
  });

  it('uses the cluster kind for cluster-scoped subjects, and the openreports.io kinds', () => {
    assert.equal((reportFor(WG, '', alerts, 1) as Report).kind, 'ClusterPolicyReport');
    assert.equal((reportFor(OPEN, 'shop', alerts, 1) as Report).kind, 'Report');
    assert.equal((reportFor(OPEN, '', alerts, 1) as Report).kind, 'ClusterReport');
    assert.equal((reportFor(OPEN, '', alerts, 1) as Report).apiVersion, 'openreports.io/v1alpha1');
  });

  it('lives at the expected paths', () => {
    assert.equal(
      reportPath(WG, 'shop'),
      '/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/tripline',
    );
    assert.equal(reportPath(WG, ''), '/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/tripline');
    assert.equal(reportPath(OPEN, 'shop'), '/apis/openreports.io/v1alpha1/namespaces/shop/reports/tripline');
  });
});

describe('PolicyReport sink', () => {
  /** The resources a report API's CRDs add, as discovery lists them (no status subresource). */
  const crds = (
    api: (typeof REPORT_APIS)[number],
    which: ('namespaced' | 'cluster')[] = ['namespaced', 'cluster'],
  ) =>
    which.map((w) => ({
      group: api.group,
      version: api.version,
      resource: api[w].resource,
      kind: api[w].kind,
      namespaced: w === 'namespaced',
      status: false,
    }));

  /** An API server with the report CRDs of `groups` installed. */
  function clusterWith(groups: string[]): FakeCluster {
    const cluster = new FakeCluster();
    for (const api of REPORT_APIS)
      if (groups.includes(api.group)) for (const r of crds(api)) cluster.serve(r);
    return cluster;
  }

  it('finds wgpolicyk8s.io first, openreports.io otherwise, and nothing when neither is served', async () => {
    const both = clusterWith(['wgpolicyk8s.io', 'openreports.io']);
    assert.equal((await discoverReportApi(both))?.group, 'wgpolicyk8s.io');
    assert.deepEqual(both.verbs(), ['get /apis/wgpolicyk8s.io/v1alpha2']);
    const open = clusterWith(['openreports.io']);
    assert.equal((await discoverReportApi(open))?.group, 'openreports.io');
    assert.deepEqual(open.verbs(), [
      'get /apis/wgpolicyk8s.io/v1alpha2 -> 404',
      'get /apis/openreports.io/v1alpha1',
    ]);
    assert.equal(await discoverReportApi(clusterWith([])), undefined);
  });

  it('takes a group only when it serves both report kinds; a failed discovery is an error, not "absent"', async () => {
    const half = new FakeCluster();
    for (const r of crds(WG, ['namespaced'])) half.serve(r);
    assert.equal(await discoverReportApi(half), undefined);
    const broken = clusterWith(['wgpolicyk8s.io']);
    broken.fail({ verb: 'get', resource: '/apis/wgpolicyk8s.io/v1alpha2', status: 503 });
    await assert.rejects(discoverReportApi(broken), /discovering wgpolicyk8s.io\/v1alpha2/);
  });

  it("applies a namespace's report from its open alerts, and deletes it when none is left", async function () {
    this.timeout(10_000); // two writes, each after the 1 s settle
    const cluster = clusterWith(['wgpolicyk8s.io']);
    let sink: ReturnType<typeof policyReportSink> | undefined;
    const open = new OpenAlerts((a, o) => sink?.openChanged?.(a, o), silentLogger());
    sink = policyReportSink({
      settings: {
        policyReports: 'auto',
        policyReportDiscoverySeconds: 3600,
        policyReportMaxResults: 10,
        notifyQueueSize: 10,
        notifyMaxAttempts: 2,
        backoffBaseMs: 1,
        backoffMaxMs: 2,
      } as Settings,
      client: cluster,
      clock: { now: () => new Date() },
      log: silentLogger(),
      open,
      routed: (a) => a.name !== 'not-routed',
      metrics: { sent: () => {}, failed: () => {}, retried: () => {}, depth: () => {} },
    });
    sink.start?.();
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(cond(), JSON.stringify(cluster.verbs()));
    };
    const REPORTS = 'policyreports.wgpolicyk8s.io';
    const ref = {
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { namespace: 'shop', name: 'tripline' },
    };
    open.observe('LISTED', alertFixture({ name: 'a' }));
    open.observe('LISTED', alertFixture({ name: 'not-routed' }));
    open.listed();
    await until(() => cluster.writes().length >= 1);
    assert.deepEqual(cluster.writes(), [`patch ${REPORTS} shop/tripline`]);
    const apply = cluster.actions.find((a) => a.verb === 'patch');
    assert.deepEqual(apply?.query, { fieldManager: 'tripline', force: 'true' });
    const stored = cluster.get(ref) as unknown as Report | undefined;
    assert.equal(stored?.results.length, 1, 'only the routed alert');
    assert.equal(
      stored?.results[0]?.properties && (stored.results[0].properties as { alert: string }).alert,
      'a',
    );
    open.observe('MODIFIED', alertFixture({ name: 'a', state: 'Resolved' }));
    open.observe('DELETED', alertFixture({ name: 'not-routed' }));
    await until(() => cluster.writes().length >= 2);
    assert.deepEqual(cluster.writes(), [`patch ${REPORTS} shop/tripline`, `delete ${REPORTS} shop/tripline`]);
    assert.equal(cluster.get(ref), undefined);
    await sink.stop();
  });
});
