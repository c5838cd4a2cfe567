import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Settings } from '../../../src/config/schema.js';
import { OpenAlerts } from '../../../src/notify/open-alerts.js';
import { type AlertNotice, viewOf } from '../../../src/notify/sink.js';
import { escapeMrkdwn, slackMessage, slackSink } from '../../../src/notify/slack.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { alertFixture } from './fixtures.js';

interface Block {
  type: string;
  text?: { type: string; text: string };
  fields?: { text: string }[];
  elements?: { text: string }[];
}

describe('Slack message', () => {
  const a = alertFixture({ severity: 'High' });
  const n: AlertNotice = { type: 'raised', alert: viewOf(a), time: a.spec.detectedAt };

  it('has a text line for notifications and Mattermost, and header/section/context blocks', () => {
    const m = slackMessage(n);
    assert.equal(
      m.text,
      '[High] AuditAlert ingress-created-0123456789 raised: New Ingress storefront exposes shop.example.com without TLS — kubectl describe auditalert ingress-created-0123456789',
    );
    const blocks = m.blocks as Block[];
    assert.deepEqual(
      blocks.map((b) => b.type),
      ['header', 'section', 'section', 'context'],
    );
    assert.equal(blocks[0]?.text?.type, 'plain_text');
    assert.ok(blocks[1]?.fields?.some((f) => f.text.includes('Ingress shop/storefront')));
    assert.match(blocks[2]?.text?.text ?? '', /Medium: No TLS/);
  });

  it('names who resolved it and why', () => {
    const r = alertFixture({ state: 'Resolved' });
    const m = slackMessage({ type: 'resolved', alert: viewOf(r), time: 't', by: 'alice' });
    assert.match(m.text, /resolved by alice \(Expected\)/);
  });

  it('escapes Slack markup so names cannot inject links or mentions', () => {
    assert.equal(escapeMrkdwn('<!channel> & <http://x|y>'), '&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
    const evil = alertFixture({ subjectName: '<!here>' });
    const m = slackMessage({ type: 'raised', alert: viewOf(evil), time: 't' });
    assert.ok(!JSON.stringify(m).includes('<!here>'));
  });

  it("keeps within Slack's block limits", () => {
    const long = alertFixture({ subjectName: 'x'.repeat(5000) });
    const m = slackMessage({ type: 'raised', alert: viewOf(long), time: 't' });
    const blocks = m.blocks as Block[];
    assert.ok((blocks[0]?.text?.text.length ?? 0) <= 150);
    for (const f of blocks[1]?.fields ?? []) assert.ok(f.text.length <= 2000);
    assert.ok((blocks[1]?.text?.text.length ?? 0) <= 3000);
  });
});

describe('Slack sink start-up', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tripline-slack-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const make = (file: string) =>
    slackSink({
      settings: {
        slackWebhookUrlFile: file,
        notifyQueueSize: 1,
        notifyMaxAttempts: 1,
        notifyTimeoutSeconds: 1,
        backoffBaseMs: 1,
        backoffMaxMs: 1,
      } as Settings,
      client: new FakeCluster(),
      clock: { now: () => new Date() },
      log: silentLogger(),
      open: new OpenAlerts(() => {}, silentLogger()),
      routed: () => true,
      metrics: { sent: () => {}, failed: () => {}, retried: () => {}, depth: () => {} },
    });

  it('refuses a file that holds no URL, without quoting the file', () => {
    const f = path.join(dir, 'bad');
    writeFileSync(f, 'T0KEN-not-a-url');
    assert.throws(
      () => make(f),
      (err: Error) => /does not hold a URL/.test(err.message) && !JSON.stringify(err).includes('T0KEN'),
    );
  });

  it('starts with a file holding a URL', async () => {
    const f = path.join(dir, 'good');
    writeFileSync(f, 'https://hooks.slack.example/services/T/B/X\n');
    const s = make(f);
    assert.equal(s.id, 'slack');
    await s.stop();
  });
});
