import assert from 'node:assert/strict';
import { withClusterLabel } from '../../../src/alerts/build.js';
import { loadSettings } from '../../../src/config/load.js';
import { alertLabels, postable } from '../../../src/notify/alertmanager.js';
import { REPORT_APIS, reportFor, resultFor } from '../../../src/notify/policyreport.js';
import { viewOf } from '../../../src/notify/sink.js';
import { slackMessage } from '../../../src/notify/slack.js';
import { payloadFor } from '../../../src/notify/webhook.js';
import { alertFixture } from './fixtures.js';

const alert = alertFixture({});
const view = viewOf(alert);
const notice = { type: 'raised' as const, alert: view, time: '2026-11-23T12:00:00Z' };
const [WG] = REPORT_APIS as [(typeof REPORT_APIS)[number]];

/** Where each sink shows the cluster: the value found there, undefined when absent. */
const places: { name: string; read(cluster: string): unknown }[] = [
  {
    name: 'AuditAlert label tripline.dev/cluster',
    read: (c) => withClusterLabel(alert, c).metadata?.labels?.['tripline.dev/cluster'],
  },
  { name: 'Alertmanager label cluster', read: (c) => alertLabels(view, c).cluster },
  {
    name: 'Alertmanager postable labels',
    read: (c) => postable(view, true, new Date(), 1000, c).labels.cluster,
  },
  { name: 'webhook payload field cluster', read: (c) => payloadFor(notice, c).cluster },
  {
    name: 'Slack text',
    read: (c) => /^\[Medium\] \[([^\]]+)\] AuditAlert/.exec(slackMessage(notice, c).text)?.[1],
  },
  {
    name: 'Slack Cluster field',
    read: (c) => (JSON.stringify(slackMessage(notice, c).blocks).includes('*Cluster*') ? c : undefined),
  },
  {
    name: 'PolicyReport result property',
    read: (c) => (resultFor(view, c).properties as Record<string, string>).cluster,
  },
  {
    name: 'PolicyReport label',
    read: (c) =>
      (reportFor(WG, 'shop', [view], 10, c) as { metadata: { labels: Record<string, string> } }).metadata
        .labels['tripline.dev/cluster'],
  },
];

describe('cluster identity (--cluster-name)', () => {
  for (const p of places) {
    it(`${p.name}: carries the name when set`, () => assert.equal(p.read('prod-eu'), 'prod-eu'));
    it(`${p.name}: omitted when empty`, () => assert.equal(p.read(''), undefined));
  }

  it('leaves the rest of the alert untouched and does not change the input', () => {
    const before = JSON.stringify(alert);
    const labelled = withClusterLabel(alert, 'prod-eu');
    assert.equal(JSON.stringify(alert), before);
    assert.deepEqual(
      { ...labelled.metadata?.labels, 'tripline.dev/cluster': undefined },
      {
        ...alert.metadata?.labels,
        'tripline.dev/cluster': undefined,
      },
    );
    assert.equal(withClusterLabel(alert, ''), alert);
  });

  const settings: { name: string; value: string; ok: boolean }[] = [
    { name: 'a plain name', value: 'prod-eu', ok: true },
    { name: 'dots and underscores', value: 'eu.prod_1', ok: true },
    { name: 'empty (the default)', value: '', ok: true },
    { name: 'a space', value: 'prod eu', ok: false },
    { name: 'a leading dash', value: '-prod', ok: false },
    { name: 'more than 63 characters', value: 'x'.repeat(64), ok: false },
  ];
  for (const c of settings)
    it(`--cluster-name: ${c.name} is ${c.ok ? 'accepted' : 'refused'}`, () => {
      const load = () => loadSettings(['--cluster-name', c.value], {});
      if (c.ok) assert.equal(load().clusterName, c.value);
      else assert.throws(load, /clusterName|cluster-name/);
    });
});
