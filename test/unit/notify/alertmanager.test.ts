import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Settings } from '../../../src/config/schema.js';
import {
  alertAnnotations,
  alertLabels,
  alertmanagerSink,
  alertsUrl,
  type PostableAlert,
  parseUrls,
  postable,
} from '../../../src/notify/alertmanager.js';
import { OpenAlerts } from '../../../src/notify/open-alerts.js';
import { viewOf } from '../../../src/notify/sink.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { alertFixture } from './fixtures.js';

describe('Alertmanager payload', () => {
  it('labels an alert with the documented set, from the immutable spec', () => {
    assert.deepEqual(alertLabels(viewOf(alertFixture({ severity: 'High' }))), {
      alertname: 'ingress-created',
      severity: 'high',
      detection: 'ingress-created',
      category: 'Exposure',
      namespace: 'shop',
      subject_kind: 'Ingress',
      subject_name: 'storefront',
      tripline_alert: 'ingress-created-0123456789',
    });
  });

  it('leaves namespace out for cluster-scoped subjects', () => {
    const l = alertLabels(viewOf(alertFixture({ kind: 'ClusterRole', namespace: undefined })));
    assert.equal('namespace' in l, false);
  });

  it('keeps labels the same from Open to Acknowledged (one fingerprint)', () => {
    assert.deepEqual(
      alertLabels(viewOf(alertFixture({}))),
      alertLabels(viewOf(alertFixture({ state: 'Acknowledged' }))),
    );
  });

  it('annotates summary, description with risks, and the runbook command', () => {
    const an = alertAnnotations(viewOf(alertFixture({})));
    assert.match(an.summary ?? '', /New Ingress storefront/);
    assert.match(an.description ?? '', /Created Ingress storefront in namespace shop/);
    assert.match(an.description ?? '', /Medium: No TLS/);
    assert.equal(an.runbook, 'kubectl describe auditalert ingress-created-0123456789');
  });

  it('fires until now + TTL, resolves at now', () => {
    const now = new Date('2026-11-23T13:00:00Z');
    const v = viewOf(alertFixture({}));
    assert.equal(postable(v, true, now, 900_000).endsAt, '2026-11-23T13:15:00.000Z');
    assert.equal(postable(v, false, now, 900_000).endsAt, '2026-11-23T13:00:00.000Z');
    assert.equal(postable(v, true, now, 1).startsAt, '2026-11-23T12:00:00Z');
  });

  it('builds the v2 URL under a route prefix, and refuses a bad URL without quoting it', () => {
    assert.equal(alertsUrl('http://am:9093').href, 'http://am:9093/api/v2/alerts');
    assert.equal(alertsUrl('http://am:9093/am/').href, 'http://am:9093/am/api/v2/alerts');
    assert.equal(parseUrls(' http://a:1 , http://b:2 ').length, 2);
    assert.throws(
      () => parseUrls('http://ok:1,not a url with secret'),
      (err: Error) => err.message === 'alertmanagerUrls: entry 2 is not a URL' && !err.cause,
    );
  });
});

describe('Alertmanager sink', () => {
  let server: http.Server;
  const posts: PostableAlert[][] = [];
  let url = '';

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        posts.push(JSON.parse(body) as PostableAlert[]);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('fires on open, re-sends open alerts periodically, resolves on close', async () => {
    const settings = {
      alertmanagerUrls: url,
      alertmanagerTtlSeconds: 3,
      alertmanagerResendSeconds: 1,
      notifyQueueSize: 10,
      notifyMaxAttempts: 2,
      notifyTimeoutSeconds: 5,
      backoffBaseMs: 1,
      backoffMaxMs: 2,
    } as Settings;
    let sink: ReturnType<typeof alertmanagerSink> | undefined;
    const open = new OpenAlerts((a, o) => sink?.openChanged?.(a, o), silentLogger());
    sink = alertmanagerSink({
      settings,
      client: new FakeCluster(),
      clock: { now: () => new Date() },
      log: silentLogger(),
      open,
      routed: () => true,
      metrics: { sent: () => {}, failed: () => {}, retried: () => {}, depth: () => {} },
    });
    sink.start?.();
    open.observe('ADDED', alertFixture({}));
    const waitPosts = async (n: number) => {
      for (let i = 0; i < 300 && posts.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(posts.length >= n, `${posts.length} posts`);
    };
    await waitPosts(1);
    const first = posts[0]?.[0] as PostableAlert;
    assert.ok(Date.parse(first.endsAt) > Date.now(), 'firing');
    await waitPosts(2); // the re-send, about a second later
    open.observe('MODIFIED', alertFixture({ state: 'Resolved' }));
    const before = posts.length;
    await waitPosts(before + 1);
    const last = posts.at(-1)?.[0] as PostableAlert;
    assert.ok(Date.parse(last.endsAt) <= Date.now(), 'resolved');
    assert.deepEqual(last.labels, first.labels);
    await sink.stop();
  });

  it('refuses a re-send interval that is not below the TTL', () => {
    const settings = {
      alertmanagerUrls: url,
      alertmanagerTtlSeconds: 5,
      alertmanagerResendSeconds: 5,
    } as Settings;
    assert.throws(
      () =>
        alertmanagerSink({
          settings,
          client: new FakeCluster(),
          clock: { now: () => new Date() },
          log: silentLogger(),
          open: new OpenAlerts(() => {}, silentLogger()),
          routed: () => true,
          metrics: { sent: () => {}, failed: () => {}, retried: () => {}, depth: () => {} },
        }),
      /alertmanagerResendSeconds must be below alertmanagerTtlSeconds/,
    );
  });
});
