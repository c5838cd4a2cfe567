import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import { type ControlPlane, type KubectlResult, startControlPlane } from '../../hack/controlplane/index.js';
import { controlPlane } from './setup.js';

const CRD_NAME = 'probes.e2e.tripline.dev';
const CEL_MESSAGE = 'spec.replicas must be at most 5 (e2e rule)';
const suffix = Date.now().toString(36);

/** A test CRD exercising what only a real API server does: CEL, status defaults, selectable fields. */
const probeCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: CRD_NAME },
  spec: {
    group: 'e2e.tripline.dev',
    scope: 'Cluster',
    names: { plural: 'probes', singular: 'probe', kind: 'Probe', listKind: 'ProbeList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        selectableFields: [{ jsonPath: '.spec.color' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['color'],
                properties: { color: { type: 'string' }, replicas: { type: 'integer' } },
                'x-kubernetes-validations': [
                  { rule: '!has(self.replicas) || self.replicas <= 5', message: CEL_MESSAGE },
                ],
              },
              status: {
                type: 'object',
                default: {},
                properties: { phase: { type: 'string', default: 'Pending' } },
              },
            },
          },
        },
      },
    ],
  },
};

const probe = (name: string, spec: object, status?: object) =>
  JSON.stringify({ apiVersion: 'e2e.tripline.dev/v1', kind: 'Probe', metadata: { name }, spec, status });

/** Runs kubectl on `cp` and fails the test with its stderr unless it exits 0. */
async function kubectlOk(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const res = await cp.kubectl(args, input === undefined ? {} : { input });
  assert.equal(res.code, 0, `kubectl ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

/** Retries `fn` every 200 ms until it returns true (RBAC changes reach the authorizer's cache async). */
async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('local control plane', () => {
  describe('a CRD with CEL rules, status defaults and selectable fields', () => {
    before(async () => {
      const cp = controlPlane();
      await kubectlOk(cp, ['apply', '-f', '-'], JSON.stringify(probeCrd));
      await kubectlOk(cp, ['wait', '--for', 'condition=Established', `crd/${CRD_NAME}`, '--timeout=60s']);
    });

    it('rejects an invalid object with the CEL rule message', async () => {
      const res = await controlPlane().kubectl(['apply', '-f', '-'], {
        input: probe(`too-many-${suffix}`, { color: 'red', replicas: 9 }),
      });
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /Invalid/);
      assert.ok(res.stderr.includes(CEL_MESSAGE), res.stderr);
    });

    it("ignores a create's status and reads back the schema default", async () => {
      const cp = controlPlane();
      const name = `defaulted-${suffix}`;
      await kubectlOk(cp, ['create', '-f', '-'], probe(name, { color: 'blue' }, { phase: 'Done' }));
      const got = JSON.parse(await kubectlOk(cp, ['get', 'probe', name, '-o', 'json']));
      assert.deepEqual(got.status, { phase: 'Pending' });
    });

    it('filters on the server with --field-selector on a selectable field', async () => {
      const cp = controlPlane();
      const colors = ['amber', 'amber', 'teal'];
      for (const [i, color] of colors.entries()) {
        await kubectlOk(cp, ['create', '-f', '-'], probe(`sel-${i}-${suffix}`, { color }));
      }
      const out = await kubectlOk(cp, ['get', 'probes', '--field-selector', 'spec.color=teal', '-o', 'name']);
      assert.deepEqual(out.trim().split('\n'), [`probe.e2e.tripline.dev/sel-2-${suffix}`]);
      // A field that is not declared selectable is refused by the server, so the filter is not kubectl's.
      const bad = await cp.kubectl(['get', 'probes', '--field-selector', 'spec.replicas=1']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /spec\.replicas/);
    });
  });

  it('serves /version v1.37.2 and runs the pinned kubectl v1.37.2', async () => {
    const cp = controlPlane();
    const server = JSON.parse(await kubectlOk(cp, ['get', '--raw', '/version']));
    assert.equal(server.gitVersion, 'v1.37.2');
    const client = JSON.parse(await kubectlOk(cp, ['version', '--client', '-o', 'json']));
    assert.equal(client.clientVersion.gitVersion, 'v1.37.2');
  });

  it('forbids a new user without RBAC and allows it after a ClusterRoleBinding to its group', async () => {
    const cp = controlPlane();
    const group = `e2e-readers-${suffix}`;
    const user = await cp.addUser(`e2e-alice-${suffix}`, ['e2e-other', group]);
    const denied = await cp.kubectl(['get', 'namespaces'], { kubeconfig: user.kubeconfigPath });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Forbidden/);
    assert.match(denied.stderr, new RegExp(`User "e2e-alice-${suffix}"`));
    const api = user.kubeConfig.makeApiClient(CoreV1Api);
    await assert.rejects(
      api.listNamespace(),
      (err: unknown) => err instanceof ApiException && err.code === 403,
    );

    const role = `e2e-ns-reader-${suffix}`;
    await kubectlOk(cp, ['create', 'clusterrole', role, '--verb=get,list', '--resource=namespaces']);
    await kubectlOk(cp, ['create', 'clusterrolebinding', role, `--clusterrole=${role}`, `--group=${group}`]);
    let allowed: KubectlResult | undefined;
    await eventually('the binding to take effect', async () => {
      allowed = await cp.kubectl(['get', 'namespaces', '-o', 'name'], { kubeconfig: user.kubeconfigPath });
      return allowed.code === 0;
    });
    assert.match(allowed?.stdout ?? '', /namespace\/default/);
    const list = await api.listNamespace();
    assert.ok(list.items.some((ns) => ns.metadata?.name === 'default'));
  });

  describe('API server restarts', () => {
    const ns = `e2e-restart-${suffix}`;
    before(async () => {
      await kubectlOk(controlPlane(), ['create', 'namespace', ns]);
    });

    it('keeps objects across restartApiServer', async () => {
      const cp = controlPlane();
      await kubectlOk(cp, ['-n', ns, 'create', 'configmap', 'kept', '--from-literal=k=restart']);
      await cp.restartApiServer();
      const v = await kubectlOk(cp, ['-n', ns, 'get', 'configmap', 'kept', '-o', 'jsonpath={.data.k}']);
      assert.equal(v, 'restart');
    });

    it('is unreachable between stopApiServer and startApiServer, and keeps objects', async () => {
      const cp = controlPlane();
      await kubectlOk(cp, ['-n', ns, 'create', 'configmap', 'kept-2', '--from-literal=k=stop-start']);
      await cp.stopApiServer();
      const down = await cp.kubectl(['get', '--raw', '/readyz', '--request-timeout=2s']);
      assert.notEqual(down.code, 0);
      assert.match(down.stderr, /refused/);
      await cp.startApiServer();
      const v = await kubectlOk(cp, ['-n', ns, 'get', 'configmap', 'kept-2', '-o', 'jsonpath={.data.k}']);
      assert.equal(v, 'stop-start');
    });
  });

  describe('etcd compaction with the watch cache off', () => {
    let cp: ControlPlane | undefined;
    before(async function () {
      this.timeout(120_000);
      cp = await startControlPlane({
        watchCache: false,
        log: (msg) => process.stderr.write(`      ${msg}\n`),
      });
    });
    after(async function () {
      this.timeout(30_000);
      await cp?.stop();
    });

    it('answers 410 Expired to a watch from a compacted resourceVersion', async () => {
      const c = cp!;
      await kubectlOk(c, ['create', 'namespace', 'compaction']);
      await kubectlOk(c, ['-n', 'compaction', 'create', 'configmap', 'cm', '--from-literal=n=0']);
      const rv0 = await kubectlOk(c, [
        '-n',
        'compaction',
        'get',
        'cm',
        'cm',
        '-o',
        'jsonpath={.metadata.resourceVersion}',
      ]);
      for (const n of [1, 2, 3]) {
        await kubectlOk(c, [
          '-n',
          'compaction',
          'patch',
          'cm',
          'cm',
          '-p',
          JSON.stringify({ data: { n: `${n}` } }),
        ]);
      }
      const path = `/api/v1/namespaces/compaction/configmaps?watch=1&resourceVersion=${rv0}&timeoutSeconds=2`;
      const before = await kubectlOk(c, ['get', '--raw', path]);
      assert.match(before, /"type":"MODIFIED"/);
      assert.doesNotMatch(before, /"type":"ERROR"/);

      const current = await c.etcdRevision();
      assert.ok(current > Number(rv0), `etcd revision ${current} should be past ${rv0}`);
      assert.equal(await c.compactEtcd(), current);

      const after = await kubectlOk(c, ['get', '--raw', path]);
      const error = JSON.parse(after.trim().split('\n')[0] ?? '{}');
      assert.equal(error.type, 'ERROR', after);
      assert.equal(error.object.code, 410);
      assert.equal(error.object.reason, 'Expired');
    });
  });
});
