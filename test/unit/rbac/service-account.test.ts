import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { PolicyRule } from '../../../src/rbac/rules.js';
import { analyseServiceAccount, type TokenMount, tokenMount } from '../../../src/rbac/service-account.js';
import { SERVICE_ACCOUNT_RISKS } from '../../../src/rbac/service-account-risks.js';
import {
  bootstrap,
  clusterRole,
  clusterRoleBinding,
  group,
  role,
  roleBinding,
  sa,
  stateOf,
  user,
} from './fixtures.js';

const NS = 'shop';
const MOUNTED: TokenMount = { automount: true, from: 'default', projectedToken: false };

/** A Role in the shop namespace with `rules`, bound to the service account shop/app. */
const grantInNamespace = (rules: PolicyRule[]): KubeObject[] => [
  role(NS, 'granted', rules),
  roleBinding(NS, 'app-granted', { kind: 'Role', name: 'granted' }, [sa(NS, 'app')]),
];

/** A ClusterRole with `rules` bound cluster-wide to `subjects`. */
const grantClusterWide = (rules: PolicyRule[], subjects = [sa(NS, 'app')]): KubeObject[] => [
  clusterRole('granted', rules),
  clusterRoleBinding('app-granted', 'granted', subjects),
];

const analyse = (objs: KubeObject[], token = MOUNTED) =>
  analyseServiceAccount(stateOf([...bootstrap(), ...objs]), { namespace: NS, name: 'app' }, token);

const core = (resources: string[], verbs: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({
  apiGroups: [''],
  resources,
  verbs,
  ...extra,
});

describe('what the workload can do: service account risks', () => {
  const cases: { name: string; objs: KubeObject[]; want: Record<string, string> }[] = [
    { name: 'the default bindings raise nothing', objs: [], want: {} },
    {
      name: 'serviceaccount.secrets-read: list secrets in the namespace',
      objs: grantInNamespace([core(['secrets'], ['list'])]),
      want: { 'serviceaccount.secrets-read': 'High' },
    },
    {
      name: 'serviceaccount.secrets-read: cluster-wide is Critical',
      objs: grantClusterWide([core(['secrets'], ['get', 'watch'])]),
      want: { 'serviceaccount.secrets-read': 'Critical' },
    },
    {
      name: 'serviceaccount.secrets-read: not for named Secrets only',
      objs: grantInNamespace([core(['secrets'], ['get'], { resourceNames: ['app-tls'] })]),
      want: {},
    },
    {
      name: 'serviceaccount.secrets-read: not for configmaps',
      objs: grantInNamespace([core(['configmaps'], ['*'])]),
      want: {},
    },
    {
      name: 'serviceaccount.pods-exec-attach: create pods/exec',
      objs: grantInNamespace([core(['pods/exec'], ['create'])]),
      want: { 'serviceaccount.pods-exec-attach': 'High' },
    },
    {
      name: 'serviceaccount.pods-exec-attach: get pods/attach (websocket upgrade before 1.31)',
      objs: grantInNamespace([core(['pods/attach'], ['get'])]),
      want: { 'serviceaccount.pods-exec-attach': 'High' },
    },
    {
      name: 'serviceaccount.pods-exec-attach: not for pods/log',
      objs: grantInNamespace([core(['pods/log'], ['get'])]),
      want: {},
    },
    {
      name: 'serviceaccount.workloads-create: create deployments',
      objs: grantInNamespace([{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] }]),
      want: { 'serviceaccount.workloads-create': 'Medium' },
    },
    {
      name: 'serviceaccount.workloads-create: create pods cluster-wide is High',
      objs: grantClusterWide([core(['pods'], ['create'])]),
      want: { 'serviceaccount.workloads-create': 'High' },
    },
    {
      name: 'serviceaccount.workloads-create: not for reading workloads',
      objs: grantInNamespace([{ apiGroups: ['apps', 'batch'], resources: ['*'], verbs: ['get', 'list'] }]),
      want: {},
    },
    {
      name: 'serviceaccount.escalate-bind: escalate clusterroles',
      objs: grantClusterWide([
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate'] },
      ]),
      want: { 'serviceaccount.escalate-bind': 'Critical' },
    },
    {
      name: 'serviceaccount.escalate-bind: bind roles in the namespace',
      objs: grantInNamespace([
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['bind'] },
      ]),
      want: { 'serviceaccount.escalate-bind': 'High' },
    },
    {
      name: 'serviceaccount.escalate-bind: not for creating rolebindings alone',
      objs: grantInNamespace([
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
      ]),
      want: {},
    },
    {
      name: 'serviceaccount.impersonate: impersonate users',
      objs: grantClusterWide([core(['users'], ['impersonate'])]),
      want: { 'serviceaccount.impersonate': 'Critical' },
    },
    {
      name: 'serviceaccount.impersonate: impersonate service accounts in the namespace',
      objs: grantInNamespace([core(['serviceaccounts'], ['impersonate'])]),
      want: { 'serviceaccount.impersonate': 'Critical' },
    },
    {
      name: 'serviceaccount.impersonate: not for reading service accounts',
      objs: grantInNamespace([core(['serviceaccounts'], ['get', 'list'])]),
      want: {},
    },
    {
      name: 'serviceaccount.cluster-admin: bound cluster-wide (with everything it implies)',
      objs: [clusterRoleBinding('app-root', 'cluster-admin', [sa(NS, 'app')])],
      want: {
        'serviceaccount.secrets-read': 'Critical',
        'serviceaccount.pods-exec-attach': 'Critical',
        'serviceaccount.workloads-create': 'High',
        'serviceaccount.escalate-bind': 'Critical',
        'serviceaccount.impersonate': 'Critical',
        'serviceaccount.cluster-admin': 'Critical',
      },
    },
    {
      name: 'serviceaccount.cluster-admin: bound in the namespace only is High',
      objs: [roleBinding(NS, 'app-root', { kind: 'ClusterRole', name: 'cluster-admin' }, [sa(NS, 'app')])],
      want: {
        'serviceaccount.secrets-read': 'High',
        'serviceaccount.pods-exec-attach': 'High',
        'serviceaccount.workloads-create': 'Medium',
        'serviceaccount.escalate-bind': 'High',
        'serviceaccount.impersonate': 'Critical',
        'serviceaccount.cluster-admin': 'High',
      },
    },
    {
      name: 'through the group of all service accounts of the namespace',
      objs: grantClusterWide([core(['secrets'], ['list'])], [group(`system:serviceaccounts:${NS}`)]),
      want: { 'serviceaccount.secrets-read': 'Critical' },
    },
    {
      name: 'through system:authenticated',
      objs: grantClusterWide([core(['secrets'], ['list'])], [group('system:authenticated')]),
      want: { 'serviceaccount.secrets-read': 'Critical' },
    },
    {
      name: 'through its user name',
      objs: grantClusterWide([core(['secrets'], ['list'])], [user(`system:serviceaccount:${NS}:app`)]),
      want: { 'serviceaccount.secrets-read': 'Critical' },
    },
    {
      name: 'not for another service account, another namespace, or another user',
      objs: [
        role(NS, 'r', [core(['secrets'], ['list'])]),
        roleBinding(NS, 'other-sa', { kind: 'Role', name: 'r' }, [sa(NS, 'other')]),
        roleBinding(NS, 'same-name-elsewhere', { kind: 'Role', name: 'r' }, [sa('elsewhere', 'app')]),
        roleBinding(NS, 'a-user', { kind: 'Role', name: 'r' }, [user('app')]),
        role('elsewhere', 'r', [core(['secrets'], ['list'])]),
        roleBinding('elsewhere', 'r', { kind: 'Role', name: 'r' }, [sa(NS, 'app')]),
      ],
      want: {},
    },
    {
      name: 'a RoleBinding with edit (aggregated) in the namespace',
      objs: [roleBinding(NS, 'app-edit', { kind: 'ClusterRole', name: 'edit' }, [sa(NS, 'app')])],
      want: {
        'serviceaccount.secrets-read': 'High',
        'serviceaccount.pods-exec-attach': 'High',
        'serviceaccount.workloads-create': 'Medium',
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = Object.fromEntries(analyse(c.objs).risks.map((r) => [r.id, r.severity]));
      assert.deepEqual(got, c.want);
    });
  }

  it('covers every risk id with a positive case', () => {
    const covered = new Set(cases.flatMap((c) => Object.keys(c.want)));
    for (const r of SERVICE_ACCOUNT_RISKS) assert.ok(covered.has(r.id), r.id);
  });

  it('names the binding, the permissions and the scope in the message', () => {
    const [risk] = analyse(grantInNamespace([core(['secrets'], ['get', 'list'])])).risks;
    assert.equal(
      risk?.message,
      'Service account shop/app can read Secrets (get secrets, list secrets) in namespace shop via ' +
        'RoleBinding shop/app-granted → Role granted',
    );
    assert.match(risk?.reference ?? '', /CIS Kubernetes Benchmark 5\.1\.2/);
  });

  it('says through which group a binding applies', () => {
    const objs = grantClusterWide([core(['secrets'], ['list'])], [group('system:serviceaccounts')]);
    const a = analyse(objs);
    assert.match(a.risks[0]?.message ?? '', /\(as Group system:serviceaccounts\)/);
    assert.deepEqual(a.evidence.bindings, [
      {
        via: 'ClusterRoleBinding app-granted → ClusterRole granted',
        scope: 'cluster',
        as: 'Group system:serviceaccounts',
        rules: 1,
      },
    ]);
  });

  it('keeps the risk at Low when the token is not mounted, and says so', () => {
    const token = tokenMount(false, undefined, false);
    const [risk] = analyse(grantClusterWide([core(['secrets'], ['list'])]), token).risks;
    assert.equal(risk?.severity, 'Low');
    assert.match(risk?.message ?? '', /not mounted/);
  });

  it('a projected serviceAccountToken volume counts as mounted', () => {
    const token = tokenMount(false, undefined, true);
    const [risk] = analyse(grantClusterWide([core(['secrets'], ['list'])]), token).risks;
    assert.equal(risk?.severity, 'Critical');
  });

  it('summarises the default service account as having nothing beyond the defaults', () => {
    const a = analyseServiceAccount(stateOf(bootstrap()), { namespace: NS, name: 'default' }, MOUNTED);
    assert.deepEqual(a.evidence, {
      name: 'default',
      namespace: NS,
      automountToken: true,
      automountFrom: 'default',
      bindings: [],
      notable: [],
    });
  });

  it('lists notable permissions by capability and scope', () => {
    const a = analyse([
      ...grantInNamespace([core(['secrets'], ['list'])]),
      clusterRole('exec', [core(['pods/exec'], ['create'])]),
      clusterRoleBinding('exec', 'exec', [sa(NS, 'app')]),
    ]);
    assert.deepEqual(a.evidence.notable, [
      'read Secrets: list secrets (in namespace shop)',
      'exec or attach into Pods: create pods/exec (cluster-wide)',
    ]);
  });

  const mounts: { name: string; args: Parameters<typeof tokenMount>; want: TokenMount }[] = [
    {
      name: 'the pod spec wins',
      args: [false, true, false],
      want: { automount: false, from: 'pod spec', projectedToken: false },
    },
    {
      name: 'then the service account',
      args: [undefined, false, false],
      want: { automount: false, from: 'service account', projectedToken: false },
    },
    {
      name: 'then the default',
      args: [undefined, undefined, true],
      want: { automount: true, from: 'default', projectedToken: true },
    },
  ];
  for (const m of mounts) it(`token mount: ${m.name}`, () => assert.deepEqual(tokenMount(...m.args), m.want));
});
