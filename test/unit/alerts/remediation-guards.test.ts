import assert from 'node:assert/strict';
import { alertName } from '../../../src/alerts/name.js';
import { execute, pendingAction, rejection, requester } from '../../../src/alerts/remediation.js';
import { isSystemObject } from '../../../src/alerts/remediation-guards.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { Discovery } from '../../../src/kube/resources.js';
import { trafficAlertName } from '../../../src/traffic/alert.js';
import { FakeCluster } from '../support/fake-cluster.js';

type Subject = AuditAlert['spec']['subject'];
const DEPLOYMENT: Subject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'x',
  uid: 'u1',
};
const DEPLOYMENTS = { group: 'apps', resource: 'deployments' };

/** An alert as the operator raises it: its name is the deterministic one unless `name` says otherwise. */
function alert(o: {
  action: string;
  subject?: Subject;
  state?: 'Open' | 'Acknowledged' | 'Resolved';
  name?: string;
  changeKey?: string;
  event?: string;
}): AuditAlert {
  const subject = o.subject ?? DEPLOYMENT;
  const name = o.name ?? alertName('d', subject.uid ?? '', o.changeKey);
  return {
    metadata: { name },
    spec: {
      detection: { name: 'd', generation: 1 },
      subject,
      event: o.event ?? 'Created',
      ...(o.changeKey ? { changeKey: o.changeKey } : {}),
    },
    status: { state: o.state ?? 'Open', remediation: { action: o.action } },
  } as unknown as AuditAlert;
}

/** A detection watching `resources` (default: Deployments) that allows `allowed`. */
function detection(
  allowed: string[],
  resources = [{ group: 'apps', version: 'v1', resource: 'deployments' }],
  allowSystemObjects?: boolean,
): AuditDetection {
  const remediation = { allowedActions: allowed, ...(allowSystemObjects ? { allowSystemObjects } : {}) };
  return { spec: { resources, remediation } } as unknown as AuditDetection;
}

const NAMESPACES = { group: '', resource: 'namespaces' };
const CLUSTERROLES = { group: 'rbac.authorization.k8s.io', resource: 'clusterroles' };
const watchNamespaces = [{ group: '', version: 'v1', resource: 'namespaces' }];
const watchClusterRoles = [{ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' }];
const ns = (name: string): Subject => ({ apiVersion: 'v1', kind: 'Namespace', name, uid: `ns-${name}` });
const role = (name: string): Subject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  name,
  uid: `cr-${name}`,
});

describe('remediation guards', () => {
  const cases: {
    name: string;
    a: AuditAlert;
    d: AuditDetection | undefined;
    resource?: { group: string; resource: string };
    want: RegExp | undefined;
  }[] = [
    {
      name: 'allows an allowed action on a watched kind of an operator-raised open alert',
      a: alert({ action: 'ScaleToZero' }),
      d: detection(['ScaleToZero']),
      resource: DEPLOYMENTS,
      want: undefined,
    },
    {
      name: 'allows an acknowledged alert and a change key in the name',
      a: alert({ action: 'DeleteSubject', state: 'Acknowledged', changeKey: 'gen/3' }),
      d: detection(['DeleteSubject']),
      resource: DEPLOYMENTS,
      want: undefined,
    },
    {
      name: 'allows a traffic episode alert, named for its Ingress and episode',
      a: alert({
        action: 'DeleteSubject',
        subject: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          namespace: 'shop',
          name: 'web',
          uid: 'i1',
        },
        event: 'TrafficAnomaly',
        changeKey: 'request-rate/2',
        name: trafficAlertName('d', 'ingress/shop/web', 'request-rate', 2),
      }),
      d: detection(['DeleteSubject'], [{ group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' }]),
      resource: { group: 'networking.k8s.io', resource: 'ingresses' },
      want: undefined,
    },
    {
      name: 'refuses an action the detection does not list',
      a: alert({ action: 'DeleteSubject' }),
      d: detection(['ScaleToZero']),
      resource: DEPLOYMENTS,
      want: /not allowed by AuditDetection d/,
    },
    {
      name: 'refuses ScaleToZero on a Pod',
      a: alert({ action: 'ScaleToZero', subject: { ...DEPLOYMENT, apiVersion: 'v1', kind: 'Pod' } }),
      d: detection(['ScaleToZero'], [{ group: '', version: 'v1', resource: 'pods' }]),
      resource: { group: '', resource: 'pods' },
      want: /applies to Deployment, StatefulSet, ReplicaSet/,
    },
    {
      name: 'refuses RevokeClusterRole on a Deployment',
      a: alert({ action: 'RevokeClusterRole' }),
      d: detection(['RevokeClusterRole']),
      resource: DEPLOYMENTS,
      want: /applies to ClusterRole/,
    },
    {
      name: 'refuses when the detection was deleted',
      a: alert({ action: 'DeleteSubject' }),
      d: undefined,
      resource: DEPLOYMENTS,
      want: /no longer exists/,
    },
    {
      name: 'refuses a Resolved alert',
      a: alert({ action: 'DeleteSubject', state: 'Resolved' }),
      d: detection(['DeleteSubject']),
      resource: DEPLOYMENTS,
      want: /the alert is Resolved/,
    },
    {
      name: 'refuses a subject without uid',
      a: alert({ action: 'DeleteSubject', subject: { ...DEPLOYMENT, uid: undefined } as Subject }),
      d: detection(['DeleteSubject']),
      resource: DEPLOYMENTS,
      want: /has no uid/,
    },
    {
      name: 'refuses an alert whose name is not the deterministic one (hand-made)',
      a: alert({ action: 'DeleteSubject', name: 'delete-my-namespace' }),
      d: detection(['DeleteSubject']),
      resource: DEPLOYMENTS,
      want: /not the name the operator gives .*not raised by the operator/,
    },
    {
      name: 'refuses an alert named for another subject uid',
      a: alert({ action: 'DeleteSubject', name: alertName('d', 'other-uid') }),
      d: detection(['DeleteSubject']),
      resource: DEPLOYMENTS,
      want: /not raised by the operator/,
    },
    {
      name: 'refuses a kind the detection does not watch',
      a: alert({ action: 'DeleteSubject', subject: ns('shop') }),
      d: detection(['DeleteSubject']),
      resource: NAMESPACES,
      want: /does not watch namespaces: it remediates only kinds it watches/,
    },
    {
      name: 'refuses a kind the API server does not serve',
      a: alert({ action: 'DeleteSubject' }),
      d: detection(['DeleteSubject']),
      resource: undefined,
      want: /does not serve kind Deployment/,
    },
    {
      name: 'refuses an object in kube-system',
      a: alert({ action: 'ScaleToZero', subject: { ...DEPLOYMENT, namespace: 'kube-system' } }),
      d: detection(['ScaleToZero']),
      resource: DEPLOYMENTS,
      want: /Deployment kube-system\/x is a system object.*allowSystemObjects: true/,
    },
    {
      name: 'refuses the Namespace tripline-system',
      a: alert({ action: 'DeleteSubject', subject: ns('tripline-system') }),
      d: detection(['DeleteSubject'], watchNamespaces),
      resource: NAMESPACES,
      want: /Namespace tripline-system is a system object/,
    },
    {
      name: 'refuses the Namespace default',
      a: alert({ action: 'DeleteSubject', subject: ns('default') }),
      d: detection(['DeleteSubject'], watchNamespaces),
      resource: NAMESPACES,
      want: /Namespace default is a system object/,
    },
    {
      name: 'allows an ordinary Namespace',
      a: alert({ action: 'DeleteSubject', subject: ns('shop') }),
      d: detection(['DeleteSubject'], watchNamespaces),
      resource: NAMESPACES,
      want: undefined,
    },
    {
      name: 'refuses a system: ClusterRole',
      a: alert({ action: 'RevokeClusterRole', subject: role('system:node') }),
      d: detection(['RevokeClusterRole'], watchClusterRoles),
      resource: CLUSTERROLES,
      want: /ClusterRole system:node is a system object/,
    },
    {
      name: 'refuses cluster-admin',
      a: alert({ action: 'RevokeClusterRole', subject: role('cluster-admin') }),
      d: detection(['RevokeClusterRole'], watchClusterRoles),
      resource: CLUSTERROLES,
      want: /ClusterRole cluster-admin is a system object/,
    },
    {
      name: 'allows a system object when the detection says allowSystemObjects',
      a: alert({ action: 'RevokeClusterRole', subject: role('system:odd') }),
      d: detection(['RevokeClusterRole'], watchClusterRoles, true),
      resource: CLUSTERROLES,
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = rejection(c.a, pendingAction(c.a) as string, c.d, c.resource);
      if (c.want === undefined) assert.equal(r, undefined);
      else assert.match(r ?? '', c.want);
    });
  }

  it('a request with a result is not pending', () => {
    const a = alert({ action: 'DeleteSubject' });
    (a.status as { remediation: object }).remediation = { action: 'DeleteSubject', result: 'Failed' };
    assert.equal(pendingAction(a), undefined);
  });
});

describe('system objects', () => {
  const cases: [string, Subject, boolean][] = [
    ['a Pod in kube-system', { ...DEPLOYMENT, kind: 'Pod', namespace: 'kube-system' }, true],
    ['a Deployment in kube-node-lease', { ...DEPLOYMENT, namespace: 'kube-node-lease' }, true],
    ['a Deployment in default', { ...DEPLOYMENT, namespace: 'default' }, false],
    ['Namespace kube-public', ns('kube-public'), true],
    ['Namespace shop', ns('shop'), false],
    [
      'ClusterRoleBinding system:basic-user',
      { ...role('system:basic-user'), kind: 'ClusterRoleBinding' },
      true,
    ],
    ['ClusterRole view', role('view'), true],
    ['ClusterRole shop-reader', role('shop-reader'), false],
  ];
  for (const [name, subject, want] of cases) it(name, () => assert.equal(isSystemObject(subject), want));
});

describe('remediation requester', () => {
  const cases: { name: string; managedFields: unknown[]; want: string | undefined }[] = [
    {
      name: 'the field manager of the status write that set the action',
      managedFields: [
        { manager: 'tripline', subresource: 'status', fieldsV1: { 'f:status': { 'f:history': {} } } },
        {
          manager: 'kubectl-patch',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:remediation': { 'f:action': {} } } },
        },
      ],
      want: 'manager:kubectl-patch',
    },
    {
      name: 'nothing when no status write owns the action',
      managedFields: [{ manager: 'kubectl-edit', fieldsV1: { 'f:spec': {} } }],
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = alert({ action: 'DeleteSubject' });
      (a.metadata as { managedFields: unknown[] }).managedFields = c.managedFields;
      assert.equal(requester(a), c.want);
    });
  }
});

describe('remediation writes carry the subject uid', () => {
  const DEPLOYS = 'deployments.apps';
  /** The cluster with Deployment shop/x, whose uid is `uid` (u1: the alert's subject). */
  const clusterWith = (uid = 'u1'): FakeCluster => {
    const cluster = new FakeCluster();
    cluster.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'shop', name: 'x', uid },
      spec: { replicas: 3 },
    });
    return cluster;
  };
  const stored = (c: FakeCluster) =>
    c.get({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'shop', name: 'x' } });
  const cases: {
    name: string;
    action: string;
    subject: Subject;
    storedUid?: string;
    result: string;
    writes: string[];
    body?: unknown;
    after: (d: ReturnType<typeof stored>) => boolean;
  }[] = [
    {
      name: 'DeleteSubject deletes with a uid precondition',
      action: 'DeleteSubject',
      subject: DEPLOYMENT,
      result: 'Succeeded',
      writes: [`delete ${DEPLOYS} shop/x`],
      body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'u1' } },
      after: (d) => d === undefined,
    },
    {
      name: 'DeleteSubject leaves a new object that took the name (uid precondition: 409)',
      action: 'DeleteSubject',
      subject: DEPLOYMENT,
      storedUid: 'u2',
      result: 'Failed',
      writes: [`delete ${DEPLOYS} shop/x -> 409`],
      after: (d) => d?.metadata.uid === 'u2',
    },
    {
      name: 'ScaleToZero patches the scale with a test of metadata.uid first',
      action: 'ScaleToZero',
      subject: DEPLOYMENT,
      result: 'Succeeded',
      writes: [`patch ${DEPLOYS} shop/x/scale`],
      body: [
        { op: 'test', path: '/metadata/uid', value: 'u1' },
        { op: 'replace', path: '/spec/replicas', value: 0 },
      ],
      after: (d) => (d?.spec as { replicas?: number } | undefined)?.replicas === 0,
    },
    {
      name: 'ScaleToZero leaves a new object that took the name (the uid test fails the patch: 422)',
      action: 'ScaleToZero',
      subject: DEPLOYMENT,
      storedUid: 'u2',
      result: 'Failed',
      writes: [`patch ${DEPLOYS} shop/x/scale -> 422`],
      after: (d) => (d?.spec as { replicas?: number } | undefined)?.replicas === 3,
    },
    {
      name: 'nothing is sent for a subject without uid',
      action: 'DeleteSubject',
      subject: { ...DEPLOYMENT, uid: undefined } as Subject,
      result: 'Failed',
      writes: [],
      after: (d) => d !== undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const cluster = clusterWith(c.storedUid);
      const discovery = new Discovery(cluster);
      const out = await execute(
        cluster,
        discovery,
        alert({ action: c.action, subject: c.subject }),
        c.action,
      );
      assert.equal(out.result, c.result, out.message);
      assert.deepEqual(cluster.writes(), c.writes);
      const write = cluster.actions.find((a) => a.verb !== 'get');
      if (c.body !== undefined) assert.deepEqual(write?.body, c.body);
      if (write?.verb === 'patch') assert.equal(write.path.endsWith('/scale'), true);
      assert.ok(c.after(stored(cluster)), JSON.stringify(stored(cluster)));
    });
  }
});
