import assert from 'node:assert/strict';
import { parseCidr } from '../../../src/detections/address.js';
import type { TrafficSpec } from '../../../src/detections/traffic-settings.js';
import { TrafficEngine, type TrafficEvent } from '../../../src/traffic/engine.js';
import type { AccessRecord } from '../../../src/traffic/record.js';
import { ALL_OFF, rec, settingsOf } from './fixtures.js';

const T0 = 1_800_000_000_000;
const S = 1000;

/** An engine with one detection, driven by a fake clock in seconds from T0. */
function harness(traffic: TrafficSpec, limits = { maxIngresses: 100, maxSources: 16 }) {
  const engine = new TrafficEngine(limits);
  engine.configure([settingsOf({ window: '10s', ...traffic })]);
  const events: TrafficEvent[] = [];
  return {
    engine,
    events,
    send: (atS: number, n: number, over: Partial<AccessRecord> = {}) => {
      for (let i = 0; i < n; i++) engine.ingest(rec({ timeMs: T0 + atS * S, ...over }), T0 + atS * S);
    },
    tick: (atS: number) => {
      const e = engine.tick(T0 + atS * S);
      events.push(...e);
      return e;
    },
  };
}

const brief = (e: TrafficEvent) => `${e.type} ${e.rule.id} ${e.target.key}`;

describe('traffic/engine TrafficEngine', () => {
  it('disallowed source: quiet for allowed traffic, fires once, updates, clears, fires again', () => {
    const h = harness({ ...ALL_OFF, disallowedSource: { allowedCIDRs: ['127.0.0.2/32'] } });
    h.send(0, 50, { remoteAddr: '127.0.0.2' });
    assert.deepEqual(h.tick(1), []);
    h.send(1, 3, { remoteAddr: '127.0.0.3' });
    const [fired] = h.tick(2);
    assert.equal(fired && brief(fired), 'fired disallowed-source ingress/shop/web');
    assert.equal(fired?.finding?.matched, 3);
    assert.deepEqual(fired?.window.disallowedSources, [
      { address: '127.0.0.3', requests: 3, allowed: false },
    ]);
    assert.equal(fired?.delta.requests, 53, 'the raising window counts');
    assert.deepEqual([...(fired?.delta.sources.entries() ?? [])], [['127.0.0.3', 3]]);
    h.send(2, 2, { remoteAddr: '127.0.0.3' });
    h.send(2, 5, { remoteAddr: '127.0.0.2' });
    const [upd] = h.tick(3);
    assert.equal(upd && brief(upd), 'update disallowed-source ingress/shop/web');
    assert.equal(upd?.delta.requests, 7);
    assert.equal(upd?.delta.matched, 2);
    // No more disallowed requests: the rule clears once the window (10 s) slid past the last one.
    let clearedAt = 0;
    for (let t = 4; t <= 14 && !clearedAt; t++)
      if (h.tick(t).some((e) => brief(e) === 'cleared disallowed-source ingress/shop/web')) clearedAt = t;
    assert.ok(clearedAt >= 11 && clearedAt <= 13, `cleared at ${clearedAt} s`);
    h.send(20, 1, { remoteAddr: '127.0.0.3' });
    assert.deepEqual(h.tick(20).map(brief), ['fired disallowed-source ingress/shop/web']);
  });

  it('request rate, absolute: fires when a window holds more than maxRequests', () => {
    const h = harness({ ...ALL_OFF, requestRate: { maxRequests: 100, baseline: { enabled: false } } });
    h.send(0, 100);
    assert.deepEqual(h.tick(1), []);
    h.send(1, 1);
    const [f] = h.tick(1);
    assert.equal(f?.finding?.trigger, 'absolute');
    assert.equal(f?.finding?.matched, 101);
  });

  it('request rate, baseline: steady traffic learns, a 10× spike fires, the spike is not learned', () => {
    const h = harness({
      ...ALL_OFF,
      requestRate: { baseline: { multiplier: 5, minRequests: 50, halfLife: '30s', warmup: '60s' } },
    });
    let t = 0;
    for (; t < 120; t++) {
      h.send(t, 5);
      assert.deepEqual(h.tick(t + 1), [], `steady at ${t}s`);
    }
    const before = h.events.length;
    for (let i = 0; i < 5; i++, t++) {
      h.send(t, 100);
      h.tick(t + 1);
    }
    const fired = h.events.slice(before).filter((e) => e.type === 'fired');
    assert.deepEqual(fired.map(brief), ['fired request-rate ingress/shop/web']);
    assert.equal(fired[0]?.finding?.trigger, 'baseline');
    // Learned: 50 per window; the first spike buckets are learned only up to the cap (5×).
    const learned = fired[0]?.window.baseline ?? 0;
    assert.ok(learned > 45 && learned < 80, `baseline ${learned}`);
    assert.equal(h.events.at(-1)?.window.baseline, learned, 'frozen while firing');
  });

  it('request rate, baseline: nothing during warm-up', () => {
    const h = harness({ ...ALL_OFF, requestRate: { baseline: { minRequests: 10, warmup: '60s' } } });
    h.send(0, 1);
    h.tick(1);
    h.send(5, 500);
    assert.deepEqual(h.tick(6), []);
  });

  it('5xx ratio: fires only after the hold, once', () => {
    const h = harness({ ...ALL_OFF, serverErrorRatio: { ratio: 0.5, minRequests: 10, hold: '3s' } });
    for (let t = 0; t < 10; t++) {
      h.send(t, 10, { status: 502 });
      h.tick(t + 1);
    }
    const fired = h.events.filter((e) => e.type === 'fired');
    assert.deepEqual(fired.map(brief), ['fired server-error-ratio ingress/shop/web']);
    assert.equal(fired[0]?.atMs, T0 + 4 * S, 'condition from 1 s, hold 3 s');
    assert.equal(fired[0]?.finding?.ratio, 1);
  });

  it('4xx below minRequests never fires', () => {
    const h = harness({ ...ALL_OFF, clientErrorRatio: { minRequests: 20, hold: '0s' } });
    h.send(0, 19, { status: 404 });
    assert.deepEqual(h.tick(1), []);
  });

  it('several rules and Ingresses fire independently', () => {
    const h = harness({
      ...ALL_OFF,
      disallowedSource: { allowedCIDRs: ['10.0.0.0/8'] },
      serverErrorRatio: { minRequests: 5, hold: '0s' },
    });
    h.send(0, 5, { status: 500, key: 'ingress/api/backend', namespace: 'api', ingress: 'backend' });
    h.send(0, 1, { remoteAddr: '192.0.2.1' });
    assert.deepEqual(h.tick(1).map(brief).sort(), [
      'fired disallowed-source ingress/shop/web',
      'fired server-error-ratio ingress/api/backend',
    ]);
  });

  it('uses the first X-Forwarded-For address with clientAddress ForwardedFor', () => {
    const h = harness({
      ...ALL_OFF,
      clientAddress: 'ForwardedFor',
      disallowedSource: { allowedCIDRs: ['10.0.0.0/8'] },
    });
    h.send(0, 1, { remoteAddr: '10.0.0.5', forwardedFor: '198.51.100.7' });
    const [f] = h.tick(1);
    assert.deepEqual(
      f?.window.disallowedSources.map((s) => s.address),
      ['198.51.100.7'],
    );
  });

  it('leaves out Ingresses the detection does not cover', () => {
    const engine = new TrafficEngine({ maxIngresses: 10, maxSources: 4 });
    engine.configure([
      settingsOf(
        { ...ALL_OFF, requestRate: { maxRequests: 1 } },
        { match: { namespaces: { exclude: ['shop'] } } },
      ),
    ]);
    for (let i = 0; i < 5; i++) engine.ingest(rec({ timeMs: T0 }), T0);
    assert.deepEqual(engine.tick(T0 + S), []);
    assert.equal(engine.stats().windows, 0);
  });

  it('counts lines older than the window as late, and dates lines from the future now', () => {
    const h = harness({ ...ALL_OFF, requestRate: { maxRequests: 1, baseline: { enabled: false } } });
    assert.equal(h.engine.ingest(rec({ timeMs: T0 - 11 * S }), T0), 'late');
    assert.equal(h.engine.ingest(rec({ timeMs: T0 + 3600 * S }), T0), 'accepted');
    assert.equal(h.engine.ingest(rec({ timeMs: undefined }), T0), 'accepted');
    const [f] = h.engine.tick(T0 + S);
    assert.equal(f?.finding?.matched, 2);
  });

  it('keeps memory bounded: at most maxIngresses windows, evictions counted', () => {
    const h = harness({}, { maxIngresses: 100, maxSources: 8 });
    for (let i = 0; i < 10_000; i++) {
      h.engine.ingest(
        rec({
          timeMs: T0,
          key: `ingress/ns/i${i}`,
          ingress: `i${i}`,
          remoteAddr: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
        }),
        T0,
      );
    }
    const st = h.engine.stats();
    assert.equal(st.windows, 100);
    assert.equal(st.evictedIngresses, 9900);
  });

  it('evicts the least recently seen Ingress first', () => {
    const h = harness(
      { ...ALL_OFF, requestRate: { maxRequests: 1, baseline: { enabled: false } } },
      { maxIngresses: 2, maxSources: 4 },
    );
    h.send(0, 1, { key: 'ingress/a/a', namespace: 'a', ingress: 'a' });
    h.send(0, 1, { key: 'ingress/b/b', namespace: 'b', ingress: 'b' });
    h.tick(0);
    h.send(0, 1, { key: 'ingress/a/a', namespace: 'a', ingress: 'a' }); // a is young again
    h.send(0, 1, { key: 'ingress/c/c', namespace: 'c', ingress: 'c' }); // evicts b
    h.send(0, 1, { key: 'ingress/a/a', namespace: 'a', ingress: 'a' });
    h.send(0, 1, { key: 'ingress/c/c', namespace: 'c', ingress: 'c' });
    assert.deepEqual(h.tick(1).map(brief).sort(), [
      'fired request-rate ingress/a/a',
      'fired request-rate ingress/c/c',
    ]);
  });

  it('drops idle windows', () => {
    const h = harness({ requestRate: { baseline: { halfLife: '1s', warmup: '0s' } } });
    h.send(0, 1);
    h.tick(1);
    assert.equal(h.engine.stats().windows, 1);
    h.tick(30);
    assert.equal(h.engine.stats().windows, 0);
  });

  it('keeps windows when the same generation is configured again, starts afresh on a new one', () => {
    const engine = new TrafficEngine({ maxIngresses: 10, maxSources: 4 });
    const s1 = settingsOf({});
    engine.configure([s1]);
    engine.ingest(rec({ timeMs: T0 }), T0);
    engine.configure([s1]);
    assert.equal(engine.stats().windows, 1);
    engine.configure([{ ...s1, generation: 2 }]);
    assert.equal(engine.stats().windows, 0);
    engine.configure([]);
    assert.equal(engine.ingest(rec({ timeMs: T0 }), T0), 'accepted');
  });

  it('counts a line that names no Ingress under the Ingress its Host maps to', () => {
    const hosts = {
      lookup: (h: string) => (h === 'a.example' ? { namespace: 'shop', name: 'web' } : undefined),
    };
    const engine = new TrafficEngine({ maxIngresses: 10, maxSources: 4 }, hosts);
    engine.configure([
      settingsOf({
        ...ALL_OFF,
        window: '10s',
        requestRate: { maxRequests: 1, baseline: { enabled: false } },
      }),
    ]);
    const hostOnly = { key: 'host/a.example', namespace: undefined, ingress: undefined, host: 'a.example' };
    assert.equal(engine.ingest(rec({ timeMs: T0, ...hostOnly }), T0), 'accepted');
    assert.equal(engine.ingest(rec({ timeMs: T0 }), T0), 'accepted');
    const [f] = engine.tick(T0 + S);
    assert.deepEqual(f?.target, {
      key: 'ingress/shop/web',
      namespace: 'shop',
      ingress: 'web',
      host: 'a.example',
      service: 'web-svc',
    });
    assert.equal(engine.stats().windows, 1);
  });

  it('a flood of Hosts that map to no Ingress opens no window, raises nothing and evicts no real window', () => {
    const engine = new TrafficEngine({ maxIngresses: 2, maxSources: 4 });
    engine.configure([
      settingsOf({ ...ALL_OFF, window: '10s', disallowedSource: { allowedCIDRs: ['10.0.0.0/8'] } }),
    ]);
    engine.ingest(rec({ timeMs: T0 }), T0);
    const cases = [
      { name: 'random host', over: { host: 'x1.attacker.example' } },
      { name: 'ip host', over: { host: '203.0.113.9' } },
      { name: 'no host at all', over: { host: undefined } },
    ];
    for (const c of cases)
      for (let i = 0; i < 50; i++) {
        const r = rec({
          timeMs: T0,
          key: `host/${i}`,
          namespace: undefined,
          ingress: undefined,
          remoteAddr: '198.51.100.7',
          ...c.over,
        });
        assert.equal(engine.ingest(r, T0), 'unmatched', c.name);
      }
    assert.equal(engine.stats().windows, 1, 'only the real Ingress has a window');
    assert.equal(engine.stats().evictedIngresses, 0);
    assert.deepEqual(engine.tick(T0 + S), []);
    // A disallowed source on the real Ingress still fires during the flood.
    engine.ingest(rec({ timeMs: T0 + S, remoteAddr: '198.51.100.7' }), T0 + S);
    assert.deepEqual(engine.tick(T0 + 2 * S).map(brief), ['fired disallowed-source ingress/shop/web']);
  });

  it('clientAddress ForwardedFor: the client is the rightmost untrusted entry, never the spoofed first one', () => {
    const cases = [
      { name: 'spoofed first entry', xff: '127.0.0.2, 198.51.100.7', trusted: [], fires: true, fallbacks: 0 },
      { name: 'allowed client behind the peer', xff: '127.0.0.2', trusted: [], fires: false, fallbacks: 0 },
      {
        name: 'junk at the client position',
        xff: '127.0.0.2, not-an-ip',
        trusted: [],
        fires: true,
        fallbacks: 1,
      },
      {
        name: 'trusted proxy hop skipped',
        xff: '198.51.100.7, 10.1.1.1',
        trusted: ['10.0.0.0/8'],
        fires: true,
        fallbacks: 0,
      },
    ];
    for (const c of cases) {
      const trustedProxies = c.trusted.map((t) => parseCidr(t) as NonNullable<ReturnType<typeof parseCidr>>);
      const engine = new TrafficEngine({ maxIngresses: 10, maxSources: 4, trustedProxies });
      engine.configure([
        settingsOf({
          ...ALL_OFF,
          window: '10s',
          clientAddress: 'ForwardedFor',
          disallowedSource: { allowedCIDRs: ['127.0.0.2/32'] },
        }),
      ]);
      // The peer is the load balancer (10.9.9.9, inside the trusted range when there is one).
      engine.ingest(rec({ timeMs: T0, remoteAddr: '10.9.9.9', forwardedFor: c.xff }), T0);
      assert.equal(engine.tick(T0 + S).length > 0, c.fires, c.name);
      assert.equal(engine.stats().forwardedFallbacks, c.fallbacks, c.name);
    }
  });
});
