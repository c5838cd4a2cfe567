/**
 * Hostile inputs (issue 16), the listeners: the admission webhook and the audit receiver, which can
 * change who an alert names and so which alerts an exception suppresses, and the probe/metrics
 * listener. A control plane of its own presents a client certificate (CN kube-apiserver, signed by
 * the cluster CA) to the webhook through an AdmissionConfiguration; the operator runs as a process
 * with both receivers pinned to that name. The attacker is any Pod that reaches the ports: no
 * certificate, or one the same CA signed for a kubelet.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ADMIN_USER, issueCert } from '../../../hack/controlplane/certs.js';
import { type ControlPlane, startControlPlane } from '../../../hack/controlplane/index.js';
import { freePorts } from '../../../hack/controlplane/processes.js';
import { type OperatorProcess, startOperator, waitFor } from '../../../hack/operator-process.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { KubeClient } from '../../../src/kube/client.js';
import {
  adminClient,
  alertsFor,
  getAlert,
  installCrds,
  kubectlOk,
  patchAlertStatus,
  suffix,
} from '../support/cluster.js';
import {
  type Client,
  exceptionDetection,
  forgedAuditEvents,
  forgedReview,
  forgedStatusReview,
  holdBody,
  ingress,
  type Outcome,
  post,
  refused,
  stalledConnection,
  webhookConfiguration,
} from './listeners-support.js';
import { deploymentMemoryLimit, peakRss } from './memory.js';

const OPERATOR_NS = 'tripline-system';
const APISERVER = 'kube-apiserver';
const MiB = 1024 * 1024;

/** The API server's client identity, pinned on both receivers (what the hardened operator requires). */
const pinning = (ca: string): string[] => [
  '--admission-client-ca-file',
  ca,
  '--admission-client-names',
  APISERVER,
  '--audit-client-names',
  APISERVER,
];

export function listenerAttacks(): void {
  const ns = `hostile-listeners-${suffix()}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;
  let admissionPort: number;
  let auditPort: number;
  let apiserver: Client;
  let kubelet: Client;
  const attackers = (): Array<{ who: string; client: Client }> => [
    { who: 'no certificate', client: undefined },
    { who: 'a kubelet certificate from the same CA', client: kubelet },
  ];

  const operatorArgs = (): string[] => [
    '--admission-bind-address',
    `127.0.0.1:${admissionPort}`,
    '--audit-bind-address',
    `127.0.0.1:${auditPort}`,
    '--audit-client-ca-file',
    cp.caPath,
    ...pinning(cp.caPath),
    '--attribution-cert-hosts',
    '127.0.0.1',
    '--attribution-wait-ms',
    '0',
    '--pod-namespace',
    OPERATOR_NS,
    '--watch-stall-seconds',
    '5',
  ];

  before(async () => {
    [admissionPort, auditPort] = (await freePorts(2)) as [number, number];
    cp = await startControlPlane({
      webhookClient: { commonName: APISERVER },
      log: (m) => process.stderr.write(`      ${m}\n`),
    });
    c = adminClient(cp);
    const pem = (p: string) => readFile(p, 'utf8');
    const ca = { certPath: cp.caPath, keyPath: path.join(cp.dir, 'ca.key'), cert: '', key: '' };
    const node = await issueCert(ca, cp.dir, 'kubelet-worker-1', {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes'],
      usage: 'client',
    });
    kubelet = { cert: node.cert, key: node.key };
    const wc = cp.webhookClientCert;
    assert.ok(wc, 'the control plane presents a webhook client certificate');
    apiserver = { cert: await pem(wc.certPath), key: await pem(wc.keyPath) };
    await installCrds(cp);
    await kubectlOk(cp, ['create', 'namespace', OPERATOR_NS]);
    await kubectlOk(cp, ['create', 'namespace', ns]);
    await kubectlOk(cp, ['apply', '-f', '-'], await webhookConfiguration(admissionPort));
    op = await startOperator(cp.kubeconfigPath, operatorArgs());
    await op.waitReady();
    // The API server reaches the webhook once the operator put its CA into the caBundle.
    await waitFor(
      async () => {
        await kubectlOk(cp, ['create', 'configmap', `probe-${suffix()}`, '-n', ns]);
        await kubectlOk(cp, ['create', 'namespace', `warmup-${suffix()}`]);
        return (
          (await op.metric('tripline_actor_records_total', { source: 'admission', outcome: 'recorded' })) > 0
        );
      },
      60_000,
      'the API server calling the webhook with its client certificate',
    );
  });

  after(async () => {
    if (op?.running()) await op.stop();
    c?.close();
    await cp?.stop();
  });

  it('the operator refuses to start a receiver without client authentication, naming the flags', async () => {
    const cases = [
      {
        args: ['--admission-bind-address', '127.0.0.1:0'],
        error: /--admission-bind-address needs client authentication/,
      },
      {
        args: ['--audit-bind-address', '127.0.0.1:0', '--audit-client-ca-file', cp.caPath],
        error: /--audit-client-ca-file needs --audit-client-names/,
      },
    ];
    for (const k of cases) {
      const started = await startOperator(cp.kubeconfigPath, [
        ...k.args,
        '--pod-namespace',
        OPERATOR_NS,
      ]).then(
        (o) => o,
        (err: unknown) => err as Error,
      );
      if (!(started instanceof Error)) {
        await started.stop();
        assert.fail(`the operator started with ${k.args.join(' ')}`);
      }
      assert.match(started.message, k.error);
    }
  });

  it('the webhook and the audit receiver refuse no certificate and a kubelet certificate of the same CA', async () => {
    const review = forgedReview({
      operation: 'CREATE',
      uid: 'b7c0ffee-0000-4000-8000-000000000001',
      name: 'x',
      namespace: ns,
      username: 'tenant-dev',
      groups: [],
    });
    const events = forgedAuditEvents(ns, 'x', 'tenant-dev');
    const outcomes: Record<string, Outcome> = {};
    for (const a of attackers()) {
      outcomes[`admission, ${a.who}`] = await post(admissionPort, '/admission', review, a.client);
      outcomes[`audit, ${a.who}`] = await post(auditPort, '/audit', events, a.client);
    }
    const served = Object.entries(outcomes).filter(([, o]) => !refused(o));
    assert.deepEqual(
      served.map(([k, o]) => `${k}: ${JSON.stringify(o)}`),
      [],
      'requests that reached a handler',
    );
    // The pinned identity is served: the refusals are about who asks, not a broken listener.
    assert.deepEqual(await post(auditPort, '/audit', { items: [] }, apiserver), { status: 200 });
  });

  const det = `hostile-except-${suffix()}`;
  /** An Ingress the admin created, and its Created alert of the detection whose exception names tenant-dev. */
  const watchedIngress = async () => {
    await kubectlOk(cp, ['apply', '-f', '-'], JSON.stringify(exceptionDetection(det, ns)));
    const x = await c.request<{ metadata: { uid: string; name: string } }>(
      'POST',
      `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
      { body: ingress(`shop-${suffix()}`, 'shop.example.com') },
    );
    let created: AuditAlert | undefined;
    await waitFor(
      async () => {
        created = (await ofDetection(x.metadata.uid, 'Created'))[0];
        return created?.spec.actor?.username === ADMIN_USER;
      },
      60_000,
      'the Created alert naming the admin',
    );
    return { ...x.metadata, alert: created?.metadata?.name as string };
  };
  const ofDetection = async (uid: string, event: string) =>
    (await alertsFor(c, uid)).filter((a) => a.spec.detection.name === det && a.spec.event === event);

  it('forged AdmissionReviews make no exception match and leave the real creator in place', async () => {
    const x = await watchedIngress();
    // The attacker claims tenant-dev (whom the exception names) created the Ingress, after 17
    // writes meant to push the real creator out of the records kept per object.
    const forged = (operation: 'CREATE' | 'UPDATE') =>
      forgedReview({
        operation,
        uid: x.uid,
        name: x.name,
        namespace: ns,
        username: 'tenant-dev',
        groups: ['devs'],
      });
    for (const a of attackers()) {
      for (let i = 0; i < 17; i++) await post(admissionPort, '/admission', forged('UPDATE'), a.client);
      await post(admissionPort, '/admission', forged('CREATE'), a.client);
    }
    const spec = ingress('', 'changed.example.com').spec;
    await kubectlOk(cp, [
      'patch',
      'ingress',
      x.name,
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec }),
    ]);
    let updated: AuditAlert | undefined;
    await waitFor(
      async () => {
        updated = (await ofDetection(x.uid, 'Updated'))[0];
        return updated !== undefined;
      },
      60_000,
      'the Updated alert (the exception must not match: the admin created the Ingress)',
    );
    assert.equal(updated?.spec.actor?.username, ADMIN_USER);
    assert.equal(await op.metric('tripline_suppressed_total', { detection: det }), 0);
  });

  it('forged status reviews put no name into history[].by', async () => {
    const x = await watchedIngress();
    for (const a of attackers())
      await post(
        admissionPort,
        '/admission',
        forgedStatusReview(x.alert, 'Acknowledged', 'mallory'),
        a.client,
      );
    // The webhook does not see every real change (failurePolicy Ignore: a timeout, a failover);
    // here a controller ownerReference makes its match condition skip the real status patch, so
    // history[].by can only name what the store held before.
    const nsUid = await kubectlOk(cp, ['get', 'namespace', ns, '-o', 'jsonpath={.metadata.uid}']);
    const owner = { apiVersion: 'v1', kind: 'Namespace', name: ns, uid: nsUid, controller: true };
    const meta = JSON.stringify({ metadata: { ownerReferences: [owner] } });
    await kubectlOk(cp, ['patch', 'auditalert', x.alert, '--type=merge', '-p', meta]);
    await patchAlertStatus(cp, x.alert, { state: 'Acknowledged' });
    const entries = async () => (await getAlert(c, x.alert)).status?.history ?? [];
    await waitFor(
      async () => (await entries()).some((h) => h.to === 'Acknowledged'),
      30_000,
      'the Acknowledged history entry',
    );
    assert.deepEqual(
      (await entries()).map((h) => [h.to, h.by]),
      [['Acknowledged', undefined]],
      'history[].by names nobody the API server did not report',
    );
  });

  it('many connections holding multi-MiB bodies keep the operator under its memory limit, and it stays healthy', async () => {
    const limit = await deploymentMemoryLimit();
    const held = await Promise.all([
      // Attackers: the old webhook buffered every body up to 8 MiB from anyone.
      ...Array.from({ length: 16 }, () => holdBody(admissionPort, '/admission', 7.5 * MiB, undefined)),
      ...Array.from({ length: 16 }, () => holdBody(admissionPort, '/admission', 7.5 * MiB, kubelet)),
      ...Array.from({ length: 4 }, () => holdBody(auditPort, '/audit', 7.5 * MiB, kubelet)),
      // The pinned identity itself (a misbehaving API server): bounded per request and in total.
      ...Array.from({ length: 16 }, () => holdBody(admissionPort, '/admission', 2.5 * MiB, apiserver)),
      ...Array.from({ length: 2 }, () => holdBody(admissionPort, '/admission', 8 * MiB, apiserver)),
    ]);
    try {
      // Let the server read what the kernel still buffers; the high-water mark only ever grows.
      await new Promise((r) => setTimeout(r, 5_000));
      const peak = await peakRss(op.proc.pid as number);
      process.stderr.write(`        operator peak RSS ${Math.round(peak / MiB)} MiB\n`);
      assert.ok(peak < limit, `peak RSS ${Math.round(peak / MiB)} MiB, limit ${limit / MiB} MiB`);
      assert.ok(op.running(), 'the operator is running');
      assert.equal((await op.probe('/healthz')).status, 200);
    } finally {
      for (const h of held) h.close();
    }
    // Still attributing real requests afterwards.
    const before = await op.metric('tripline_actor_records_total', {
      source: 'admission',
      outcome: 'recorded',
    });
    await kubectlOk(cp, ['create', 'namespace', `after-flood-${suffix()}`]);
    await waitFor(
      async () =>
        (await op.metric('tripline_actor_records_total', { source: 'admission', outcome: 'recorded' })) >
        before,
      30_000,
      'an admission record after the flood',
    );
  });

  it('the probe server closes stalled connections and keeps answering', async () => {
    const stalled = [
      stalledConnection(op.port, 'GET /healthz HTTP/1.1\r\nHost: tripline\r\n'),
      stalledConnection(op.port, ''),
    ];
    try {
      // A generous bound on purpose: the server's own deadlines are seconds, Node's defaults minutes.
      await waitFor(
        () => stalled.every((s) => s.closed()),
        40_000,
        'the probe server to close stalled connections',
      );
    } finally {
      for (const s of stalled) s.socket.destroy();
    }
    assert.equal((await op.probe('/healthz')).status, 200);
  });
}
