/**
 * ingress-changed and the opt-in ingress-tls-secret-changed on the real control plane, driven the
 * way a user works: `kubectl apply` of edited manifests, `kubectl apply -k manifests/rbac/tls-secrets`,
 * and the operator running under the shipped least-privilege role plus that opt-in role. The
 * detections are the shipped YAML, renamed and limited to this suite's namespace so they do not
 * react to other suites' objects in the shared cluster.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { createNamespace } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { Referrer } from '../../src/detections/references.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { FieldChange } from '../../src/subjects/changes.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  alertsFor,
  installCrds,
  kubectlOk,
  listAlerts,
  suffix,
  waitDetectionReady,
} from './support/cluster.js';

const run = promisify(execFile);

/** A self-signed certificate and key, as a user would make with openssl. */
interface KeyPair {
  crt: string;
  key: string;
}

async function makeKeyPair(dir: string, name: string, host: string): Promise<KeyPair> {
  const [crt, key] = [path.join(dir, `${name}.crt`), path.join(dir, `${name}.key`)];
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '1',
      '-subj',
      `/CN=${host}`,
    ]);
  } catch (err: unknown) {
    throw new Error('openssl is needed to make test certificates (a README prerequisite)', { cause: err });
  }
  return { crt: await readFile(crt, 'utf8'), key: await readFile(key, 'utf8') };
}

/** Every form a value of the pair could take in an alert or a log line. */
function secretForms(p: KeyPair): string[] {
  const body = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return [
    Buffer.from(p.crt).toString('base64'),
    Buffer.from(p.key).toString('base64'),
    ...body(p.key),
    ...body(p.crt).slice(0, 2),
  ];
}

const secretManifest = (ns: string, name: string, p: KeyPair): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace: ns },
    data: {
      'tls.crt': Buffer.from(p.crt).toString('base64'),
      'tls.key': Buffer.from(p.key).toString('base64'),
    },
  });

interface IngressShape {
  host: string;
  secretName: string;
  annotations?: Record<string, string>;
}

const ingressManifest = (ns: string, s: IngressShape): string =>
  JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace: ns, ...(s.annotations ? { annotations: s.annotations } : {}) },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [s.host], secretName: s.secretName }],
      rules: [
        {
          host: s.host,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  });

/** One evidence entry of an alert; fails the test when the alert or the entry is missing. */
function evidenceOf<T>(a: AuditAlert | undefined, key: string): T {
  const v = a?.spec.evidence?.[key];
  assert.ok(v !== undefined, `evidence.${key} missing in ${JSON.stringify(a?.spec.evidence)}`);
  return v as T;
}

/** A shipped detection, renamed with the suite's suffix and limited to its namespace. */
async function scopedDetection(file: string, name: string, ns: string): Promise<string> {
  const d = parse(await readFile(path.join(repoRoot(), file), 'utf8')) as AuditDetection;
  d.metadata.name = name;
  d.spec.match = { ...(d.spec.match ?? {}), namespaces: { include: [ns] } };
  return JSON.stringify(d);
}

describe('ingress-changed and ingress-tls-secret-changed', function () {
  this.timeout(240_000);
  const id = suffix();
  const ns = `ingchg-${id}`;
  const changed = `ingress-changed-${id}`;
  const tls = `ingress-tls-secret-changed-${id}`;
  const group = `tripline-ingchg-${id}`;
  const bindings = [`ingchg-op-${id}`, `ingchg-tls-${id}`];
  const hosts = [1, 2, 3, 4].map((n) => `h${n}-${id}.example.com`);
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;
  let kubeconfig = '';
  let certDir = '';
  let pairs: KeyPair[] = [];
  let ingressUid = '';
  const secretUids = new Map<string, string>();

  const apply = (manifest: string) => kubectlOk(cp, ['apply', '-f', '-'], manifest);
  const applyIngress = (s: IngressShape) => apply(ingressManifest(ns, s));
  const getObject = (p: string) => c.request<KubeObject>('GET', p);
  const secretUid = async (name: string) =>
    (await getObject(`/api/v1/namespaces/${ns}/secrets/${name}`)).metadata.uid as string;

  /** The alerts of one detection about one object, once the operator has gone idle. */
  async function settled(det: string, uid: string): Promise<AuditAlert[]> {
    // Give the watch a moment to deliver the last write before asking whether the queue is idle.
    await new Promise((r) => setTimeout(r, 1000));
    await op.waitIdle();
    return (await alertsFor(c, uid)).filter((a) => a.spec.detection.name === det);
  }

  /** Waits for the n-th alert of a detection about an object, then returns them all once settled. */
  async function expectAlerts(det: string, uid: string, n: number): Promise<AuditAlert[]> {
    await waitFor(
      async () => (await alertsFor(c, uid)).filter((a) => a.spec.detection.name === det).length >= n,
      30_000,
      `${n} ${det} alert(s)`,
    );
    const alerts = await settled(det, uid);
    assert.equal(alerts.length, n, JSON.stringify(alerts.map((a) => [a.spec.event, a.spec.changeKey])));
    return alerts;
  }

  /** Runs an alert step's command through a shell, as a responder would paste it. */
  async function runStep(a: AuditAlert | undefined, title: string): Promise<string> {
    const command = a?.spec.investigation?.find((s) => s.title === title)?.command;
    assert.ok(command, `a step "${title}" with a command`);
    const env = { ...process.env, PATH: `${cp.binDir}:${process.env.PATH}`, KUBECONFIG: cp.kubeconfigPath };
    try {
      return (await run('sh', ['-c', command], { env })).stdout;
    } catch (err: unknown) {
      throw new Error(`step "${title}" failed: ${command}`, { cause: err });
    }
  }

  const newest = (alerts: AuditAlert[]): AuditAlert =>
    [...alerts].sort((a, b) => a.spec.detectedAt.localeCompare(b.spec.detectedAt)).at(-1) as AuditAlert;

  async function startOp(): Promise<void> {
    op = await startOperator(kubeconfig, ['--log-level', 'debug', '--watermark-flush-seconds', '1']);
    await op.waitReady();
  }

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    certDir = await mkdtemp(path.join(os.tmpdir(), 'tripline-tls-'));
    pairs = await Promise.all([0, 1, 2, 3].map((n) => makeKeyPair(certDir, `p${n}`, hosts[0] as string)));
    await installCrds(cp);
    await createNamespace(c, ns);
    // The operator runs as a user holding exactly the shipped role and the opt-in Secret role.
    const user = await cp.addUser(`tripline-op-${id}`, [group]);
    kubeconfig = user.kubeconfigPath;
    await kubectlOk(cp, ['apply', '-f', path.join(repoRoot(), 'manifests/rbac/role.yaml')]);
    await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/rbac/tls-secrets')]);
    await kubectlOk(cp, [
      'create',
      'clusterrolebinding',
      bindings[0] as string,
      '--clusterrole=tripline-operator',
      `--group=${group}`,
    ]);
    await kubectlOk(cp, [
      'create',
      'clusterrolebinding',
      bindings[1] as string,
      '--clusterrole=tripline-tls-secrets',
      `--group=${group}`,
    ]);
    await apply(await scopedDetection('manifests/detections/ingress-changed.yaml', changed, ns));
    await apply(
      await scopedDetection('manifests/detections-optional/ingress-tls-secret-changed.yaml', tls, ns),
    );
    await startOp();
    await waitDetectionReady(c, changed);
    await waitDetectionReady(c, tls);
  });

  after(async () => {
    if (op?.running()) await op.stop();
    for (const d of [changed, tls]) await cp.kubectl(['delete', '--ignore-not-found', 'auditdetection', d]);
    for (const b of bindings) await cp.kubectl(['delete', '--ignore-not-found', 'clusterrolebinding', b]);
    await cp.kubectl([
      'delete',
      '--ignore-not-found',
      '-k',
      path.join(repoRoot(), 'manifests/rbac/tls-secrets'),
    ]);
    if (certDir) await rm(certDir, { recursive: true, force: true });
    c?.close();
  });

  it('the API server accepts the shipped detections and refuses invalid changes or references', async () => {
    for (const dir of ['manifests/detections', 'manifests/detections-optional']) {
      const out = await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), dir), '--dry-run=server']);
      assert.match(out, /auditdetection\.tripline\.dev\/ingress-(tls-secret-)?changed .*\(server dry run\)/);
    }
    const bad = async (spec: object): Promise<string> => {
      const d = JSON.parse(
        await scopedDetection('manifests/detections/ingress-changed.yaml', `bad-${id}`, ns),
      );
      const r = await cp.kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: JSON.stringify({ ...d, spec: { ...d.spec, ...spec } }),
      });
      assert.notEqual(r.code, 0, `accepted: ${JSON.stringify(spec)}`);
      return r.stderr;
    };
    assert.match(
      await bad({ changes: { fields: ['status.loadBalancer'] } }),
      /status never counts as a change/,
    );
    assert.match(
      await bad({ changes: { fields: ['metadata.managedFields'] } }),
      /only labels, annotations and ownerReferences/,
    );
    assert.match(await bad({ changes: { fields: [] } }), /changes must count something/);
    const ref = { version: 'v1', resource: 'ingresses', path: 'spec.tls[]' };
    assert.match(await bad({ match: { referencedBy: ref } }), /spec\.match\.referencedBy\.path/);
  });

  it('raises nothing for a new Ingress, nor for a new Secret no Ingress names yet', async () => {
    await apply(secretManifest(ns, 'tls-a', pairs[0] as KeyPair));
    secretUids.set('tls-a', await secretUid('tls-a'));
    assert.deepEqual(await settled(tls, secretUids.get('tls-a') as string), []);
    await applyIngress({ host: hosts[0] as string, secretName: 'tls-a' });
    ingressUid = (await getObject(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/shop`)).metadata
      .uid as string;
    assert.deepEqual(await settled(changed, ingressUid), []);
    assert.deepEqual(await settled(tls, secretUids.get('tls-a') as string), []);
  });

  it('raises one ingress-changed alert with the diff when the host is edited', async () => {
    await applyIngress({ host: hosts[1] as string, secretName: 'tls-a' });
    const [a] = await expectAlerts(changed, ingressUid, 1);
    assert.equal(a?.spec.event, 'Updated');
    assert.equal(a?.spec.changeKey, 'generation:2');
    assert.match(a?.spec.summary ?? '', new RegExp(`^Changed Ingress ${ns}/shop routes ${hosts[1]}`));
    const changes = evidenceOf<FieldChange[]>(a, 'changes');
    assert.deepEqual(
      changes.filter((ch) => ch.path.endsWith('host') || ch.path.includes('hosts')),
      [
        { path: 'spec.rules[0].host', before: hosts[0], after: hosts[1] },
        { path: 'spec.tls[0].hosts[0]', before: hosts[0], after: hosts[1] },
      ],
    );
    assert.deepEqual(
      changes.map((ch) => ch.path).filter((p) => !p.startsWith('spec.')),
      [],
      'only counted fields in the diff',
    );
    assert.equal(evidenceOf<{ manager: string }>(a, 'changedBy').manager, 'kubectl-client-side-apply');
    const commands = [...(a?.spec.investigation ?? []), ...(a?.spec.resolution ?? [])].map(
      (s) => s.command ?? '',
    );
    assert.ok(
      commands.some((cmd) => cmd === `kubectl get ingresses.networking.k8s.io -n ${ns} shop -o yaml`),
    );
    assert.ok(commands.some((cmd) => cmd.includes(`kubectl get auditalert ${a?.metadata?.name} `)));
    assert.ok(!commands.join('\n').includes('{{'), 'no unrendered template variables');
    // The read-only steps work as written, against the real API server.
    assert.ok(
      (await runStep(a, 'Read what changed')).includes(
        `spec.rules[0].host\n  before: ${hosts[0]}\n  after:  ${hosts[1]}\n`,
      ),
    );
    assert.match(
      await runStep(a, 'Find out who changed it and when'),
      /\tkubectl-client-side-apply\tUpdate\t/,
    );
    assert.equal(await runStep(a, 'Check the TLS secrets it serves now'), `tls-a\t["${hosts[1]}"]\n`);
  });

  it('raises nothing when the same manifest is applied again', async () => {
    const out = await applyIngress({ host: hosts[1] as string, secretName: 'tls-a' });
    assert.match(out, /unchanged/);
    assert.equal((await settled(changed, ingressUid)).length, 1);
  });

  it('raises one alert for an annotation-only change', async () => {
    const annotations = { 'nginx.ingress.kubernetes.io/whitelist-source-range': '0.0.0.0/0' };
    await applyIngress({ host: hosts[1] as string, secretName: 'tls-a', annotations });
    const a = newest(await expectAlerts(changed, ingressUid, 2));
    assert.match(a.spec.changeKey ?? '', /^generation:2\/digest:[0-9a-f]{16}$/);
    assert.deepEqual(a.spec.evidence?.changes, [
      {
        path: 'metadata.annotations."nginx.ingress.kubernetes.io/whitelist-source-range"',
        after: '0.0.0.0/0',
      },
    ]);
  });

  it('raises nothing for status-only, label-only or controller-annotation updates', async () => {
    const ing = ['-n', ns, 'ingress', 'shop'];
    const status = '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}';
    await kubectlOk(cp, ['patch', ...ing, '--subresource=status', '--type=merge', '-p', status]);
    await kubectlOk(cp, ['label', ...ing, 'helm.sh/chart=shop-1.2.4']);
    await kubectlOk(cp, ['annotate', ...ing, 'ingress.kubernetes.io/backends={"k8s-be-1":"HEALTHY"}']);
    const now = await getObject(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/shop`);
    assert.ok(JSON.stringify(now.status).includes('192.0.2.10'), 'the status patch was applied');
    assert.equal((await settled(changed, ingressUid)).length, 2);
  });

  it('swapping the TLS secret: the Ingress edit raises ingress-changed, the replaced data the TLS alert naming the Ingress', async () => {
    // A new Secret nobody names yet raises nothing.
    await apply(secretManifest(ns, 'tls-b', pairs[1] as KeyPair));
    const tlsB = await secretUid('tls-b');
    assert.deepEqual(await settled(tls, tlsB), []);
    // Pointing the Ingress at it is an Ingress change.
    const annotations = { 'nginx.ingress.kubernetes.io/whitelist-source-range': '0.0.0.0/0' };
    await applyIngress({ host: hosts[1] as string, secretName: 'tls-b', annotations });
    const swap = newest(await expectAlerts(changed, ingressUid, 3));
    assert.deepEqual(
      evidenceOf<FieldChange[]>(swap, 'changes').find((ch) => ch.path === 'spec.tls[0].secretName'),
      { path: 'spec.tls[0].secretName', before: 'tls-a', after: 'tls-b' },
    );
    // managedFields times have one-second resolution: a replacement comes later than its creation.
    await new Promise((r) => setTimeout(r, 1100));
    await apply(secretManifest(ns, 'tls-b', pairs[2] as KeyPair));
    const [a] = await expectAlerts(tls, tlsB, 1);
    assert.equal(a?.spec.event, 'Updated');
    assert.equal(a?.spec.subject.kind, 'Secret');
    assert.equal(a?.spec.subject.name, 'tls-b');
    assert.equal(a?.spec.subject.uid, tlsB);
    const refs = evidenceOf<Referrer[]>(a, 'referencedBy');
    assert.deepEqual(
      refs.map((r) => [r.kind, r.namespace, r.name, r.field, r.context]),
      [['Ingress', ns, 'shop', 'spec.tls[0].secretName', { hosts: [hosts[1]] }]],
    );
    assert.match(refs[0]?.summary ?? '', new RegExp(`Ingress ${ns}/shop routes ${hosts[1]}`));
    assert.match(
      a?.spec.summary ?? '',
      new RegExp(`^Changed Secret ${ns}/tls-b .*referenced by Ingress shop \\(${hosts[1]}\\)`),
    );
    assert.deepEqual(a?.spec.evidence?.dataKeys, ['tls.crt', 'tls.key']);
    assert.equal(
      await runStep(a, 'See which Ingresses serve it, for which hosts'),
      `Ingress\tshop\t["${hosts[1]}"]\tspec.tls[0].secretName\n`,
    );
    assert.match(
      await runStep(a, 'Find out who wrote the data and when'),
      /\tkubectl-client-side-apply\tUpdate\t.*tls\.crt/,
    );
    assert.match(
      await runStep(a, 'Read the certificate it holds now'),
      new RegExp(`subject=CN ?= ?${hosts[0]}`),
    );
    const [change] = evidenceOf<FieldChange[]>(a, 'changes');
    assert.equal(change?.path, 'metadata.managedFields."kubectl-client-side-apply (Update)".time');
    assert.ok(change?.before && change.after && change.before < change.after, JSON.stringify(change));
    // The Secret the Ingress no longer names can change without an alert.
    await new Promise((r) => setTimeout(r, 1100));
    await apply(secretManifest(ns, 'tls-a', pairs[3] as KeyPair));
    assert.deepEqual(await settled(tls, secretUids.get('tls-a') as string), []);
    secretUids.set('tls-b', tlsB);
  });

  it('deleting the named Secret raises one alert, and re-creating it (new uid) one more', async () => {
    const oldUid = secretUids.get('tls-b') as string;
    await kubectlOk(cp, ['delete', '-n', ns, 'secret', 'tls-b']);
    const deleted = (await expectAlerts(tls, oldUid, 2)).find((a) => a.spec.event === 'Deleted');
    assert.ok(deleted, 'a Deleted alert');
    assert.equal(deleted.spec.changeKey, 'deleted');
    assert.equal(evidenceOf<Referrer[]>(deleted, 'referencedBy')[0]?.name, 'shop');
    await apply(secretManifest(ns, 'tls-b', pairs[1] as KeyPair));
    const newUid = await secretUid('tls-b');
    assert.notEqual(newUid, oldUid);
    const [created] = await expectAlerts(tls, newUid, 1);
    assert.equal(created?.spec.event, 'Created');
    assert.equal(evidenceOf<Referrer[]>(created, 'referencedBy')[0]?.name, 'shop');
    assert.equal((await settled(tls, oldUid)).length, 2, 'no Created alert for the deleted Secret');
    secretUids.set('tls-b-2', newUid);
  });

  it('raises nothing for a Secret no Ingress names, whatever happens to it', async () => {
    await apply(secretManifest(ns, 'unrelated', pairs[0] as KeyPair));
    const uid = await secretUid('unrelated');
    await new Promise((r) => setTimeout(r, 1100));
    await apply(secretManifest(ns, 'unrelated', pairs[1] as KeyPair));
    await kubectlOk(cp, ['delete', '-n', ns, 'secret', 'unrelated']);
    assert.deepEqual(await settled(tls, uid), []);
  });

  it('puts no secret value in any alert or in the operator log', async () => {
    const alerts = (await listAlerts(c)).filter((a) => a.spec.subject.namespace === ns);
    assert.ok(
      alerts.some((a) => a.spec.subject.kind === 'Secret'),
      'there are Secret alerts to check',
    );
    const text = JSON.stringify(alerts);
    const logs = op.logs();
    assert.ok(logs.includes('tls-b'), 'the log mentions the Secrets (debug level)');
    for (const p of pairs)
      for (const v of secretForms(p)) {
        assert.ok(!text.includes(v), 'a secret value is in an alert');
        assert.ok(!logs.includes(v), 'a secret value is in the operator log');
      }
  });

  it('after a restart: a change made while it was down raises nothing; the next has its before/after', async () => {
    await op.stop();
    await applyIngress({ host: hosts[2] as string, secretName: 'tls-b' });
    await startOp();
    assert.equal(
      (await settled(changed, ingressUid)).length,
      3,
      'documented: changes while down are not seen',
    );
    await applyIngress({ host: hosts[3] as string, secretName: 'tls-b' });
    const a = newest(await expectAlerts(changed, ingressUid, 4));
    assert.deepEqual(
      evidenceOf<FieldChange[]>(a, 'changes').find((ch) => ch.path === 'spec.rules[0].host'),
      { path: 'spec.rules[0].host', before: hosts[2], after: hosts[3] },
    );
    assert.ok(
      !(a.spec.notes ?? []).some((n) => n.includes('not observed')),
      'the list after start seeded the memory',
    );
  });
});
