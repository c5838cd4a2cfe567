import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createNamespace, WORKLOADS } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { type Alertmanager, type Received, Receiver, startAlertmanager } from './notify-support.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  applyDetections,
  detectionManifest,
  installCrds,
  kubectlOk,
  patchAlertStatus,
  suffix,
  waitDetectionReady,
  waitForAlerts,
} from './support/cluster.js';

const KEY = 'e2e-webhook-key';
const POLICY_REPORT_CRDS = path.join(repoRoot(), 'test/fixtures/crds/wgpolicyk8s.io_policyreports.yaml');

interface Payload {
  type: string;
  id: string;
  alert: { name: string; detection: string; subject: { name: string }; severity: string };
}

/** What a receiver does with the README's recipe: HMAC-SHA256 over "<timestamp>.<body>", fresh timestamp. */
function signedByKey(r: Received): boolean {
  const ts = String(r.headers['x-tripline-timestamp']);
  const want = `sha256=${createHmac('sha256', KEY).update(`${ts}.${r.body}`).digest('hex')}`;
  return r.headers['x-tripline-signature'] === want && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
}

describe('notify: Alertmanager, webhook, Slack and PolicyReport sinks', function () {
  this.timeout(240_000);
  const id = suffix();
  const ns = `notify-${id}`;
  const det = { pods: `notify-pods-${id}`, quiet: `notify-quiet-${id}`, roles: `notify-roles-${id}` };
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;
  let am: Alertmanager;
  let webhook: Receiver;
  let slack: Receiver;
  let dir: string;
  const alerts = new Map<string, AuditAlert>(); // by subject name

  const payloads = (r: Receiver) => r.json<Payload>();
  // Only this suite's detections: the default ones (when another suite applied them) alert too.
  const forSubject = (r: Receiver, subject: string, type = 'raised') =>
    payloads(r).filter(
      (p) =>
        p.json.alert.subject.name === subject &&
        p.json.type === type &&
        (Object.values(det) as string[]).includes(p.json.alert.detection),
    );

  async function raise(kind: 'pod' | 'configmap' | 'clusterrole', name: string): Promise<AuditAlert> {
    let obj: KubeObject;
    if (kind === 'pod') {
      const pod = WORKLOADS[0] as (typeof WORKLOADS)[number];
      obj = await create(c, pod.collection(ns), pod.body(name));
    } else if (kind === 'configmap') {
      obj = await create(c, `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { a: 'b' } });
    } else {
      obj = await create(c, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        metadata: { name, labels: { 'tripline-e2e': id } },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      });
    }
    const mine = new Set(Object.values(det));
    const found = (await waitForAlerts(c, obj.metadata.uid as string)).find((a) =>
      mine.has(a.spec.detection.name),
    );
    assert.ok(found, `an alert of this suite for ${kind} ${name}`);
    alerts.set(name, found);
    return found;
  }

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    am = await startAlertmanager();
    webhook = await Receiver.start();
    slack = await Receiver.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'tripline-notify-'));
    writeFileSync(path.join(dir, 'webhook-key'), `${KEY}\n`);
    writeFileSync(path.join(dir, 'slack-url'), slack.url);
    await installCrds(cp);
    await createNamespace(c, ns);
    await kubectlOk(cp, ['delete', '--ignore-not-found', '-f', POLICY_REPORT_CRDS]);
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      detectionManifest(det.pods, {
        severity: 'High',
        category: 'Workload',
        resources: [{ version: 'v1', resource: 'pods' }],
        match: { namespaces: { include: [ns] } },
      }),
    );
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      detectionManifest(det.quiet, {
        severity: 'Critical',
        category: 'Other',
        resources: [{ version: 'v1', resource: 'configmaps' }],
        match: { namespaces: { include: [ns] } },
        notify: { sinks: ['events'] },
      }),
    );
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      detectionManifest(det.roles, {
        severity: 'Medium',
        category: 'RBAC',
        resources: [{ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' }],
        match: { objectSelector: { matchLabels: { 'tripline-e2e': id } } },
      }),
    );
    // Sinks deliver in order, one at a time: alerts of the default detections (applied by other
    // suites) would queue ahead of this suite's and make retry counts depend on suite order.
    await kubectlOk(cp, [
      'delete',
      '--ignore-not-found',
      '-k',
      path.join(repoRoot(), 'manifests/detections'),
    ]);
    webhook.answer = () => 500; // the webhook is down when the first alerts are raised
    op = await startOperator(cp.kubeconfigPath, [
      ...[
        '--alertmanager-urls',
        am.url,
        '--alertmanager-ttl-seconds',
        '6',
        '--alertmanager-resend-seconds',
        '2',
      ],
      ...['--webhook-url', webhook.url, '--webhook-secret-file', path.join(dir, 'webhook-key')],
      ...['--slack-webhook-url-file', path.join(dir, 'slack-url'), '--slack-min-severity', 'High'],
      ...['--policy-report-discovery-seconds', '2', '--notify-max-attempts', '100'],
      ...['--backoff-base-ms', '100', '--backoff-max-ms', '1000', '--watermark-flush-seconds', '1'],
    ]);
    await op.waitReady();
    for (const d of Object.values(det)) await waitDetectionReady(c, d);
  });

  after(async () => {
    for (const d of Object.values(det))
      await cp?.kubectl(['delete', '--ignore-not-found', 'auditdetection', d]);
    await cp?.kubectl(['delete', '--ignore-not-found', 'clusterrole', `reader-${id}`]);
    await cp?.kubectl(['delete', '--ignore-not-found', '-f', POLICY_REPORT_CRDS]);
    if (cp) await applyDetections(cp); // the default detections, as the other suites expect them
    if (op?.running()) await op.stop();
    await am?.stop();
    await webhook?.close();
    await slack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    c?.close();
  });

  it('raises alerts while the webhook answers 500, and keeps retrying it', async () => {
    for (const n of ['web-1', 'web-2', 'web-3']) await raise('pod', n);
    await waitFor(() => forSubject(webhook, 'web-1').length >= 2, 30_000, 'the web-1 payload retried');
    assert.ok(
      webhook.got.every((g) => g.status === 500),
      'every delivery so far was answered 500',
    );
    await waitFor(
      async () => (await op.metric('tripline_notification_retries_total', { sink: 'webhook' })) >= 3,
      30_000,
      'retries counted',
    );
    assert.equal(await op.metric('tripline_notifications_sent_total', { sink: 'webhook' }), 0);
  });

  it('delivers every payload, signed, once the webhook answers again', async () => {
    webhook.answer = (body) =>
      (JSON.parse(body) as Payload).alert.subject.name.startsWith('reject-') ? 400 : 200;
    for (const n of ['web-1', 'web-2', 'web-3']) {
      await waitFor(() => forSubject(webhook, n).some((p) => p.status === 200), 60_000, `delivery for ${n}`);
    }
    for (const g of webhook.got) assert.ok(signedByKey(g), `signature of ${g.body.slice(0, 80)}`);
    const first = forSubject(webhook, 'web-1');
    assert.ok(first.length >= 2, 'the first payload was tried more than once');
    assert.equal(new Set(first.map((p) => p.json.id)).size, 1, 'retries carry the same delivery id');
    assert.equal(first[0]?.json.alert.name, alerts.get('web-1')?.metadata?.name);
    assert.equal(first[0]?.json.alert.detection, det.pods);
  });

  it('does not retry a payload the webhook refuses with 400', async () => {
    await raise('pod', 'reject-1');
    await waitFor(
      async () =>
        (await op.metric('tripline_notifications_failed_total', { sink: 'webhook', reason: 'rejected' })) >=
        1,
      30_000,
      'a rejected delivery counted',
    );
    // Later notifications still flow: the refused one is behind us, not blocking the queue.
    await raise('pod', 'web-4');
    await waitFor(() => forSubject(webhook, 'web-4').length > 0, 30_000, 'the next delivery');
    assert.equal(forSubject(webhook, 'reject-1').length, 1, 'tried once');
  });

  it('fires the alert in Alertmanager with the documented labels and annotations', async () => {
    const a = alerts.get('web-1') as AuditAlert;
    const name = a.metadata?.name as string;
    await waitFor(
      async () => (await am.alerts({ tripline_alert: name })).length === 1,
      30_000,
      'in Alertmanager',
    );
    const [got] = await am.alerts({ tripline_alert: name });
    assert.deepEqual(got?.labels, {
      alertname: det.pods,
      severity: 'high',
      detection: det.pods,
      category: 'Workload',
      namespace: ns,
      subject_kind: 'Pod',
      subject_name: 'web-1',
      tripline_alert: name,
    });
    assert.equal(got?.annotations.summary, a.spec.summary);
    assert.equal(got?.annotations.runbook, `kubectl describe auditalert ${name}`);
    assert.match(got?.annotations.description ?? '', new RegExp(`Created Pod web-1 in namespace ${ns}`));
    assert.equal(got?.status.state, 'active');
  });

  it('keeps it firing past its TTL by re-sending before endsAt', async () => {
    const name = alerts.get('web-1')?.metadata?.name as string;
    const [before] = await am.alerts({ tripline_alert: name });
    // The TTL is 6 s: without re-sends Alertmanager would have resolved it by then.
    await new Promise((r) => setTimeout(r, 8000));
    const [after] = await am.alerts({ tripline_alert: name }, true);
    assert.ok(after, 'still active');
    assert.ok(Date.parse(after.endsAt) > Date.parse(before?.endsAt ?? ''), 'endsAt moved forward');
  });

  it('sends Slack-compatible payloads for alerts at or above slackMinSeverity only', async () => {
    await raise('clusterrole', `reader-${id}`); // Medium: below High
    await raise('pod', 'web-5'); // High, raised after the ClusterRole's alert
    await waitFor(
      () =>
        slack
          .json<{ text: string }>()
          .some((m) => m.json.text.includes(alerts.get('web-5')?.metadata?.name as string)),
      30_000,
      'the Slack message of web-5',
    );
    const m = slack.json<{ text: string; blocks: { type: string }[] }>();
    const roleAlert = alerts.get(`reader-${id}`)?.metadata?.name as string;
    assert.ok(!m.some((x) => x.body.includes(roleAlert)), 'nothing below High');
    const web1 = m.find((x) => x.json.text.includes(alerts.get('web-1')?.metadata?.name as string));
    assert.ok(web1, 'web-1 reached Slack');
    assert.match(web1.json.text, /^\[High\] AuditAlert \S+ raised: /);
    assert.deepEqual(web1.json.blocks.map((b) => b.type).slice(0, 2), ['header', 'section']);
    assert.equal(web1.headers['content-type'], 'application/json');
  });

  it("follows the detection's notify.sinks: an events-only detection reaches no other sink", async () => {
    const quiet = await raise('configmap', 'settings');
    await raise('pod', 'web-6'); // raised after, so its deliveries come after the quiet one's would have
    const web6 = alerts.get('web-6')?.metadata?.name as string;
    await waitFor(() => forSubject(webhook, 'web-6').length > 0, 30_000, 'webhook got web-6');
    await waitFor(async () => (await am.alerts({ tripline_alert: web6 })).length > 0, 30_000, 'AM got web-6');
    const quietName = quiet.metadata?.name as string;
    assert.ok(!webhook.got.some((g) => g.body.includes(quietName)), 'not on the webhook');
    assert.ok(!slack.got.some((g) => g.body.includes(quietName)), 'not on Slack');
    assert.deepEqual(await am.alerts({ tripline_alert: quietName }), [], 'not in Alertmanager');
    // ...while the webhook got the Medium ClusterRole alert (its minimum is Info).
    assert.ok(forSubject(webhook, `reader-${id}`).length > 0);
  });

  it('writes PolicyReport results once the CRDs are installed (found on the discovery interval)', async () => {
    await kubectlOk(cp, ['apply', '-f', POLICY_REPORT_CRDS]);
    await kubectlOk(cp, [
      'wait',
      '--for=condition=Established',
      'crd/policyreports.wgpolicyk8s.io',
      'crd/clusterpolicyreports.wgpolicyk8s.io',
    ]);
    const results = async (args: string[]) =>
      (
        JSON.parse(await kubectlOk(cp, [...args, '-o', 'json'])) as {
          results?: { properties: { alert: string } }[];
        }
      ).results ?? [];
    const names = (rs: { properties: { alert: string } }[]) => rs.map((r) => r.properties.alert);
    const web1 = alerts.get('web-1')?.metadata?.name as string;
    await waitFor(
      async () => names(await results(['get', 'policyreport', 'tripline', '-n', ns])).includes(web1),
      60_000,
      'the PolicyReport of the namespace',
    );
    const report = JSON.parse(
      await kubectlOk(cp, ['get', 'policyreport', 'tripline', '-n', ns, '-o', 'json']),
    );
    const r = report.results.find((x: { properties: { alert: string } }) => x.properties.alert === web1);
    assert.equal(r.policy, det.pods);
    assert.equal(r.result, 'fail');
    assert.equal(r.severity, 'high');
    assert.equal(r.source, 'tripline');
    assert.deepEqual(r.resources[0].name, 'web-1');
    assert.ok(report.summary.fail >= 5, JSON.stringify(report.summary));
    const quiet = alerts.get('settings')?.metadata?.name as string;
    assert.ok(!names(report.results).includes(quiet), 'an events-only detection has no result');
    const role = alerts.get(`reader-${id}`)?.metadata?.name as string;
    await waitFor(
      async () => names(await results(['get', 'clusterpolicyreport', 'tripline'])).includes(role),
      30_000,
      'the ClusterPolicyReport has the ClusterRole alert',
    );
  });

  it('resolving an alert ends it in Alertmanager, tells the webhook and removes its result', async () => {
    const name = alerts.get('web-1')?.metadata?.name as string;
    await patchAlertStatus(cp, name, { state: 'Resolved', reason: 'Expected', note: 'e2e' });
    await waitFor(
      async () => (await am.alerts({ tripline_alert: name }, true)).length === 0,
      30_000,
      'inactive',
    );
    assert.deepEqual(await am.alerts({ tripline_alert: name }), [], 'not listed at all: endsAt has passed');
    await waitFor(() => forSubject(webhook, 'web-1', 'resolved').length > 0, 30_000, 'a resolved payload');
    assert.ok(forSubject(webhook, 'web-1', 'resolved').every(signedByKey));
    await waitFor(
      async () => {
        const rep = JSON.parse(
          await kubectlOk(cp, ['get', 'policyreport', 'tripline', '-n', ns, '-o', 'json']),
        );
        return !JSON.stringify(rep.results).includes(name);
      },
      30_000,
      'the result removed',
    );
    // The other open alerts of the suite are still firing.
    const web2 = alerts.get('web-2')?.metadata?.name as string;
    assert.equal((await am.alerts({ tripline_alert: web2 }, true)).length, 1);
  });

  it('counts on /metrics what each sink sent, retried and gave up', async () => {
    const m = (name: string, labels: Record<string, string>) => op.metric(name, labels);
    assert.ok((await m('tripline_notifications_sent_total', { sink: 'webhook' })) >= 6);
    assert.ok((await m('tripline_notifications_sent_total', { sink: 'alertmanager' })) > 0);
    assert.ok((await m('tripline_notifications_sent_total', { sink: 'slack' })) >= 5);
    assert.ok((await m('tripline_notifications_sent_total', { sink: 'policyreport' })) > 0);
    assert.ok((await m('tripline_notifications_sent_total', { sink: 'events' })) > 0);
    assert.ok((await m('tripline_notification_retries_total', { sink: 'webhook' })) >= 3);
    assert.ok((await m('tripline_notifications_failed_total', { sink: 'webhook', reason: 'rejected' })) >= 1);
    assert.equal(await m('tripline_notifications_failed_total', { sink: 'alertmanager' }), 0);
    assert.ok((await m('tripline_open_alerts', { severity: 'High' })) >= 5);
  });
});
