import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAll, ROOT } from '../support/fixtures.js';

interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
}

interface Deployment {
  metadata: { namespace: string };
  spec: {
    replicas: number;
    template: {
      spec: {
        serviceAccountName: string;
        automountServiceAccountToken: boolean;
        securityContext: Record<string, unknown>;
        containers: Container[];
      };
    };
  };
}

/** The one object of a manifest file. */
function one<T>(relative: string): T {
  const [obj] = loadAll<T>(relative);
  if (!obj) throw new Error(`${relative} is empty`);
  return obj;
}

// The e2e test (test/e2e/install.test.ts) proves the API server accepts these; this pins the
// choices that the API server would accept either way.
describe('default install manifests', () => {
  const deployment = one<Deployment>('manifests/manager/deployment.yaml');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;

  it('runs two replicas with leader election, each knowing its Pod name and namespace', () => {
    assert.equal(deployment.spec.replicas, 2);
    assert.ok(container.args.includes('--leader-elect=true'));
    const env = (
      container as unknown as { env: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }[] }
    ).env;
    assert.deepEqual(
      env.map((e) => [e.name, e.valueFrom.fieldRef.fieldPath]),
      [
        ['TRIPLINE_POD_NAME', 'metadata.name'],
        ['TRIPLINE_POD_NAMESPACE', 'metadata.namespace'],
      ],
    );
  });

  it('keeps one replica through voluntary disruptions', () => {
    const pdb = one<{ spec: { minAvailable: number } }>('manifests/manager/pod_disruption_budget.yaml');
    assert.equal(pdb.spec.minAvailable, 1);
  });

  it('lets the operator hold only its own Lease by name, in its own namespace', () => {
    const [role] = loadAll<{
      kind: string;
      metadata: { namespace: string };
      rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[];
    }>('manifests/rbac/leader_election_role.yaml');
    assert.equal(role?.kind, 'Role');
    assert.equal(role?.metadata.namespace, 'tripline-system');
    const leaseUpdate = role?.rules.find((r) => r.resources.includes('leases') && r.verbs.includes('update'));
    assert.deepEqual(leaseUpdate?.resourceNames, ['tripline-operator']);
  });

  it('runs as the service account the RBAC binding and the delete policy name', () => {
    const binding = one<{ subjects: { name: string; namespace: string }[] }>(
      'manifests/rbac/role_binding.yaml',
    );
    assert.deepEqual(binding.subjects[0], {
      kind: 'ServiceAccount',
      name: pod.serviceAccountName,
      namespace: deployment.metadata.namespace,
    });
    const policy = readFileSync(path.join(ROOT, 'manifests/policies/protect-unresolved-alerts.yaml'), 'utf8');
    const username = `system:serviceaccount:${deployment.metadata.namespace}:${pod.serviceAccountName}`;
    assert.ok(policy.includes(`'${username}'`), `the policy does not exempt ${username}`);
    assert.equal(pod.automountServiceAccountToken, true);
  });

  it('is hardened as Pod Security restricted requires, plus a read-only root filesystem', () => {
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 65532);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
  });

  it('probes /healthz and /readyz on the metrics port 8080, with JSON logs', () => {
    assert.deepEqual(container.ports, [{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
    assert.deepEqual(container.args, ['run', '--log-format=json', '--leader-elect=true']);
    assert.deepEqual(container.resources, {
      requests: { cpu: '50m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    });
  });

  it('leaves the opt-in remediation role out', () => {
    const kustomization = one<{ resources: string[] }>('manifests/default/kustomization.yaml');
    assert.ok(kustomization.resources.includes('../rbac'));
    assert.ok(!kustomization.resources.some((r) => r.includes('remediation')));
  });

  it('leaves the opt-in Secret access and TLS secret detection out', () => {
    const kustomization = one<{ resources: string[] }>('manifests/default/kustomization.yaml');
    assert.ok(!kustomization.resources.some((r) => r.includes('tls-secrets') || r.includes('optional')));
    const rbac = one<{ resources: string[] }>('manifests/rbac/kustomization.yaml');
    assert.ok(!rbac.resources.some((r) => r.includes('tls-secrets')));
    const detections = one<{ resources: string[] }>('manifests/detections/kustomization.yaml');
    assert.ok(!detections.resources.some((r) => r.includes('secret')));
    const role = one<{ rules: { resources: string[]; verbs: string[] }[] }>(
      'manifests/rbac/tls-secrets/role.yaml',
    );
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] }]);
  });
});
