/**
 * Bindings (issue 17): the shipped `binding-created` detection on the real control plane, with
 * the operator as a process and its RBAC index resolving what the bound role grants. Bindings are
 * made with kubectl, the way an attacker with RBAC write access makes them.
 */
import assert from 'node:assert/strict';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { createNamespace } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { NOT_SYNCED_NOTE } from '../../src/rbac/enrichers.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  alertsFor,
  applyDetections,
  installCrds,
  kubectlOk,
  suffix,
  waitForAlerts,
} from './support/cluster.js';

const DETECTION = 'binding-created';

/** What the binding enricher writes into the evidence. */
interface Gained {
  role: string;
  scope: string;
  roleExists: boolean;
  ruleCount: number;
  rules: Array<Record<string, string[]>>;
}

describe('bindings: the binding-created default detection', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `bind-${id}`;
  const other = `bind-other-${id}`;
  const anonBinding = `ops-anon-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;

  /** The object as the API server has it (for its uid). */
  async function get(kind: string, name: string, namespace?: string): Promise<KubeObject> {
    const args = ['get', kind, name, '-o', 'json', ...(namespace ? ['-n', namespace] : [])];
    return JSON.parse(await kubectlOk(cp, args)) as KubeObject;
  }

  /** The alerts of the object once its first one is raised, after the queue has gone idle. */
  async function alertsOf(obj: KubeObject): Promise<AuditAlert[]> {
    await waitForAlerts(c, obj.metadata.uid as string, 30_000);
    await op.waitIdle();
    const alerts = await alertsFor(c, obj.metadata.uid as string);
    for (const a of alerts)
      assert.ok(!(a.spec.notes ?? []).some((n) => n.includes(NOT_SYNCED_NOTE)), 'the index had synced');
    return alerts;
  }

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await applyDetections(cp);
    await createNamespace(c, ns);
    await createNamespace(c, other);
    await kubectlOk(cp, [
      'create',
      'role',
      'secret-reader',
      '-n',
      ns,
      '--verb=get,list',
      '--resource=secrets',
    ]);
    op = await startOperator(cp.kubeconfigPath);
    await op.waitReady();
    await kubectlOk(cp, ['wait', '--for=condition=Ready', '--timeout=30s', `auditdetection/${DETECTION}`]);
    await waitFor(
      async () => (await op.metric('tripline_rbac_index_synced')) === 1,
      30_000,
      'rbac index synced',
    );
  });

  after(async () => {
    if (cp) {
      // Never leave anonymous cluster-admin behind on the shared control plane.
      await kubectlOk(cp, ['delete', 'clusterrolebinding', anonBinding, '--ignore-not-found']);
      await kubectlOk(cp, ['delete', 'namespace', ns, other, '--wait=false', '--ignore-not-found']);
    }
    if (op?.running()) await op.stop();
    c?.close();
  });

  it('system:anonymous bound to cluster-admin raises exactly one Critical alert with the gained permissions', async () => {
    let alerts: AuditAlert[];
    try {
      await kubectlOk(cp, [
        'create',
        'clusterrolebinding',
        anonBinding,
        '--clusterrole=cluster-admin',
        '--user=system:anonymous',
      ]);
      alerts = await alertsOf(await get('clusterrolebinding', anonBinding));
    } finally {
      await kubectlOk(cp, ['delete', 'clusterrolebinding', anonBinding, '--ignore-not-found']);
    }
    assert.equal(alerts.length, 1, 'one alert for the binding');
    const a = alerts[0] as AuditAlert;
    assert.equal(a.spec.detection.name, DETECTION);
    assert.equal(a.spec.severity, 'Critical');
    assert.equal(a.metadata?.labels?.['tripline.dev/severity'], 'Critical');
    const ids = (a.spec.risks ?? []).map((r) => r.id);
    assert.ok(ids.includes('binding.anonymous-escalating'), ids.join(', '));
    assert.ok(ids.includes('binding.cluster-admin'), ids.join(', '));
    assert.equal(new Set(ids).size, ids.length, 'no risk id twice (subject analysis and enricher)');
    assert.match(a.spec.summary, /grants ClusterRole cluster-admin cluster-wide to User system:anonymous/);
    const gained = a.spec.evidence?.gainedPermissions as Gained;
    assert.equal(gained.role, 'ClusterRole cluster-admin');
    assert.equal(gained.scope, 'cluster-wide');
    assert.ok(gained.ruleCount >= 1);
    assert.ok(
      gained.rules.some(
        (r) => r.verbs?.includes('*') && r.resources?.includes('*') && r.apiGroups?.includes('*'),
      ),
      JSON.stringify(gained.rules),
    );
  });

  it('a RoleBinding in a namespace raises one alert naming the namespace, judged by the Role the index holds', async () => {
    await kubectlOk(cp, [
      'create',
      'rolebinding',
      'backup-secrets',
      '-n',
      ns,
      '--role=secret-reader',
      `--serviceaccount=${other}:backup`,
    ]);
    const alerts = await alertsOf(await get('rolebinding', 'backup-secrets', ns));
    assert.equal(alerts.length, 1, 'one alert for the binding');
    const a = alerts[0] as AuditAlert;
    assert.equal(a.spec.detection.name, DETECTION);
    assert.equal(a.spec.subject.namespace, ns);
    assert.match(a.spec.summary, new RegExp(`in namespace ${ns} to ServiceAccount ${other}/backup`));
    const byId = new Map((a.spec.risks ?? []).map((r) => [r.id, r]));
    // Only the index knows the Role reads Secrets: this risk comes from the binding enricher.
    assert.match(
      byId.get('binding.escalating-role-in-namespace')?.message ?? '',
      /Role secret-reader \(Can read Secrets/,
    );
    assert.ok(byId.has('binding.cross-namespace-service-account'), [...byId.keys()].join(', '));
    const gained = a.spec.evidence?.gainedPermissions as Gained;
    assert.deepEqual(
      { role: gained.role, scope: gained.scope, ruleCount: gained.ruleCount },
      { role: 'Role secret-reader', scope: `in namespace ${ns}`, ruleCount: 1 },
    );
    assert.deepEqual(gained.rules[0]?.resources, ['secrets']);
  });
});
