import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Settings } from '../../../src/config/schema.js';
import { OpenAlerts } from '../../../src/notify/open-alerts.js';
import type { FailureReason } from '../../../src/notify/outbox.js';
import { type AlertNotice, viewOf } from '../../../src/notify/sink.js';
import {
  payloadFor,
  signature,
  verifySignature,
  type WebhookPayload,
  webhookSink,
} from '../../../src/notify/webhook.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { alertFixture } from './fixtures.js';

const notice = (type: AlertNotice['type'], name = 'a-1'): AlertNotice => {
  const a = alertFixture({ name });
  return { type, alert: viewOf(a), time: a.spec.detectedAt };
};

describe('webhook signature', () => {
  const key = 'k3y';
  const body = '{"x":1}';

  it('is HMAC-SHA256 over "<timestamp>.<body>", hex, with a sha256= prefix', () => {
    // printf '%s' '1700000000.{"x":1}' | openssl dgst -sha256 -hmac k3y
    assert.equal(
      signature(key, '1700000000', body),
      'sha256=6361e5a25ec5783ffd9e5d38571383daf5f231adbd0ad9a7e89b2ae5a01718e2',
    );
  });

  const cases: { name: string; sig?: string; ts?: string; body?: string; now?: number; want: boolean }[] = [
    { name: 'valid', want: true },
    { name: 'body changed', body: '{"x":2}', want: false },
    { name: 'timestamp changed (replay with a fresh timestamp)', ts: '1700000001', want: false },
    { name: 'too old', now: 1700000000 + 301, want: false },
    { name: 'signed with another key', sig: signature('other', '1700000000', body), want: false },
    { name: 'no signature', sig: '', want: false },
    { name: 'not a number', ts: 'yesterday', want: false },
  ];
  for (const c of cases) {
    it(`verifies: ${c.name}`, () => {
      const sig = c.sig ?? signature(key, '1700000000', body);
      const ok = verifySignature(
        key,
        { signature: sig, timestamp: c.ts ?? '1700000000' },
        c.body ?? body,
        c.now ?? 1700000010,
      );
      assert.equal(ok, c.want);
    });
  }

  it('carries the alert essentials, a stable id and the command, never evidence', () => {
    const p = payloadFor(notice('raised'));
    assert.equal(p.type, 'raised');
    assert.equal(p.id, 'a-1/raised/2026-11-23T12:00:00Z');
    assert.equal(p.alert.subject.name, 'storefront');
    assert.equal(p.command, 'kubectl describe auditalert a-1');
    assert.ok(!JSON.stringify(p).includes('xxxxxxxx'), 'no evidence');
  });
});

describe('webhook sink', () => {
  let server: http.Server;
  let dir: string;
  const got: { body: string; headers: http.IncomingHttpHeaders }[] = [];
  let answers: number[] = [];
  let url = '';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tripline-webhook-'));
    writeFileSync(path.join(dir, 'key'), 's3cret\n');
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        got.push({ body, headers: req.headers });
        res.writeHead(answers.shift() ?? 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function sink(extra: Partial<Settings> = {}) {
    const counts = { sent: 0, retried: 0, failed: {} as Record<string, number> };
    const s = webhookSink({
      settings: {
        webhookUrl: url,
        webhookSecretFile: path.join(dir, 'key'),
        notifyQueueSize: 10,
        notifyMaxAttempts: 3,
        notifyTimeoutSeconds: 5,
        backoffBaseMs: 1,
        backoffMaxMs: 2,
        ...extra,
      } as Settings,
      client: new FakeCluster(),
      clock: { now: () => new Date() },
      log: silentLogger(),
      open: new OpenAlerts(() => {}, silentLogger()),
      routed: () => true,
      metrics: {
        sent: (n) => {
          counts.sent += n;
        },
        failed: (r: FailureReason, n) => {
          counts.failed[r] = (counts.failed[r] ?? 0) + n;
        },
        retried: () => {
          counts.retried++;
        },
        depth: () => {},
      },
    });
    s.start?.();
    return { s, counts };
  }

  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cond());
  };

  it('posts signed JSON; retries 500s, not 400s; skips remediation notices', async () => {
    got.length = 0;
    answers = [500, 500, 200, 400];
    const { s, counts } = sink();
    s.notify?.(notice('raised', 'one'));
    s.notify?.(notice('remediated', 'skipped'));
    s.notify?.(notice('resolved', 'two'));
    await until(() => counts.sent === 1 && counts.failed.rejected === 1);
    assert.equal(got.length, 4, '3 tries of the first, 1 of the refused one');
    assert.equal(counts.retried, 2);
    for (const g of got) {
      const sig = g.headers['x-tripline-signature'] as string;
      const ts = g.headers['x-tripline-timestamp'] as string;
      assert.ok(
        verifySignature('s3cret', { signature: sig, timestamp: ts }, g.body, Math.floor(Date.now() / 1000)),
      );
      assert.equal(g.headers['content-type'], 'application/json');
    }
    const types = got.map((g) => (JSON.parse(g.body) as WebhookPayload).type);
    assert.deepEqual(types, ['raised', 'raised', 'raised', 'resolved']);
    assert.equal(got[0]?.headers['x-tripline-delivery'], got[2]?.headers['x-tripline-delivery']);
    await s.stop();
  });

  it('refuses to start without a secret file or with an unreadable one', () => {
    assert.throws(() => sink({ webhookSecretFile: '' }), /webhookSecretFile is required/);
    assert.throws(
      () => sink({ webhookSecretFile: path.join(dir, 'missing') }),
      /webhookSecretFile: the file/,
    );
  });
});
