/**
 * Hostile inputs (issue 16), alert status and remediation: triage users who would rewrite the
 * evidence, and alerts the operator did not raise (or must not act on) that ask it to delete or
 * scale things. Played against the real API server with the shipped CRD, RBAC and admission
 * policies, and the operator as a process under its service account's name.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../../hack/operator-process.js';
import { create, createNamespace, WORKLOADS } from '../../../hack/samples.js';
import { alertName } from '../../../src/alerts/name.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { controlPlane } from '../setup.js';
import {
  adminClient,
  getAlert,
  installCrds,
  kubectlOk,
  suffix,
  waitDetectionReady,
} from '../support/cluster.js';
import {
  deletedOrGone,
  deploymentDetection,
  deploymentWithAlert,
  installShippedRbac,
  OPERATOR_SA,
  patchStatusAs,
  remediationResult,
  triageBindings,
  until,
} from './evidence-support.js';

const ARGS = ['--retention-sweep-seconds', '1', '--backoff-base-ms', '50', '--backoff-max-ms', '1000'];
const condition = (a: AuditAlert, type: string) => a.status?.conditions?.find((x) => x.type === type);
const deploymentPath = (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;

/** Alerts and policies of the attacks below. */
export function evidenceAttacks(): void {
  const id = suffix();
  const ns = { main: `evid-${id}`, ttl: `evid-ttl-${id}`, kind: `evid-kind-${id}` };
  const det = {
    main: `e2e-evidence-${id}`,
    ttl: `e2e-evidence-ttl-${id}`,
    kind: `e2e-evidence-kind-${id}`,
    sys: `e2e-evidence-sys-${id}`,
  };
  const victimNs = `evid-victim-${id}`;
  const sysDeployment = `tripline-evidence-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess | undefined;
  /** Kubeconfigs: the operator's identity (client cert CN = its service account name), a triage user. */
  let operator: string;
  let triager: string;

  /** Creates an AuditAlert as the operator's identity (the policy exempts it; the CRD still applies). */
  const createAsOperator = async (body: object): Promise<void> => {
    await kubectlOk(cp, ['create', '-f', '-', `--as=${OPERATOR_SA}`], JSON.stringify(body));
  };
  const replicas = async (nsName: string, name: string): Promise<number> =>
    (await c.request<{ spec: { replicas: number } }>('GET', deploymentPath(nsName, name))).spec.replicas;
  const requestAction = async (alert: string, action: string): Promise<void> => {
    const r = await patchStatusAs(cp, triager, alert, {
      remediation: { action, result: null, message: null },
    });
    assert.equal(r.code, 0, r.stderr);
  };

  before(async function () {
    this.timeout(180_000);
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await installShippedRbac(cp);
    for (const n of [ns.main, ns.ttl, ns.kind, victimNs]) await createNamespace(c, n);
    const detections = [
      deploymentDetection(det.main, [ns.main], '1h'),
      deploymentDetection(det.ttl, [ns.ttl], '1s'),
      deploymentDetection(det.kind, [ns.kind], '1h'),
      deploymentDetection(det.sys, ['kube-system'], '1h'),
    ];
    for (const d of detections) await kubectlOk(cp, ['apply', '-f', '-'], d);
    operator = (
      await cp.addUser(OPERATOR_SA, ['system:serviceaccounts', 'system:serviceaccounts:tripline-system'])
    ).kubeconfigPath;
    triager = (await cp.addUser(`evidence-triager-${id}`, [`secops-${id}`])).kubeconfigPath;
    await kubectlOk(cp, ['apply', '-f', '-'], triageBindings(id, `secops-${id}`));
    op = await startOperator(operator, ARGS);
    await op.waitReady();
    for (const d of Object.values(det)) await waitDetectionReady(c, d);
  });

  after(async function () {
    this.timeout(60_000);
    if (!cp) return;
    await cp.kubectl(['delete', '--ignore-not-found', '-k', path.join(repoRoot(), 'manifests/policies')]);
    if (op?.running()) await op.stop();
    await cp.kubectl(['delete', 'auditdetection', '--ignore-not-found', ...Object.values(det)]);
    await cp.kubectl(['delete', '--ignore-not-found', '-f', '-'], {
      input: triageBindings(id, `secops-${id}`),
    });
    await cp.kubectl(['delete', 'deployment', '-n', 'kube-system', sysDeployment, '--ignore-not-found']);
    c?.close();
  });

  describe('the CRD and the operator alone (no admission policy installed)', () => {
    it('retention does not delete a resolved alert whose user-written history is backdated to 2020', async () => {
      const kept = (await deploymentWithAlert(c, ns.main, `backdated-${id}`, det.main)).alert;
      const control = (await deploymentWithAlert(c, ns.ttl, `control-${id}`, det.ttl)).alert;
      // The review's attack: one patch resolves the alert with a history entry dated 2020 (TTL 1h).
      const backdated = { time: '2020-01-01T00:00:00Z', from: 'Open', to: 'Resolved', reason: 'Expected' };
      const r = await patchStatusAs(cp, cp.kubeconfigPath, kept, {
        state: 'Resolved',
        reason: 'Expected',
        history: [backdated],
      });
      assert.equal(r.code, 0, `appending is what the CRD allows; the policy refuses it (below): ${r.stderr}`);
      const resolvedOrGone = async (): Promise<boolean> =>
        getAlert(c, kept).then(
          (a) => condition(a, 'Resolved')?.status === 'True',
          (err: unknown) => isNotFound(err),
        );
      await waitFor(resolvedOrGone, 60_000, 'the operator to see the backdated alert resolved');
      // A control with a 1 s TTL, resolved after it: once a sweep deleted it, a sweep saw both.
      assert.equal(
        (await patchStatusAs(cp, triager, control, { state: 'Resolved', reason: 'Expected' })).code,
        0,
      );
      await waitFor(
        () => getAlert(c, control).then(() => false, isNotFound),
        60_000,
        'the control alert to expire',
      );
      const a = await getAlert(c, kept).catch((err: unknown) => {
        throw new Error('the backdated alert was deleted by retention', { cause: err });
      });
      assert.equal(a.status?.state, 'Resolved');
      assert.ok(
        Date.parse(a.status?.resolvedAt ?? '') > Date.parse('2026-01-01T00:00:00Z'),
        `resolvedAt is the operator's time: ${a.status?.resolvedAt}`,
      );
    });

    it('refuses removing, rewriting or reordering history, even to the operator', async () => {
      const { alert } = await deploymentWithAlert(c, ns.main, `history-${id}`, det.main);
      for (const [state, n] of [
        ['Acknowledged', 1],
        ['Open', 2],
      ] as const) {
        assert.equal((await patchStatusAs(cp, triager, alert, { state })).code, 0);
        await until(c, alert, (a) => (a.status?.history ?? []).length === n, `${n} history entries`);
      }
      const before = (await getAlert(c, alert)).status?.history ?? [];
      const [h0, h1] = before as [object, object];
      const cases: [string, unknown, RegExp][] = [
        ['removed', null, /status.history is append-only: entries cannot be removed/],
        ['emptied', [], /status.history is append-only: existing entries cannot be changed/],
        ['rewritten', [{ ...h0, by: 'someone-else' }, h1], /existing entries cannot be changed/],
        ['reordered', [h1, h0], /existing entries cannot be changed/],
      ];
      for (const [what, history, message] of cases) {
        const r = await patchStatusAs(cp, operator, alert, { history });
        assert.notEqual(r.code, 0, `history ${what} was accepted`);
        assert.match(r.stderr, message, what);
      }
      assert.deepEqual((await getAlert(c, alert)).status?.history, before);
    });

    it('remediation refuses a hand-made alert the operator did not raise (a Namespace as subject)', async () => {
      const victim = await c.request<KubeObject>('GET', `/api/v1/namespaces/${victimNs}`);
      const name = `delete-me-${id}`;
      await createAsOperator({
        apiVersion: 'tripline.dev/v1alpha1',
        kind: 'AuditAlert',
        metadata: { name },
        spec: {
          detection: { name: det.main },
          severity: 'Low',
          category: 'Other',
          event: 'Created',
          summary: 'hand-made',
          subject: { apiVersion: 'v1', kind: 'Namespace', name: victimNs, uid: victim.metadata.uid },
          detectedAt: new Date().toISOString(),
        },
      });
      await requestAction(name, 'DeleteSubject');
      const a = await remediationResult(c, name);
      assert.equal(a.status?.remediation?.result, 'Rejected', a.status?.remediation?.message);
      assert.match(a.status?.remediation?.message ?? '', /not raised by the operator/);
      assert.equal(
        await deletedOrGone(c, `/api/v1/namespaces/${victimNs}`),
        false,
        'the Namespace is intact',
      );
    });

    it('remediation refuses a subject without uid', async () => {
      const target = `nouid-${id}`;
      await create(c, (WORKLOADS[1] as (typeof WORKLOADS)[number]).collection(ns.main), {
        ...(WORKLOADS[1]?.body(target) as object),
      });
      const subject = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.main, name: target };
      // Named exactly as the operator names a uid-less subject (alerts/build.ts), so only the uid guard is left.
      const name = alertName(det.main, `apps/v1/Deployment/${ns.main}/${target}`);
      await createAsOperator({
        apiVersion: 'tripline.dev/v1alpha1',
        kind: 'AuditAlert',
        metadata: { name },
        spec: {
          detection: { name: det.main },
          severity: 'Low',
          category: 'Workload',
          event: 'Created',
          summary: 'subject without uid',
          subject,
          detectedAt: new Date().toISOString(),
        },
      });
      await requestAction(name, 'DeleteSubject');
      const a = await remediationResult(c, name);
      assert.equal(a.status?.remediation?.result, 'Rejected', a.status?.remediation?.message);
      assert.match(a.status?.remediation?.message ?? '', /has no uid/);
      assert.equal(
        await deletedOrGone(c, deploymentPath(ns.main, target)),
        false,
        'the Deployment is intact',
      );
    });

    it('remediation refuses a resolved alert', async () => {
      const target = `resolved-${id}`;
      const { alert } = await deploymentWithAlert(c, ns.main, target, det.main);
      const r = await patchStatusAs(cp, triager, alert, {
        state: 'Resolved',
        reason: 'Expected',
        remediation: { action: 'DeleteSubject' },
      });
      assert.equal(r.code, 0, r.stderr);
      const a = await remediationResult(c, alert);
      assert.equal(a.status?.remediation?.result, 'Rejected', a.status?.remediation?.message);
      assert.match(a.status?.remediation?.message ?? '', /the alert is Resolved/);
      assert.equal(
        await deletedOrGone(c, deploymentPath(ns.main, target)),
        false,
        'the Deployment is intact',
      );
    });

    it('remediation refuses a kind the detection does not watch (any more)', async () => {
      const target = `unwatched-${id}`;
      const { alert } = await deploymentWithAlert(c, ns.kind, target, det.kind);
      await kubectlOk(
        cp,
        ['apply', '-f', '-'],
        deploymentDetection(det.kind, [ns.kind], '1h', 'statefulsets'),
      );
      await waitDetectionReady(c, det.kind);
      await requestAction(alert, 'DeleteSubject');
      const a = await remediationResult(c, alert);
      assert.equal(a.status?.remediation?.result, 'Rejected', a.status?.remediation?.message);
      assert.match(a.status?.remediation?.message ?? '', /does not watch deployments.apps/);
      assert.equal(
        await deletedOrGone(c, deploymentPath(ns.kind, target)),
        false,
        'the Deployment is intact',
      );
    });

    it('remediation refuses an object in a system namespace', async () => {
      const { alert } = await deploymentWithAlert(c, 'kube-system', sysDeployment, det.sys);
      await requestAction(alert, 'ScaleToZero');
      const a = await remediationResult(c, alert);
      assert.equal(a.status?.remediation?.result, 'Rejected', a.status?.remediation?.message);
      assert.match(
        a.status?.remediation?.message ?? '',
        /kube-system\/.* is a system object.*allowSystemObjects/,
      );
      assert.equal(await replicas('kube-system', sysDeployment), 2, 'not scaled');
    });

    it('ScaleToZero never scales a new object that took the name (uid precondition)', async () => {
      const target = `reborn-${id}`;
      const { alert } = await deploymentWithAlert(c, ns.main, target, det.main);
      await c.request('DELETE', deploymentPath(ns.main, target));
      await create(c, (WORKLOADS[1] as (typeof WORKLOADS)[number]).collection(ns.main), {
        ...(WORKLOADS[1]?.body(target) as object),
      });
      await requestAction(alert, 'ScaleToZero');
      const a = await remediationResult(c, alert);
      assert.equal(a.status?.remediation?.result, 'Failed', a.status?.remediation?.message);
      assert.equal(await replicas(ns.main, target), 2, 'the new Deployment is not scaled');
    });
  });

  describe('with the shipped admission policies', () => {
    before(async function () {
      this.timeout(60_000);
      await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/policies')]);
      const probe = JSON.stringify({
        apiVersion: 'tripline.dev/v1alpha1',
        kind: 'AuditAlert',
        metadata: { name: `probe-${id}` },
        spec: {
          detection: { name: det.main },
          severity: 'Low',
          category: 'Other',
          event: 'Created',
          summary: 'probe',
          subject: { apiVersion: 'v1', kind: 'Namespace', name: victimNs },
          detectedAt: new Date().toISOString(),
        },
      });
      const refused = async (): Promise<boolean> =>
        (await cp.kubectl(['create', '--dry-run=server', '-f', '-'], { input: probe })).code !== 0;
      await waitFor(refused, 30_000, 'the evidence policy to take effect');
    });

    it('refuses an AuditAlert created by anyone but the operator, cluster admins included', async () => {
      const handMade = {
        apiVersion: 'tripline.dev/v1alpha1',
        kind: 'AuditAlert',
        metadata: { name: `hand-made-${id}` },
        spec: {
          detection: { name: det.main },
          severity: 'Low',
          category: 'Other',
          event: 'Created',
          summary: 'hand-made',
          subject: { apiVersion: 'v1', kind: 'Namespace', name: victimNs },
          detectedAt: new Date().toISOString(),
        },
      };
      const r = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(handMade) });
      assert.notEqual(r.code, 0, 'an admin created an AuditAlert');
      assert.match(r.stderr, /denied request: AuditAlerts are created only by the Tripline operator/);
      await assert.rejects(getAlert(c, `hand-made-${id}`), (e: unknown) => isNotFound(e));
      const asOperator = await cp.kubectl(['create', '--dry-run=server', '-f', '-'], {
        input: JSON.stringify(handMade),
        kubeconfig: operator,
      });
      assert.equal(asOperator.code, 0, `the operator's identity is exempt: ${asOperator.stderr}`);
    });

    it("refuses a triage user's writes to history and operator-owned fields", async () => {
      const { alert } = await deploymentWithAlert(c, ns.main, `tamper-${id}`, det.main);
      assert.equal((await patchStatusAs(cp, triager, alert, { state: 'Acknowledged' })).code, 0);
      const before = await until(
        c,
        alert,
        (a) => (a.status?.history ?? []).length === 1,
        'one history entry',
      );
      const h0 = before.status?.history?.[0] as object;
      const forged = {
        type: 'Resolved',
        status: 'True',
        reason: 'Forged',
        message: '',
        lastTransitionTime: '2020-01-01T00:00:00Z',
      };
      const owned =
        /conditions, observedGeneration, resolvedAt, traffic and action of AuditAlert .* are written only by the Tripline operator/;
      const cases: [string, object, RegExp][] = [
        ['a history deletion', { history: null }, /append-only: entries cannot be removed/],
        [
          'a history rewrite',
          { history: [{ ...h0, by: 'nobody' }] },
          /append-only: existing entries cannot be changed/,
        ],
        [
          'a backdated history entry',
          {
            state: 'Resolved',
            reason: 'Expected',
            history: [h0, { time: '2020-01-01T00:00:00Z', from: 'Acknowledged', to: 'Resolved' }],
          },
          /status.history of AuditAlert .* is written only by the Tripline operator/,
        ],
        ['a forged condition', { conditions: [forged] }, owned],
        ['a backdated resolvedAt', { resolvedAt: '2020-01-01T00:00:00Z' }, owned],
        ['observedGeneration', { observedGeneration: 99 }, owned],
        [
          'a remediation result',
          { remediation: { action: 'DeleteSubject', result: 'Succeeded', message: 'done' } },
          /remediation.result, message and requestedBy of AuditAlert .* are written only by the Tripline operator/,
        ],
      ];
      for (const [what, status, message] of cases) {
        const r = await patchStatusAs(cp, triager, alert, status);
        assert.notEqual(r.code, 0, `${what} was accepted`);
        assert.match(r.stderr, message, what);
      }
      const after = await getAlert(c, alert);
      assert.deepEqual(after.status?.history, before.status?.history);
      assert.deepEqual(after.status?.conditions, before.status?.conditions);
      assert.equal(after.status?.remediation, undefined);
    });

    it('refuses a cluster admin completing spec.actor with a made-up user', async () => {
      const { alert } = await deploymentWithAlert(c, ns.main, `actor-${id}`, det.main);
      assert.equal((await getAlert(c, alert)).spec.actor?.username, undefined, 'no admission webhook here');
      const r = await cp.kubectl([
        'patch',
        'auditalert',
        alert,
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { actor: { username: 'someone-else' } } }),
      ]);
      assert.notEqual(r.code, 0, 'the actor was rewritten');
      assert.match(r.stderr, /spec of AuditAlert .* is written only by the Tripline operator/);
      assert.equal((await getAlert(c, alert)).spec.actor?.username, undefined);
    });

    it('still lets a triage user resolve and request a remediation, recorded by the operator', async () => {
      const target = `legit-${id}`;
      const { alert } = await deploymentWithAlert(c, ns.main, target, det.main);
      await requestAction(alert, 'ScaleToZero');
      const a = await remediationResult(c, alert);
      assert.equal(a.status?.remediation?.result, 'Succeeded', a.status?.remediation?.message);
      assert.equal(a.status?.remediation?.requestedBy, 'manager:kubectl-patch');
      assert.equal(a.status?.state, 'Resolved');
      assert.equal(await replicas(ns.main, target), 0);
      const done = await until(c, alert, (x) => x.status?.resolvedAt !== undefined, 'resolvedAt');
      assert.equal(done.status?.history?.at(-1)?.to, 'Resolved');
    });
  });
}
