/**
 * Who can, and what the new workload can do (issue 8, parts 4 and 5), on the real control plane:
 * RBAC objects made with kubectl the way people make them, the operator's RBAC index watching
 * them, and the real authorizer (`kubectl auth can-i`) as the referee where it can be one.
 */
import assert from 'node:assert/strict';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createClusterRole, createIngress, createNamespace } from '../../hack/samples.js';
import type { AuditAlert, WhoCanEntry } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { NOT_SYNCED_NOTE } from '../../src/rbac/enrichers.js';
import { DEFAULT_CLUSTER_ROLES, type ServiceAccountEvidence } from '../../src/rbac/service-account.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  applyDetections,
  installCrds,
  kubectlOk,
  suffix,
  waitForAlerts,
} from './support/cluster.js';

const DETECTIONS = ['ingress-created', 'workload-created', 'clusterrole-created'];

describe('rbac: who can, and what the new workload can do', function () {
  this.timeout(180_000);
  const id = suffix();
  const [nsA, nsB, nsC] = ['a', 'b', 'c'].map((x) => `rbac-${x}-${id}`) as [string, string, string];
  const binder = `rbac-binder-${id}`;
  const carol = `carol-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;

  /** The alert of `detection` for the object, once raised. */
  async function alertOf(obj: KubeObject, detection: string): Promise<AuditAlert> {
    let found: AuditAlert | undefined;
    await waitFor(
      async () => {
        const alerts = await waitForAlerts(c, obj.metadata.uid as string);
        found = alerts.find((a) => a.spec.detection.name === detection);
        return found !== undefined;
      },
      30_000,
      `a ${detection} alert for ${obj.kind} ${obj.metadata.name}`,
    );
    const a = found as AuditAlert;
    assert.ok(!(a.spec.notes ?? []).some((n) => n.includes(NOT_SYNCED_NOTE)), 'the index had synced');
    return a;
  }

  /** `kubectl auth can-i …`: the real authorizer's answer, true for "yes". */
  async function canI(args: string[]): Promise<boolean> {
    const r = await cp.kubectl(['auth', 'can-i', ...args]);
    if (r.stdout.trim() !== 'yes' && r.stdout.trim() !== 'no')
      throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stdout} ${r.stderr}`);
    return r.stdout.trim() === 'yes';
  }

  const rows = (w: WhoCanEntry[] | undefined): string[] =>
    (w ?? []).map(
      (e) => `${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name} | ${e.via} | ${e.verbs}`,
    );
  /** The rows granted in the namespace (cluster-wide grants may come from other suites' objects). */
  const local = (w: WhoCanEntry[] | undefined): string[] =>
    rows(w).filter((r) => r.includes('| RoleBinding '));

  /** Objects of a kind the index holds (suites run one after another, so only this one changes them). */
  const held = (kind: string) => op.metric('tripline_rbac_index_objects', { kind });
  const waitHeld = (kind: string, n: number) =>
    waitFor(async () => (await held(kind)) === n, 30_000, `the index holding ${n} ${kind}s`);

  const deployment = (name: string, serviceAccountName?: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(serviceAccountName ? { serviceAccountName } : {}),
          containers: [{ name: 'app', image: 'registry.example.com/app:1.0.0' }],
        },
      },
    },
  });

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await applyDetections(cp);
    for (const ns of [nsA, nsB, nsC]) await createNamespace(c, ns);
    // (a) tenant-dev may create Ingresses in A through a Role; group devs may edit A (aggregated).
    await kubectlOk(cp, [
      'create',
      'role',
      'ingress-creator',
      '-n',
      nsA,
      '--verb=create',
      '--resource=ingresses.networking.k8s.io',
    ]);
    await kubectlOk(cp, [
      'create',
      'rolebinding',
      'tenant-dev-ingress',
      '-n',
      nsA,
      '--role=ingress-creator',
      '--user=tenant-dev',
    ]);
    await kubectlOk(cp, [
      'create',
      'rolebinding',
      'devs-edit',
      '-n',
      nsA,
      '--clusterrole=edit',
      '--group=devs',
    ]);
    // (b) the service account reader of C may list Secrets there.
    await kubectlOk(cp, ['create', 'serviceaccount', 'reader', '-n', nsC]);
    await kubectlOk(cp, ['create', 'role', 'secret-lister', '-n', nsC, '--verb=list', '--resource=secrets']);
    await kubectlOk(cp, [
      'create',
      'rolebinding',
      'reader-secrets',
      '-n',
      nsC,
      '--role=secret-lister',
      `--serviceaccount=${nsC}:reader`,
    ]);
    // carol may bind ClusterRoles (but not create them).
    await kubectlOk(cp, [
      'create',
      'clusterrole',
      binder,
      '--verb=bind',
      '--resource=clusterroles.rbac.authorization.k8s.io',
    ]);
    await kubectlOk(cp, [
      'create',
      'clusterrolebinding',
      binder,
      `--clusterrole=${binder}`,
      `--user=${carol}`,
    ]);
    // These tests check the index's answer, not the cap (triage.test.ts does): the whole list, so
    // that identities other suites bind on the shared control plane cannot push ours out of it.
    op = await startOperator(cp.kubeconfigPath, ['--who-can-limit', '256']);
    await op.waitReady();
    for (const d of DETECTIONS)
      await kubectlOk(cp, ['wait', '--for=condition=Ready', '--timeout=30s', `auditdetection/${d}`]);
    await waitFor(
      async () => (await op.metric('tripline_rbac_index_synced')) === 1,
      30_000,
      'rbac index synced',
    );
  });

  after(async () => {
    if (op?.running()) await op.stop();
    if (cp) {
      await kubectlOk(cp, ['delete', 'clusterrolebinding', binder, '--ignore-not-found']);
      await kubectlOk(cp, ['delete', 'clusterrole', binder, `new-role-${id}`, '--ignore-not-found']);
      await kubectlOk(cp, ['delete', 'namespace', nsA, nsB, nsC, '--wait=false', '--ignore-not-found']);
    }
    c?.close();
  });

  it("an Ingress in A lists tenant-dev's binding (and group devs through the aggregated edit)", async () => {
    const a = await alertOf(await createIngress(c, nsA, 'shop'), 'ingress-created');
    assert.deepEqual(rows(a.spec.whoCan).slice(0, 2), [
      `User tenant-dev | RoleBinding ${nsA}/tenant-dev-ingress → Role ingress-creator | create`,
      `Group devs | RoleBinding ${nsA}/devs-edit → ClusterRole edit | create`,
    ]);
    assert.equal(local(a.spec.whoCan).length, 2, 'only these two are granted in the namespace');
    const summary = (a.spec.evidence?.whoCanSummary ?? {}) as {
      question?: string;
      total?: number;
      listed?: number;
    };
    assert.equal(summary.question, `create ingresses.networking.k8s.io in namespace ${nsA}`);
    assert.equal(summary.listed, a.spec.whoCan?.length);
    assert.ok((summary.total ?? 0) >= 2);
    assert.ok(
      a.spec.notes?.some((n) => n.includes('system:masters')),
      'superusers are mentioned once',
    );
    // The real authorizer agrees for the Role path. (This control plane runs no aggregation
    // controller, so `edit` has no rules of its own here; the index resolves its aggregationRule.)
    assert.equal(
      await canI(['create', 'ingresses.networking.k8s.io', '-n', nsA, '--as', 'tenant-dev']),
      true,
    );
  });

  it('an Ingress in B does not list it', async () => {
    const a = await alertOf(await createIngress(c, nsB, 'shop'), 'ingress-created');
    assert.deepEqual(local(a.spec.whoCan), []);
    assert.ok(!rows(a.spec.whoCan).some((r) => r.includes('tenant-dev')));
    assert.equal(
      await canI(['create', 'ingresses.networking.k8s.io', '-n', nsB, '--as', 'tenant-dev']),
      false,
    );
  });

  it('a Deployment whose service account can list Secrets through a RoleBinding gets serviceaccount.secrets-read', async () => {
    const dep = await create(c, `/apis/apps/v1/namespaces/${nsC}/deployments`, deployment('app', 'reader'));
    const a = await alertOf(dep, 'workload-created');
    const risk = a.spec.risks?.find((r) => r.id === 'serviceaccount.secrets-read');
    assert.ok(risk, `risks: ${JSON.stringify(a.spec.risks)}`);
    assert.equal(risk.severity, 'High');
    assert.ok(
      risk.message.includes(`RoleBinding ${nsC}/reader-secrets → Role secret-lister`),
      `names the binding: ${risk.message}`,
    );
    assert.ok(
      ['High', 'Critical'].includes(a.spec.severity),
      'the alert severity is at least its worst risk',
    );
    const sa = a.spec.evidence?.serviceAccount as ServiceAccountEvidence | undefined;
    assert.ok(sa, 'evidence.serviceAccount');
    assert.equal(sa.name, 'reader');
    assert.equal(sa.automountToken, true);
    assert.deepEqual(sa.bindings, [
      { via: `RoleBinding ${nsC}/reader-secrets → Role secret-lister`, scope: 'namespace', rules: 1 },
    ]);
    assert.equal(
      await canI(['list', 'secrets', '-n', nsC, '--as', `system:serviceaccount:${nsC}:reader`]),
      true,
    );
  });

  it('the same Deployment on the default service account raises no serviceaccount.* risk', async () => {
    const dep = await create(c, `/apis/apps/v1/namespaces/${nsC}/deployments`, deployment('app-default'));
    const a = await alertOf(dep, 'workload-created');
    assert.deepEqual(
      (a.spec.risks ?? []).filter((r) => r.id.startsWith('serviceaccount.')),
      [],
    );
    const sa = a.spec.evidence?.serviceAccount as ServiceAccountEvidence | undefined;
    assert.ok(sa, 'evidence.serviceAccount');
    assert.equal(sa.name, 'default');
    assert.deepEqual(
      sa.bindings.filter((b) => b.scope === 'namespace'),
      [],
    );
    const defaults = sa.bindings.filter((b) =>
      [...DEFAULT_CLUSTER_ROLES].some((r) => b.via.endsWith(` ${r}`)),
    );
    assert.deepEqual(defaults, [], 'the bootstrap defaults every identity holds are left out');
    assert.equal(
      await canI(['list', 'secrets', '-n', nsC, '--as', `system:serviceaccount:${nsC}:default`]),
      false,
    );
  });

  it('a new ClusterRole lists who can bind ClusterRoles, cluster-wide', async () => {
    const a = await alertOf(await createClusterRole(c, `new-role-${id}`), 'clusterrole-created');
    const mine = rows(a.spec.whoCan).filter((r) => r.includes(carol));
    assert.deepEqual(mine, [`User ${carol} | ClusterRoleBinding ${binder} → ClusterRole ${binder} | bind`]);
    assert.equal(
      (a.spec.evidence?.whoCanSummary as { question?: string } | undefined)?.question,
      'create/bind/escalate clusterroles.rbac.authorization.k8s.io cluster-wide',
    );
    assert.equal(await canI(['bind', 'clusterroles', '--as', carol]), true);
    assert.equal(await canI(['create', 'clusterroles', '--as', carol]), false);
  });

  it('follows bindings created and deleted while it runs', async () => {
    const [bindings, roles] = [await held('RoleBinding'), await held('Role')];
    await kubectlOk(cp, ['delete', 'rolebinding', 'tenant-dev-ingress', '-n', nsA]);
    await waitHeld('RoleBinding', bindings - 1);
    await kubectlOk(cp, [
      'create',
      'role',
      'ingress-creator',
      '-n',
      nsB,
      '--verb=create',
      '--resource=ingresses.networking.k8s.io',
    ]);
    await waitHeld('Role', roles + 1);
    await kubectlOk(cp, [
      'create',
      'rolebinding',
      'late-dev',
      '-n',
      nsB,
      '--role=ingress-creator',
      '--user=late-dev',
    ]);
    await waitHeld('RoleBinding', bindings);
    const inA = await alertOf(await createIngress(c, nsA, 'shop-2'), 'ingress-created');
    assert.deepEqual(local(inA.spec.whoCan), [
      `Group devs | RoleBinding ${nsA}/devs-edit → ClusterRole edit | create`,
    ]);
    const inB = await alertOf(await createIngress(c, nsB, 'shop-2'), 'ingress-created');
    assert.deepEqual(local(inB.spec.whoCan), [
      `User late-dev | RoleBinding ${nsB}/late-dev → Role ingress-creator | create`,
    ]);
  });
});
