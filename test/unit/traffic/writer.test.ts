import assert from 'node:assert/strict';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { TRAFFIC_LABELS, trafficAlertName } from '../../../src/traffic/alert.js';
import { AlertRateLimit } from '../../../src/traffic/alert-limit.js';
import { TrafficEngine } from '../../../src/traffic/engine.js';
import { TrafficAlertWriter } from '../../../src/traffic/writer.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { ALL_OFF, rec, settingsOf } from './fixtures.js';

const ALERTS = 'auditalerts.tripline.dev';

/** The cluster every harness talks to: the Ingress shop/web and whatever alerts the writers made. */
function clusterWithIngress(): FakeCluster {
  const cluster = new FakeCluster();
  cluster.put({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: 'shop', name: 'web', uid: 'uid-web' },
  });
  return cluster;
}

/** The AuditAlerts stored, by name. */
const alertsOf = (cluster: FakeCluster): Map<string, AuditAlert> =>
  new Map(
    (cluster.list('tripline.dev/v1alpha1', 'AuditAlert') as unknown as AuditAlert[]).map((a) => [
      a.metadata?.name as string,
      a,
    ]),
  );

/** What a person does with kubectl patch. */
function resolve(cluster: FakeCluster, name: string): void {
  const a = alertsOf(cluster).get(name) as AuditAlert;
  const resolved: AuditAlert = { ...a, status: { ...a.status, state: 'Resolved', reason: 'Remediated' } };
  cluster.put(resolved);
}

const T0 = 1_800_000_000_000;

function harness(perMinute?: number, api = clusterWithIngress()) {
  const clock = { t: T0, now: () => new Date(clock.t) };
  let active = true;
  const raised: string[] = [];
  const writer = new TrafficAlertWriter({
    client: api,
    clock,
    log: silentLogger(),
    backoff: { baseMs: 1, maxMs: 5 },
    maxSources: 8,
    active: () => active,
    onRaised: (a) => raised.push(a.metadata?.name as string),
    suppressed: () => suppressed.n++,
    ...(perMinute ? { limit: { perMinute, buckets: new AlertRateLimit(perMinute) } } : {}),
  });
  const suppressed = { n: 0 };
  const engine = new TrafficEngine({ maxIngresses: 10, maxSources: 8 });
  engine.configure([
    settingsOf({
      ...ALL_OFF,
      window: '10s',
      updateInterval: '1s',
      disallowedSource: { allowedCIDRs: ['10.0.0.0/8'] },
    }),
  ]);
  return {
    api,
    /** The AuditAlerts stored, by name. */
    alerts: () => alertsOf(api),
    writer,
    raised,
    suppressed,
    /** A disallowed request on each of `n` distinct Ingresses at second `s`, then a tick and the writes. */
    spread: async (s: number, n: number) => {
      clock.t = T0 + s * 1000;
      for (let i = 0; i < n; i++)
        engine.ingest(
          rec({ timeMs: clock.t, remoteAddr: '192.0.2.9', key: `ingress/shop/w${i}`, ingress: `w${i}` }),
          clock.t,
        );
      writer.handle(engine.tick(clock.t));
      await writer.idle();
    },
    setActive: (v: boolean) => {
      active = v;
    },
    /** n requests from a disallowed address at second `s`, then a tick, then the writes. */
    step: async (s: number, disallowed: number, allowed = 0) => {
      clock.t = T0 + s * 1000;
      for (let i = 0; i < disallowed; i++)
        engine.ingest(rec({ timeMs: clock.t, remoteAddr: '192.0.2.9' }), clock.t);
      for (let i = 0; i < allowed; i++)
        engine.ingest(rec({ timeMs: clock.t, remoteAddr: '10.0.0.1' }), clock.t);
      writer.handle(engine.tick(clock.t));
      await writer.idle();
    },
  };
}

const episode = (n: number) =>
  trafficAlertName('ingress-traffic-anomaly', 'ingress/shop/web', 'disallowed-source', n);

describe('traffic/writer TrafficAlertWriter', () => {
  const limitCases = [
    {
      name: 'under the limit: every alert, no aggregate',
      perMinute: 10,
      ingresses: 4,
      alerts: 4,
      aggregate: 0,
      held: 0,
    },
    {
      name: 'over it: the limit, then ONE aggregate alert',
      perMinute: 3,
      ingresses: 8,
      alerts: 3,
      aggregate: 1,
      held: 5,
    },
  ];
  for (const c of limitCases)
    it(`alert rate limit: ${c.name}`, async () => {
      const h = harness(c.perMinute);
      await h.spread(0, c.ingresses);
      const all = [...h.alerts().values()];
      const agg = all.filter((a) => a.metadata?.labels?.[TRAFFIC_LABELS.rule] === 'alert-rate-limit');
      assert.equal(all.length - agg.length, c.alerts);
      assert.equal(agg.length, c.aggregate);
      assert.equal(h.suppressed.n, c.held);
      if (agg[0]) assert.equal(agg[0].spec.subject.kind, 'AuditDetection');
    });

  it('raises one alert, adds the counts to its status, marks the clear; after a resolve the recurrence is episode 2', async () => {
    const h = harness();
    await h.step(0, 2, 3);
    assert.deepEqual([...h.alerts().keys()], [episode(1)]);
    assert.deepEqual(h.raised, [episode(1)]);
    const a1 = h.alerts().get(episode(1));
    assert.equal(a1?.spec.subject.uid, 'uid-web');
    assert.equal(a1?.metadata?.labels?.[TRAFFIC_LABELS.episode], '1');
    assert.deepEqual(
      [
        a1?.status?.traffic?.requests,
        a1?.status?.traffic?.matched,
        a1?.status?.traffic?.firings,
        a1?.status?.traffic?.active,
      ],
      [5, 2, 1, true],
    );
    await h.step(2, 1, 1);
    assert.deepEqual(
      [
        h.alerts().get(episode(1))?.status?.traffic?.requests,
        h.alerts().get(episode(1))?.status?.traffic?.matched,
      ],
      [7, 3],
    );
    for (let s = 3; s <= 14; s++) await h.step(s, 0);
    assert.equal(h.alerts().get(episode(1))?.status?.traffic?.active, false);
    assert.ok(h.alerts().get(episode(1))?.status?.traffic?.clearedAt);
    resolve(h.api, episode(1));
    h.api.clearActions();
    await h.step(20, 1);
    assert.deepEqual([...h.alerts().keys()], [episode(1), episode(2)]);
    assert.equal(h.alerts().get(episode(1))?.status?.traffic?.matched, 3, 'a resolved alert is left alone');
    assert.equal(h.alerts().get(episode(2))?.status?.traffic?.matched, 1);
    assert.deepEqual(h.api.writes(), [
      `create ${ALERTS} ${episode(2)}`,
      `patch ${ALERTS} ${episode(2)}/status`,
    ]);
  });

  it('a recurrence while the alert is open updates it (firings 2), found by labels from a fresh writer', async () => {
    const h = harness();
    await h.step(0, 1);
    for (let s = 1; s <= 13; s++) await h.step(s, 0);
    assert.equal(h.alerts().get(episode(1))?.status?.traffic?.active, false);
    // A restarted operator: a fresh writer and engine, the same API.
    const fresh = harness(undefined, h.api);
    h.api.clearActions();
    await fresh.step(30, 2);
    assert.deepEqual([...fresh.alerts().keys()], [episode(1)]);
    assert.deepEqual(h.api.verbs(['create']), [], 'nothing created');
    assert.deepEqual(
      [
        fresh.alerts().get(episode(1))?.status?.traffic?.firings,
        fresh.alerts().get(episode(1))?.status?.traffic?.matched,
      ],
      [2, 3],
    );
    assert.equal(fresh.alerts().get(episode(1))?.status?.traffic?.clearedAt, undefined, 'clearedAt removed');
  });

  it('an episode someone else created (409) is the same alert', async () => {
    const h = harness();
    // Another replica raises episode 1 between our list and our create.
    h.api.before({ verb: 'create', resource: ALERTS }, (a) => h.api.put(a.body as AuditAlert));
    await h.step(0, 1);
    assert.deepEqual([...h.alerts().keys()], [episode(1)]);
    assert.deepEqual(h.raised, [], 'not raised by this writer');
    assert.equal(h.alerts().get(episode(1))?.status?.traffic?.matched, 1);
    assert.deepEqual(h.api.writes(), [
      `create ${ALERTS} ${episode(1)} -> 409`,
      `patch ${ALERTS} ${episode(1)}/status`,
    ]);
  });

  it('a failed status write is retried with the same counts (nothing lost, nothing doubled)', async () => {
    const h = harness();
    h.api.fail({ verb: 'patch', resource: ALERTS, subresource: 'status', status: 500, times: 2 });
    await h.step(0, 4, 1);
    assert.deepEqual(
      [
        h.alerts().get(episode(1))?.status?.traffic?.requests,
        h.alerts().get(episode(1))?.status?.traffic?.matched,
      ],
      [5, 4],
    );
    assert.deepEqual(h.api.writes(), [
      `create ${ALERTS} ${episode(1)}`,
      `patch ${ALERTS} ${episode(1)}/status -> 500`,
      `patch ${ALERTS} ${episode(1)}/status -> 500`,
      `patch ${ALERTS} ${episode(1)}/status`,
    ]);
  });

  it('writes nothing while inactive, and catches up once active', async function () {
    this.timeout(10_000); // an inactive writer looks again after 2 s
    const h = harness();
    h.setActive(false);
    const pending = h.step(0, 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(h.api.writes(), []);
    h.setActive(true);
    await pending;
    assert.deepEqual([...h.alerts().keys()], [episode(1)]);
    await h.writer.stop();
  });

  it('names a missing Ingress from the log and notes it', async () => {
    const h = harness();
    h.api.remove({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { namespace: 'shop', name: 'web' },
    });
    await h.step(0, 1);
    const a = h.alerts().get(episode(1));
    assert.deepEqual(a?.spec.subject, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      name: 'web',
      namespace: 'shop',
    });
    assert.match(a?.spec.notes?.[0] ?? '', /Ingress shop\/web was not found/);
  });
});
