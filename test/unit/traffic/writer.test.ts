import assert from 'node:assert/strict';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { KubeClient, RequestOptions } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { TRAFFIC_LABELS, trafficAlertName } from '../../../src/traffic/alert.js';
import { AlertRateLimit } from '../../../src/traffic/alert-limit.js';
import { TrafficEngine } from '../../../src/traffic/engine.js';
import { TrafficAlertWriter } from '../../../src/traffic/writer.js';
import { ALL_OFF, rec, settingsOf } from './fixtures.js';

const ALERTS = '/apis/tripline.dev/v1alpha1/auditalerts';

/** An in-memory API server for AuditAlerts and Ingresses: creates (409 on a taken name), label lists, rv-guarded status patches. */
class FakeApi {
  readonly alerts = new Map<string, AuditAlert>();
  rv = 1;
  creates = 0;
  patches = 0;
  failPatches = 0;
  ingresses = new Map<string, object>([
    ['shop/web', { metadata: { namespace: 'shop', name: 'web', uid: 'uid-web' } }],
  ]);

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(path, 'http://x');
    if (path.startsWith('/apis/networking.k8s.io/')) {
      const ns = path.split('/')[5] as string;
      const name = String(opts.query?.fieldSelector ?? '').replace('metadata.name=', '');
      const ing = this.ingresses.get(`${ns}/${name}`);
      return { items: ing ? [ing] : [] } as T;
    }
    if (method === 'GET' && url.pathname === ALERTS) {
      const want = String(opts.query?.labelSelector ?? '')
        .split(',')
        .map((kv) => kv.split('='));
      const items = [...this.alerts.values()].filter((a) =>
        want.every(([k, v]) => a.metadata?.labels?.[k as string] === v),
      );
      return { items: structuredClone(items) } as T;
    }
    if (method === 'POST') {
      const a = structuredClone(opts.body as AuditAlert);
      const name = a.metadata?.name as string;
      if (this.alerts.has(name)) throw new ApiError('exists', { status: 409, reason: 'AlreadyExists' });
      this.creates++;
      a.metadata = { ...a.metadata, resourceVersion: String(this.rv++) };
      a.status = { state: 'Open' };
      this.alerts.set(name, a);
      return a as T;
    }
    const name = decodeURIComponent(url.pathname.slice(ALERTS.length + 1).replace(/\/status$/, ''));
    const a = this.alerts.get(name);
    if (!a) throw new ApiError('not found', { status: 404, reason: 'NotFound' });
    if (method === 'GET') return structuredClone(a) as T;
    if (this.failPatches > 0) {
      this.failPatches--;
      throw new ApiError('boom', { status: 500 });
    }
    const body = opts.body as {
      metadata: { resourceVersion: string };
      status: { traffic: Record<string, unknown> };
    };
    if (body.metadata.resourceVersion !== a.metadata?.resourceVersion)
      throw new ApiError('conflict', { status: 409 });
    const traffic = { ...body.status.traffic };
    for (const [k, v] of Object.entries(traffic)) if (v === null) delete traffic[k];
    a.status = { ...a.status, traffic };
    a.metadata = { ...a.metadata, resourceVersion: String(this.rv++) };
    this.patches++;
    return a as T;
  }

  /** What a person does with kubectl patch. */
  resolve(name: string): void {
    const a = this.alerts.get(name) as AuditAlert;
    a.status = { ...a.status, state: 'Resolved', reason: 'Remediated' };
    a.metadata = { ...a.metadata, resourceVersion: String(this.rv++) };
  }
}

const T0 = 1_800_000_000_000;

function harness(perMinute?: number) {
  const api = new FakeApi();
  const clock = { t: T0, now: () => new Date(clock.t) };
  let active = true;
  const raised: string[] = [];
  const writer = new TrafficAlertWriter({
    client: api as unknown as KubeClient,
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
      const all = [...h.api.alerts.values()];
      const agg = all.filter((a) => a.metadata?.labels?.[TRAFFIC_LABELS.rule] === 'alert-rate-limit');
      assert.equal(all.length - agg.length, c.alerts);
      assert.equal(agg.length, c.aggregate);
      assert.equal(h.suppressed.n, c.held);
      if (agg[0]) assert.equal(agg[0].spec.subject.kind, 'AuditDetection');
    });

  it('raises one alert, adds the counts to its status, marks the clear; after a resolve the recurrence is episode 2', async () => {
    const h = harness();
    await h.step(0, 2, 3);
    assert.deepEqual([...h.api.alerts.keys()], [episode(1)]);
    assert.deepEqual(h.raised, [episode(1)]);
    const a1 = h.api.alerts.get(episode(1));
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
        h.api.alerts.get(episode(1))?.status?.traffic?.requests,
        h.api.alerts.get(episode(1))?.status?.traffic?.matched,
      ],
      [7, 3],
    );
    for (let s = 3; s <= 14; s++) await h.step(s, 0);
    assert.equal(h.api.alerts.get(episode(1))?.status?.traffic?.active, false);
    assert.ok(h.api.alerts.get(episode(1))?.status?.traffic?.clearedAt);
    h.api.resolve(episode(1));
    const patches = h.api.patches;
    await h.step(20, 1);
    assert.deepEqual([...h.api.alerts.keys()], [episode(1), episode(2)]);
    assert.equal(h.api.alerts.get(episode(1))?.status?.traffic?.matched, 3, 'a resolved alert is left alone');
    assert.equal(h.api.alerts.get(episode(2))?.status?.traffic?.matched, 1);
    assert.ok(h.api.patches > patches);
  });

  it('a recurrence while the alert is open updates it (firings 2), found by labels from a fresh writer', async () => {
    const h = harness();
    await h.step(0, 1);
    for (let s = 1; s <= 13; s++) await h.step(s, 0);
    assert.equal(h.api.alerts.get(episode(1))?.status?.traffic?.active, false);
    // A restarted operator: a fresh writer and engine, the same API.
    const fresh = harness();
    for (const [k, v] of h.api.alerts) fresh.api.alerts.set(k, v);
    fresh.api.rv = h.api.rv;
    await fresh.step(30, 2);
    assert.deepEqual([...fresh.api.alerts.keys()], [episode(1)]);
    assert.equal(fresh.api.creates, 0);
    assert.deepEqual(
      [
        fresh.api.alerts.get(episode(1))?.status?.traffic?.firings,
        fresh.api.alerts.get(episode(1))?.status?.traffic?.matched,
      ],
      [2, 3],
    );
    assert.equal(
      fresh.api.alerts.get(episode(1))?.status?.traffic?.clearedAt,
      undefined,
      'clearedAt removed',
    );
  });

  it('an episode someone else created (409) is the same alert', async () => {
    const h = harness();
    // Another replica raised episode 1 between our list and our create: simulate by a create that answers 409.
    const create = h.api.request.bind(h.api);
    let first = true;
    h.api.request = async <T>(method: string, path: string, opts?: RequestOptions): Promise<T> => {
      if (method === 'POST' && first) {
        first = false;
        await create('POST', path, opts);
        throw new ApiError('exists', { status: 409, reason: 'AlreadyExists' });
      }
      return create<T>(method, path, opts);
    };
    await h.step(0, 1);
    assert.deepEqual([...h.api.alerts.keys()], [episode(1)]);
    assert.deepEqual(h.raised, [], 'not raised by this writer');
    assert.equal(h.api.alerts.get(episode(1))?.status?.traffic?.matched, 1);
  });

  it('a failed status write is retried with the same counts (nothing lost, nothing doubled)', async () => {
    const h = harness();
    h.api.failPatches = 2;
    await h.step(0, 4, 1);
    assert.deepEqual(
      [
        h.api.alerts.get(episode(1))?.status?.traffic?.requests,
        h.api.alerts.get(episode(1))?.status?.traffic?.matched,
      ],
      [5, 4],
    );
    assert.equal(h.api.patches, 1);
  });

  it('writes nothing while inactive, and catches up once active', async function () {
    this.timeout(10_000); // an inactive writer looks again after 2 s
    const h = harness();
    h.setActive(false);
    const pending = h.step(0, 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.api.alerts.size, 0);
    h.setActive(true);
    await pending;
    assert.deepEqual([...h.api.alerts.keys()], [episode(1)]);
    await h.writer.stop();
  });

  it('names a missing Ingress from the log and notes it', async () => {
    const h = harness();
    h.api.ingresses.clear();
    await h.step(0, 1);
    const a = h.api.alerts.get(episode(1));
    assert.deepEqual(a?.spec.subject, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      name: 'web',
      namespace: 'shop',
    });
    assert.match(a?.spec.notes?.[0] ?? '', /Ingress shop\/web was not found/);
  });
});
