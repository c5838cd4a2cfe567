import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { type ControlPlane, startControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createNamespace } from '../../hack/samples.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import { ACCEPT_METADATA, type KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import { allAlerted, assertExactlyOnce, bigPodBody, createPods } from './support/burst.js';
import { adminClient, alertsFor, installCrds, kubectlOk, suffix, waitForAlerts } from './support/cluster.js';
import { FaultProxy } from './support/fault-proxy.js';

const FAST = ['--watch-stall-seconds', '3', '--backoff-base-ms', '50', '--backoff-max-ms', '1000'];

/** Installs CRDs and default detections (idempotent) and waits past the creation-second boundary. */
async function prepare(cp: ControlPlane): Promise<void> {
  await installCrds(cp);
  await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
}

async function settle(c: KubeClient, op: OperatorProcess, objs: KubeObject[]): Promise<void> {
  await waitFor(() => allAlerted(c, objs), 120_000, `alerts for all ${objs.length} objects`).catch(
    (err: unknown) => {
      // Say whether the operator died (e.g. its heap cap) and what it logged last.
      const state = op.running() ? 'running' : `exited ${op.proc.exitCode ?? op.proc.signalCode}`;
      const logs = op.logs();
      const said = logs.match(/FATAL ERROR[^\n]*/)?.[0] ?? `last log: ${logs.slice(-800)}`;
      throw new Error(`${(err as Error).message}; operator ${state}; ${said}`, { cause: err });
    },
  );
  await op.waitIdle();
  await assertExactlyOnce(c, objs);
  assert.ok(op.running(), 'operator still running');
}

describe('faults: no alert lost or duplicated', function () {
  this.timeout(300_000);
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess | undefined;
  const ns = `faults-${suffix()}`;

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await prepare(cp);
    await createNamespace(c, ns);
  });
  afterEach(async () => {
    if (op?.running()) await op.stop();
    op = undefined;
  });
  after(() => c?.close());

  it('a burst of 300 alerts reuses one small pool of connections', async () => {
    // Default stall timeout: FAST's 3 s would restart idle watches (each a new connection) mid-test.
    op = await startOperator(cp.kubeconfigPath, ['--workers', '8']);
    await op.waitReady();
    const before = await op.metric('tripline_api_connections_opened');
    const pods = await createPods(c, ns, 'pool', 300, { concurrency: 50 });
    await settle(c, op, pods);
    const opened = (await op.metric('tripline_api_connections_opened')) - before;
    // client-node 2.0.1 as shipped would open one per request (DESIGN §6): ~300 here.
    assert.ok(opened <= 8 + 4, `opened ${opened} new connections for 300 alerts (8 workers)`);
  });

  it('SIGKILL of the operator mid-burst', async () => {
    op = await startOperator(cp.kubeconfigPath, FAST);
    await op.waitReady();
    let killed: Promise<void> | undefined;
    const first = op;
    const pods = await createPods(c, ns, 'kill', 300, {
      onProgress: (n) => {
        if (n === 100) killed = first.kill();
      },
    });
    await killed;
    op = await startOperator(cp.kubeconfigPath, FAST);
    await op.waitReady();
    await settle(c, op, pods);
  });

  it('a bounded backlog: a catch-up after downtime and a live burst, read no faster than alerts drain', async () => {
    const cap = 10;
    const args = [...FAST, '--alert-backlog', String(cap), '--list-page-size', '10', '--workers', '2'];
    op = await startOperator(cp.kubeconfigPath, args);
    await op.waitReady();
    await op.stop();
    // 150 new Pods while it is down (found by the start-up list), 150 more while it catches up.
    const missed = await createPods(c, ns, 'backlog-down', 150);
    op = await startOperator(cp.kubeconfigPath, args);
    const running = op;
    let maxDepth = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling && running.running()) {
        maxDepth = Math.max(maxDepth, await running.metric('tripline_queue_depth').catch(() => 0));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const live = await createPods(c, ns, 'backlog-live', 150);
      await settle(c, op, [...missed, ...live]);
    } finally {
      sampling = false;
      await sampler;
    }
    assert.ok((await op.metric('tripline_backlog_full_total')) > 0, 'the feeds were held back');
    // A page (10) or one watch chunk (a few dozen events) may land on a full backlog; never all 300.
    assert.ok(maxDepth <= cap + 60, `queue depth reached ${maxDepth} with --alert-backlog ${cap}`);
  });

  it('a flood of 1.4 MB Pods, caught up after downtime and live, within the image heap cap', async () => {
    // A tenant allowed to create Pods fills them to etcd's limit. The operator runs with the image's
    // V8 flags (--max-old-space-size=128) and its default page size and backlog: a list page or a
    // backlog counted in objects alone would hold hundreds of megabytes of them at once.
    const flood = { body: bigPodBody, metadataOnly: true, concurrency: 4 };
    op = await startOperator(cp.kubeconfigPath, FAST);
    await op.waitReady();
    await op.stop();
    const missed = await createPods(c, ns, 'flood-down', 120, flood);
    op = await startOperator(cp.kubeconfigPath, FAST);
    const live = await createPods(c, ns, 'flood-live', 60, flood);
    const all = [...missed, ...live];
    await settle(c, op, all);
    // Later tests start operators that list every Pod: leave them the small ones.
    for (const p of all) await c.request('DELETE', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`);
  });

  it("a tenant's Roles of 14,000 rules each: the RBAC index cuts them within the heap cap, and alerts say so", async () => {
    // Read whole, each of these Roles took 13 MB of heap in the index (1.3 MB of JSON): a dozen
    // passed the image's 128 MB cap, and each restart relisted them and died again.
    op = await startOperator(cp.kubeconfigPath, FAST);
    await op.waitReady();
    const rules = Array.from({ length: 14_000 }, (_, i) => ({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [`cm-${i}`],
      verbs: ['get'],
    }));
    const roles: KubeObject[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await c.request<KubeObject>(
        'POST',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
        {
          body: {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'Role',
            metadata: { name: `wide-${i}` },
            rules,
          },
          accept: ACCEPT_METADATA,
        },
      );
      roles.push(r);
    }
    const binding = await create(c, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'wide-0-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'wide-0' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
    });
    await settle(c, op, [...roles, binding]);
    const [alert] = await alertsFor(c, binding.metadata.uid as string);
    assert.ok(
      (alert?.spec.notes ?? []).some((n) =>
        /^binding: rbac index incomplete: \d+ objects cut to \d+ rules/.test(n),
      ),
      `the binding's alert says its facts may be short: ${JSON.stringify(alert?.spec.notes)}`,
    );
    await waitFor(
      async () => (await op?.metric('tripline_rbac_index_incomplete', { reason: 'cut' })) === 12,
      30_000,
      'the index to count the 12 Roles it cut',
    );
    for (const r of roles)
      await c.request(
        'DELETE',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${r.metadata.name}`,
      );
  });

  it('API server restart mid-burst', async () => {
    op = await startOperator(cp.kubeconfigPath, FAST);
    await op.waitReady();
    let restarted: Promise<void> | undefined;
    const pods = await createPods(c, ns, 'restart', 300, {
      onProgress: (n) => {
        if (n === 100) restarted = cp.restartApiServer();
      },
    });
    await restarted;
    await settle(c, op, pods);
    assert.ok((await op.metric('tripline_watch_restarts_total')) > 0);
  });

  it('429 and 5xx answers on alert creation', async () => {
    const proxy = new FaultProxy(cp);
    const kubeconfig = await proxy.start(cp.dir);
    try {
      op = await startOperator(kubeconfig, FAST);
      await op.waitReady();
      proxy.fail({
        method: 'POST',
        pathIncludes: '/auditalerts',
        status: 429,
        times: 15,
        retryAfterSeconds: 1,
      });
      proxy.fail({ method: 'POST', pathIncludes: '/auditalerts', status: 500, times: 10 });
      proxy.fail({ method: 'POST', pathIncludes: '/auditalerts', status: 503, times: 10 });
      const pods = await createPods(c, ns, 'throttled', 40);
      await settle(c, op, pods);
      assert.equal(proxy.injected, 35, 'every injected fault was hit');
      assert.ok((await op.metric('tripline_alert_write_errors_total', { reason: 'throttled' })) >= 15);
      assert.ok((await op.metric('tripline_alert_write_errors_total', { reason: 'server' })) >= 20);
    } finally {
      await proxy.stop();
    }
  });

  it('an alert refused as too large is written again with evidence trimmed', async () => {
    const proxy = new FaultProxy(cp);
    const kubeconfig = await proxy.start(cp.dir);
    try {
      op = await startOperator(kubeconfig, FAST);
      await op.waitReady();
      await op.waitIdle(); // the fault must hit this test's alert, not a leftover one
      // What etcd's limit looks like from the API server (DESIGN §7 checked: HTTP 500).
      proxy.fail({
        method: 'POST',
        pathIncludes: '/auditalerts',
        status: 500,
        times: 1,
        message: 'etcdserver: request is too large',
      });
      const [pod] = await createPods(c, ns, 'toolarge', 1);
      await settle(c, op, [pod as KubeObject]);
      const [a] = await alertsFor(c, pod?.metadata.uid as string);
      assert.match(
        JSON.stringify(a?.spec.notes),
        /trim/i,
        `the alert says its evidence was trimmed: ${JSON.stringify(a?.spec.notes)}`,
      );
      assert.equal(proxy.injected, 1);
    } finally {
      await proxy.stop();
    }
  });

  it('a watch that goes silent without closing', async () => {
    const proxy = new FaultProxy(cp);
    const kubeconfig = await proxy.start(cp.dir);
    try {
      op = await startOperator(kubeconfig, FAST);
      await op.waitReady();
      // The Pod watch may be between two streams (resumed, or relisted for a detection change) at
      // any moment: silence the streams only once one on pods is open, so the pods below can only
      // reach the operator through a stream it found silent and resumed.
      const onPods = (paths: string[]) => paths.some((p) => p.endsWith('/pods'));
      await waitFor(() => onPods(proxy.openWatches()), 30_000, 'a watch stream on pods');
      const silenced = proxy.stallOpenWatches();
      assert.ok(onPods(silenced), `the pods stream was silenced: ${silenced.join(', ')}`);
      const pods = await createPods(c, ns, 'stalled', 20);
      await settle(c, op, pods);
      await waitFor(
        async () => ((await op?.metric('tripline_watch_restarts_total', { reason: 'stalled' })) ?? 0) > 0,
        30_000,
        'the silenced streams counted as stalled',
      );
    } finally {
      await proxy.stop();
    }
  });

  it('RBAC revoked mid-run: backs off, recovers when restored', async () => {
    const user = await cp.addUser(`tripline-op-${suffix()}`, ['tripline-operators']);
    await kubectlOk(cp, ['apply', '-f', path.join(repoRoot(), 'manifests/rbac/role.yaml')]);
    const bind = [
      'create',
      'clusterrolebinding',
      'tripline-op-e2e',
      '--clusterrole=tripline-operator',
      '--group=tripline-operators',
    ];
    await kubectlOk(cp, bind);
    op = await startOperator(user.kubeconfigPath, FAST);
    await op.waitReady();
    const before = await createPods(c, ns, 'rbac-ok', 5);
    await waitFor(() => allAlerted(c, before), 60_000, 'alerts with the shipped least-privilege role');
    await kubectlOk(cp, ['delete', 'clusterrolebinding', 'tripline-op-e2e']);
    const during = await createPods(c, ns, 'rbac-revoked', 10);
    await waitFor(
      async () =>
        ((await op?.metric('tripline_watch_restarts_total', { reason: 'error' })) as number) > 0 ||
        ((await op?.metric('tripline_alert_write_errors_total', { reason: 'forbidden' })) as number) > 0,
      60_000,
      'the operator to notice it lost access',
    );
    assert.ok(op.running(), 'still running without access');
    await kubectlOk(cp, bind);
    await settle(c, op, [...before, ...during]);
  });

  it('objects near the size limit and with hostile annotations', async () => {
    op = await startOperator(cp.kubeconfigPath, FAST);
    await op.waitReady();
    const big = await create(c, `/api/v1/namespaces/${ns}/pods`, bigPodBody('big'));
    const hostile = await create(c, `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'hostile',
        annotations: { 'example.com/x': '\u001b[31mred\n{"level":"error","message":"forged"}\u0000' },
        labels: { 'app.kubernetes.io/managed-by': 'argocd' },
      },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/hostile:1' }] },
    });
    const wide = await create(c, `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'wide' },
      spec: {
        containers: Array.from({ length: 90 }, (_, i) => ({
          name: `c-${i}`,
          image: `registry.example.com/team/${'long-image-name-'.repeat(4)}${i}:1.0.${i}`,
          ports: [{ containerPort: 1000 + i }],
        })),
      },
    });
    await settle(c, op, [big, hostile, wide]);
    const [a] = await alertsFor(c, big.metadata.uid as string);
    assert.ok(JSON.stringify(a).length < 200_000, 'the 1.4 MB object is not copied into the alert');
    assert.ok(!JSON.stringify(a).includes('s3cr3t'), 'no env values in the alert');
    // A tenant's oversized object cannot make its alert cost more than a typical one (ADR 27):
    // evidence stays within the workload budget, and a note says when it had to be cut to fit.
    const [w] = await alertsFor(c, wide.metadata.uid as string);
    for (const alert of [a, w]) {
      const bytes = Buffer.byteLength(JSON.stringify(alert?.spec.evidence));
      assert.ok(bytes <= 3072, `evidence within the workload budget, not ${bytes} bytes`);
    }
    assert.ok(
      (w?.spec.notes ?? []).some((n) => n.startsWith('evidence bounded to 3072 bytes for a Pod')),
      `a note says the evidence was bounded: ${JSON.stringify(w?.spec.notes)}`,
    );
    const [h] = await alertsFor(c, hostile.metadata.uid as string);
    assert.equal(
      h?.metadata?.labels?.['app.kubernetes.io/managed-by'],
      'tripline',
      'subject labels are never copied',
    );
    assert.ok(!op.logs().includes('"message":"forged"}'), 'annotation text cannot forge a log line');
  });

  it('create-then-delete within milliseconds raises one alert', async () => {
    op = await startOperator(cp.kubeconfigPath, FAST);
    await op.waitReady();
    const gone: KubeObject[] = [];
    for (let i = 0; i < 10; i++) {
      const p = await createPods(c, ns, `blink-${i}`, 1);
      await c.request('DELETE', `/api/v1/namespaces/${ns}/pods/blink-${i}-0`, {
        query: { gracePeriodSeconds: 0 },
      });
      gone.push(...p);
    }
    await settle(c, op, gone);
  });
});

describe('faults: 410 Gone after etcd compaction (watch cache off)', function () {
  this.timeout(300_000);
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess | undefined;

  before(async () => {
    cp = await startControlPlane({ watchCache: false, log: () => {} });
    c = adminClient(cp);
    await prepare(cp);
  });
  after(async () => {
    if (op?.running()) await op.stop();
    c?.close();
    await cp?.stop();
  });

  it('relists after 410 while its watch was behind, and misses nothing', async () => {
    const ns = `gone-${suffix()}`;
    await new Promise((r) => setTimeout(r, 1100));
    await createNamespace(c, ns);
    op = await startOperator(cp.kubeconfigPath, FAST);
    await op.waitReady();
    const early = await createPods(c, ns, 'early', 10);
    await waitFor(() => allAlerted(c, early), 60_000, 'early alerts');
    op.proc.kill('SIGSTOP'); // its watches fall behind
    await cp.restartApiServer(); // drops the streams the frozen operator held
    const behind = await createPods(c, ns, 'behind', 20);
    for (let i = 0; i < 50; i++) {
      await c.request('PATCH', `/api/v1/namespaces/${ns}/pods/early-0`, {
        body: { metadata: { annotations: { bump: String(i) } } },
        contentType: 'application/merge-patch+json',
      });
    }
    await cp.compactEtcd();
    op.proc.kill('SIGCONT');
    await settle(c, op, [...early, ...behind]);
    assert.ok((await op.metric('tripline_watch_restarts_total', { reason: 'gone' })) > 0, 'a 410 was seen');
    await waitForAlerts(c, behind[0]?.metadata.uid as string);
  });
});
