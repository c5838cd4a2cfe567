/**
 * Action detections end to end (issue 20): a kube-apiserver of its own with the admission overlay's
 * ValidatingWebhookConfiguration (both webhooks, by URL) and Tripline's audit policy and audit
 * webhook, as in actors.test.ts. Two replicas with leader election: the actions webhook is listed
 * twice, once per replica, so every CONNECT and token review reaches both; only the leader writes.
 *
 * No kubelet runs: `kubectl exec`, `attach` and `port-forward` fail after admission (the Pod has no
 * node), but the webhook has seen the CONNECT by then, which is all the detection needs.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { createCa, issueCert } from '../../hack/controlplane/certs.js';
import { type ControlPlane, type LocalUser, startControlPlane } from '../../hack/controlplane/index.js';
import { freePorts } from '../../hack/controlplane/processes.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeClient } from '../../src/kube/client.js';
import {
  adminClient,
  applyDetections,
  installCrds,
  kubectlOk,
  listAlerts,
  patchAlertStatus,
  suffix,
  waitDetectionReady,
} from './support/cluster.js';

const OPERATOR_NS = 'tripline-system';
const APISERVER_CLIENT = 'kube-apiserver';
const SECRET = 'tripline-webhook-certs';

interface Ports {
  a: number;
  b: number;
  audit: number;
}

/** The audit webhook kubeconfig (client cert named kube-apiserver) and the API server's audit flags. */
async function auditSetup(dir: string, auditPort: number) {
  const pki = path.join(dir, 'audit-pki');
  await mkdir(pki);
  const clientCa = await createCa(pki);
  const client = await issueCert(clientCa, pki, 'kube-apiserver-audit', {
    commonName: APISERVER_CLIENT,
    usage: 'client',
  });
  const receiverCaPath = path.join(dir, 'receiver-ca.crt');
  await copyFile(clientCa.certPath, receiverCaPath);
  const kubeconfig = path.join(dir, 'audit-webhook.kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 't',
          cluster: {
            server: `https://127.0.0.1:${auditPort}/audit`,
            'certificate-authority': receiverCaPath,
          },
        },
      ],
      users: [{ name: 'k', user: { 'client-certificate': client.certPath, 'client-key': client.keyPath } }],
      contexts: [{ name: 't', context: { cluster: 't', user: 'k' } }],
      'current-context': 't',
    }),
  );
  return {
    clientCaPath: clientCa.certPath,
    receiverCaPath,
    args: [
      `--audit-policy-file=${path.join(repoRoot(), 'manifests/webhooks/audit-policy.yaml')}`,
      `--audit-webhook-config-file=${kubeconfig}`,
      '--audit-webhook-batch-max-wait=1s',
      '--audit-webhook-initial-backoff=1s',
    ],
  };
}

/** The shipped webhook configuration by URL to replica a, with the actions webhook repeated for replica b. */
async function webhookConfiguration(ports: Ports): Promise<string> {
  const file = path.join(repoRoot(), 'manifests/webhooks/admission/validating-webhook.yaml');
  const vwc = parse(await readFile(file, 'utf8')) as {
    webhooks: Array<{ name: string; clientConfig: unknown }>;
  };
  for (const w of vwc.webhooks) w.clientConfig = { url: `https://127.0.0.1:${ports.a}/admission` };
  const actions = vwc.webhooks.find((w) => w.name === 'actions.tripline.dev');
  assert.ok(actions, 'the shipped configuration has the actions webhook');
  vwc.webhooks.push({
    ...actions,
    name: 'actions-b.tripline.dev',
    clientConfig: { url: `https://127.0.0.1:${ports.b}/admission` },
  });
  return JSON.stringify(vwc);
}

describe('actions: exec, attach, port-forward, token requests and Secret reads', function () {
  this.timeout(400_000);
  const ns = `actions-${suffix()}`;
  const lease = `tripline-actions-${suffix()}`;
  let dir: string;
  let cp: ControlPlane;
  let c: KubeClient;
  let a: OperatorProcess | undefined;
  let b: OperatorProcess | undefined;
  let tenant: LocalUser;
  const saved = { ...process.env };

  const operatorArgs = (ports: Ports, pod: string, clientCaPath: string, audit: boolean): string[] => [
    '--admission-bind-address',
    `127.0.0.1:${pod === 'replica-a' ? ports.a : ports.b}`,
    '--admission-client-ca-file',
    cp.caPath,
    '--admission-client-names',
    APISERVER_CLIENT,
    ...(audit
      ? [
          '--audit-bind-address',
          `127.0.0.1:${ports.audit}`,
          '--audit-client-ca-file',
          clientCaPath,
          '--audit-client-names',
          APISERVER_CLIENT,
        ]
      : []),
    '--attribution-cert-hosts',
    '127.0.0.1',
    '--pod-namespace',
    OPERATOR_NS,
    '--pod-name',
    pod,
    '--leader-elect=true',
    `--leader-election-namespace=${OPERATOR_NS}`,
    `--leader-election-id=${lease}`,
    '--lease-duration-seconds=15',
    '--renew-deadline-seconds=10',
    '--retry-period-seconds=1',
  ];

  /** kubectl as tenant-dev; the exit code is not checked (no kubelet: sessions fail after admission). */
  const asTenant = (args: string[]) => cp.kubectl(args, { kubeconfig: tenant.kubeconfigPath });

  /** The alerts of a detection about one target, newest episode last. */
  const episodes = async (detection: string, name: string): Promise<AuditAlert[]> =>
    (await listAlerts(c))
      .filter((x) => x.spec.detection.name === detection && x.spec.subject.name === name)
      .sort(
        (x, y) =>
          Number(x.metadata?.labels?.['tripline.dev/action-episode']) -
          Number(y.metadata?.labels?.['tripline.dev/action-episode']),
      );

  /** Waits until the detection's alerts about `name` satisfy `ok`; returns them. */
  async function alertsWhen(
    detection: string,
    name: string,
    ok: (xs: AuditAlert[]) => boolean,
    what: string,
  ) {
    let xs: AuditAlert[] = [];
    await waitFor(
      async () => {
        xs = await episodes(detection, name);
        return ok(xs);
      },
      60_000,
      what,
    );
    return xs;
  }
  const countOf = (x: AuditAlert | undefined, event: string): number =>
    x?.status?.action?.counts?.find((k) => k.event === event)?.count ?? 0;

  before(async () => {
    // One CONNECT per command: kubectl's WebSocket attempt would fall back to SPDY and ask twice.
    process.env.KUBECTL_REMOTE_COMMAND_WEBSOCKETS = 'false';
    process.env.KUBECTL_PORT_FORWARD_WEBSOCKETS = 'false';
    dir = await mkdtemp(path.join(os.tmpdir(), 'tripline-actions-e2e-'));
    const [pa, pb, paudit] = (await freePorts(3)) as [number, number, number];
    const ports: Ports = { a: pa, b: pb, audit: paudit };
    const audit = await auditSetup(dir, ports.audit);
    cp = await startControlPlane({
      extraApiServerArgs: audit.args,
      webhookClient: { commonName: APISERVER_CLIENT },
      log: (m) => process.stderr.write(`      ${m}\n`),
    });
    c = adminClient(cp);
    await installCrds(cp);
    await applyDetections(cp);
    await kubectlOk(cp, ['create', 'namespace', OPERATOR_NS]);
    await kubectlOk(cp, ['create', 'namespace', ns]);
    await kubectlOk(cp, ['apply', '-f', '-'], await webhookConfiguration(ports));
    a = await startOperator(cp.kubeconfigPath, operatorArgs(ports, 'replica-a', audit.clientCaPath, true));
    await a.waitReady();
    await waitFor(async () => (await a?.metric('tripline_leader')) === 1, 60_000, 'replica-a leads');
    b = await startOperator(cp.kubeconfigPath, operatorArgs(ports, 'replica-b', audit.clientCaPath, false));
    await b.waitReady();
    // The API server's audit client trusts the operator's generated CA once it exists.
    let ca = '';
    await waitFor(
      async () => {
        const out = await cp.kubectl([
          'get',
          'secret',
          '-n',
          OPERATOR_NS,
          SECRET,
          '-o',
          'jsonpath={.data.ca\\.crt}',
        ]);
        const bundle = await kubectlOk(cp, [
          'get',
          'validatingwebhookconfiguration',
          'tripline-attribution',
          '-o',
          'jsonpath={.webhooks[2].clientConfig.caBundle}',
        ]);
        ca = out.stdout.trim();
        return out.code === 0 && ca !== '' && bundle === ca;
      },
      60_000,
      'the generated CA in every webhook of the configuration',
    );
    await writeFile(audit.receiverCaPath, Buffer.from(ca, 'base64'));
    await cp.restartApiServer();
    await a.waitReady();
    await b.waitReady();
    tenant = await cp.addUser('tenant-dev', ['devs']);
    await kubectlOk(cp, [
      'create',
      'role',
      'sessions',
      '-n',
      ns,
      '--verb=get,list,create',
      '--resource=pods,pods/exec,pods/attach,pods/portforward,serviceaccounts/token,secrets',
    ]);
    await kubectlOk(cp, [
      'create',
      'rolebinding',
      'tenant-sessions',
      '-n',
      ns,
      '--role=sessions',
      '--user=tenant-dev',
    ]);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: ns },
      spec: { containers: [{ name: 'app', image: 'registry.example/web:1' }] },
    };
    await kubectlOk(cp, ['apply', '-f', '-'], JSON.stringify(pod));
    // kubectl port-forward insists on a running Pod; nothing runs it here, so say it does.
    await kubectlOk(cp, [
      'patch',
      'pod',
      'web',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Running"}}',
    ]);
    await kubectlOk(cp, ['create', 'serviceaccount', 'deployer', '-n', ns]);
    await kubectlOk(cp, ['create', 'secret', 'generic', 'db', '-n', ns, '--from-literal=password=hunter2']);
    await waitDetectionReady(c, 'pod-exec');
    await waitDetectionReady(c, 'token-request');
  });

  after(async () => {
    process.env = saved;
    for (const op of [b, a]) if (op?.running()) await op.stop();
    c?.close();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('kubectl exec by tenant-dev raises one pod-exec alert naming the user, the Pod, the container and the command', async () => {
    const r = await asTenant(['exec', '-n', ns, 'web', '-c', 'app', '--', 'cat', '/etc/hostname']);
    assert.notEqual(r.code, 0, 'no kubelet: the session itself fails');
    const [alert] = await alertsWhen(
      'pod-exec',
      'web',
      (xs) => countOf(xs[0], 'Exec') === 1,
      'the pod-exec alert',
    );
    assert.equal(alert?.spec.event, 'Exec');
    assert.equal(alert?.spec.severity, 'High');
    assert.equal(alert?.spec.actor?.username, 'tenant-dev');
    assert.deepEqual(alert?.spec.actor?.groups, ['devs', 'system:authenticated']);
    assert.deepEqual(alert?.spec.subject, { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'web' });
    const ev = (alert?.spec.evidence as { action?: Record<string, unknown> } | undefined)?.action ?? {};
    assert.equal(ev.container, 'app');
    assert.equal(ev.command, 'cat /etc/hostname');
    assert.match(alert?.spec.summary ?? '', /tenant-dev ran `cat \/etc\/hostname` in Pod .*\/web/);
    const steps = JSON.stringify([...(alert?.spec.investigation ?? []), ...(alert?.spec.resolution ?? [])]);
    assert.ok(steps.includes(`kubectl get pod -n ${ns} web -o yaml`), steps);
    assert.ok(steps.includes(`--as tenant-dev`), steps);
  });

  it('repeated execs update the counts and commands of the same alert', async () => {
    for (const cmd of [['ls', '/'], ['id'], ['ls', '/']])
      await asTenant(['exec', '-n', ns, 'web', '--', ...cmd]);
    const xs = await alertsWhen('pod-exec', 'web', (x) => countOf(x[0], 'Exec') >= 4, 'four execs counted');
    assert.equal(xs.length, 1, 'one episode');
    assert.equal(countOf(xs[0], 'Exec'), 4, 'counted once each, although both replicas saw every review');
    assert.deepEqual(xs[0]?.status?.action?.commands, ['cat /etc/hostname', 'ls /', 'id']);
  });

  it('kubectl attach and port-forward are counted in the same episode', async () => {
    await asTenant(['attach', '-n', ns, 'web', '-c', 'app']);
    // kubectl sends the ports inside the tunnel (SPDY stream headers), after admission: the review
    // knows that a port-forward was opened, not to which port.
    await asTenant(['port-forward', '-n', ns, 'pod/web', '18080:8080']);
    const xs = await alertsWhen(
      'pod-exec',
      'web',
      (x) => countOf(x[0], 'Attach') >= 1 && countOf(x[0], 'PortForward') >= 1,
      'attach and port-forward counted',
    );
    assert.equal(xs.length, 1);
    assert.equal(countOf(xs[0], 'Attach'), 1);
    assert.equal(countOf(xs[0], 'PortForward'), 1);
    assert.equal(xs[0]?.status?.action?.count, 6);
  });

  it('the follower saw the reviews and wrote nothing', async () => {
    const followed = (await b?.metric('tripline_action_events_total', { outcome: 'follower' })) ?? 0;
    assert.ok(followed >= 6, `replica-b was sent ${followed} action reviews`);
    assert.equal(await b?.metric('tripline_action_alerts_total'), 0);
    assert.equal(await a?.metric('tripline_action_alerts_total', { outcome: 'raised' }), 1);
  });

  it('after the episode is resolved, the next exec opens a new one', async () => {
    const [first] = await episodes('pod-exec', 'web');
    await patchAlertStatus(cp, first?.metadata?.name as string, { state: 'Resolved', reason: 'Expected' });
    await waitFor(
      async () => (await episodes('pod-exec', 'web'))[0]?.status?.state === 'Resolved',
      30_000,
      'resolved',
    );
    await asTenant(['exec', '-n', ns, 'web', '--', 'whoami']);
    const xs = await alertsWhen('pod-exec', 'web', (x) => countOf(x[1], 'Exec') === 1, 'the second episode');
    assert.equal(xs.length, 2);
    assert.equal(countOf(xs[0], 'Exec'), 4, 'the resolved episode is left alone');
    assert.deepEqual(xs[1]?.status?.action?.commands, ['whoami']);
  });

  it('the CRD refuses a detection mixing action and object events', async () => {
    const d = {
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditDetection',
      metadata: { name: `mixed-${suffix()}` },
      spec: {
        title: 'mixed',
        severity: 'Low',
        category: 'Other',
        resources: [{ version: 'v1', resource: 'pods' }],
        events: ['Created', 'Exec'],
      },
    };
    const r = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(d) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot be mixed with object or traffic events/);
  });

  it('kubectl create token by tenant-dev raises token-request with the audience and expiry', async () => {
    await asTenant(['create', 'token', 'deployer', '-n', ns, '--audience', 'vault', '--duration', '10m']);
    const [alert] = await alertsWhen(
      'token-request',
      'deployer',
      (xs) => countOf(xs[0], 'TokenRequest') === 1,
      'token-request',
    );
    assert.equal(alert?.spec.actor?.username, 'tenant-dev');
    assert.equal(alert?.spec.subject.kind, 'ServiceAccount');
    const ev = (alert?.spec.evidence as { action?: Record<string, unknown> } | undefined)?.action ?? {};
    assert.deepEqual(ev.audiences, ['vault']);
    assert.equal(ev.expirationSeconds, 600);
    assert.ok(!JSON.stringify(alert).includes('eyJ'), 'no token anywhere in the alert');
  });

  it('a Secret read by tenant-dev raises secret-read once it is enabled', async () => {
    await kubectlOk(cp, [
      'apply',
      '-f',
      path.join(repoRoot(), 'manifests/detections-optional/secret-read.yaml'),
    ]);
    await waitDetectionReady(c, 'secret-read');
    // The action detections watch AuditDetections on their own: give the leader a moment to see it.
    await waitFor(
      async () => {
        const r = await asTenant(['get', 'secret', 'db', '-n', ns, '-o', 'name']);
        assert.equal(r.code, 0, r.stderr);
        return (await episodes('secret-read', 'db')).length > 0;
      },
      60_000,
      'the secret-read alert',
    );
    const [alert] = await episodes('secret-read', 'db');
    assert.equal(alert?.spec.actor?.username, 'tenant-dev');
    assert.deepEqual(alert?.spec.actor?.sourceIPs, ['127.0.0.1']);
    assert.deepEqual(alert?.spec.actor?.source, ['audit']);
    assert.ok(!JSON.stringify(alert).includes('aHVudGVyMg'), 'never the Secret data');
  });

  it('after a failover the new leader adds to the open episode; the API server counts the calls the stopped replica missed', async () => {
    const failOpen = async (): Promise<number> => {
      const text = await kubectlOk(cp, ['get', '--raw', '/metrics']);
      const line = text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('apiserver_admission_webhook_fail_open_count') &&
            l.includes('name="actions.tripline.dev"'),
        );
      return line.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    };
    const before = await failOpen();
    await a?.stop();
    await waitFor(async () => (await b?.metric('tripline_leader')) === 1, 60_000, 'replica-b leads');
    await asTenant(['exec', '-n', ns, 'web', '--', 'hostname']);
    const xs = await alertsWhen(
      'pod-exec',
      'web',
      (x) => countOf(x[1], 'Exec') === 2,
      'the open episode counted by replica-b',
    );
    assert.equal(xs.length, 2, 'no new alert: the open episode was found by its labels');
    assert.deepEqual(xs[1]?.status?.action?.commands, ['whoami', 'hostname']);
    assert.ok(
      (await failOpen()) > before,
      'the call to the stopped replica failed open and the API server counted it',
    );
  });
});
