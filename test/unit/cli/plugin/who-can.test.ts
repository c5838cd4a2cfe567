import assert from 'node:assert/strict';
import type { EnrichInput } from '../../../../src/alerts/enrich.js';
import type { AuditAlert, AuditAlertSpec } from '../../../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../../../src/api/kube-object.js';
import { describeError, PluginError } from '../../../../src/cli/plugin/errors.js';
import { helpText } from '../../../../src/cli/plugin/help.js';
import {
  alertQuestion,
  fullAnswer,
  readRbac,
  whoCanJson,
  whoCanTable,
} from '../../../../src/cli/plugin/who-can.js';
import { Discovery } from '../../../../src/kube/resources.js';
import { whoCanEnricher } from '../../../../src/rbac/enrichers.js';
import type { WhoCanAnswer } from '../../../../src/rbac/who-can.js';
import { roleBinding, stateOf, teamARbac, user } from '../../rbac/fixtures.js';
import { FakeCluster } from '../../support/fake-cluster.js';
import { minimalAlert } from '../../support/fixtures.js';

/** The cluster of these tests: more who-can grants for an Ingress in team-a than an alert lists. */
const RBAC: KubeObject[] = [
  ...teamARbac(),
  roleBinding('team-a', 'web-team', { kind: 'Role', name: 'ingress-creator' }, [
    user('web-1'),
    user('web-2'),
    user('web-3'),
  ]),
];

const clusterWith = (objects: KubeObject[]): FakeCluster => FakeCluster.holding(objects);

const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'team-a', name: 'web' };
const CLUSTER_ROLE = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'new' };
const POD_B = { apiVersion: 'v1', kind: 'Pod', namespace: 'team-b', name: 'p' };

/** An alert on `subject`, its evidence as given (the operator's summary, or none). */
const alertOn = (
  subject: AuditAlertSpec['subject'],
  event: AuditAlertSpec['event'],
  evidence: Record<string, unknown> = {},
): AuditAlert => minimalAlert('a-0123456789', { subject, event, evidence });

/** What the operator keeps of the question: the summary its enricher writes. */
const summary = (verbs: string[], group: string, resource: string, namespace?: string) => ({
  whoCanSummary: {
    question: 'as the operator words it',
    verbs,
    group,
    resource,
    ...(namespace ? { namespace } : {}),
    total: 99,
    listed: 5,
  },
});

/** `Kind name | via | verbs`, one per grant of the `-o json` output. */
async function answerRows(cluster: FakeCluster, alert: AuditAlert): Promise<string[]> {
  const q = await alertQuestion(alert, new Discovery(cluster));
  const doc = JSON.parse(whoCanJson('a-0123456789', q, fullAnswer(await readRbac(cluster), q))) as {
    total: number;
    whoCan: { kind: string; name: string; namespace?: string; via: string; verbs: string[] }[];
  };
  assert.equal(doc.total, doc.whoCan.length, 'the full answer: every grant listed');
  return doc.whoCan.map(
    (w) => `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name} | ${w.via} | ${w.verbs.join(',')}`,
  );
}

describe('kubectl tripline who-can', () => {
  const TEAM_A_INGRESS = [
    'User tenant-dev | RoleBinding team-a/dev-edit → ClusterRole edit | create',
    'User web-1 | RoleBinding team-a/web-team → Role ingress-creator | create',
    'User web-2 | RoleBinding team-a/web-team → Role ingress-creator | create',
    'User web-3 | RoleBinding team-a/web-team → Role ingress-creator | create',
    'Group devs | RoleBinding team-a/dev-edit → ClusterRole edit | create',
    'ServiceAccount ci/deployer | RoleBinding team-a/ci-ingress → Role ingress-creator | create',
    'User alice | ClusterRoleBinding root → ClusterRole cluster-admin | create',
    'Group ops | ClusterRoleBinding ops-admin → ClusterRole admin | create',
    'User system:kube-scheduler | ClusterRoleBinding ops-admin → ClusterRole admin | create',
  ];
  const cases: { name: string; alert: AuditAlert; want: string[] }[] = [
    {
      name: "a created Ingress: the summary's question, namespace grants first",
      alert: alertOn(INGRESS, 'Created', summary(['create'], 'networking.k8s.io', 'ingresses', 'team-a')),
      want: TEAM_A_INGRESS,
    },
    {
      name: 'an updated Ingress: update or patch, only the roles that grant them',
      alert: alertOn(
        INGRESS,
        'Updated',
        summary(['update', 'patch'], 'networking.k8s.io', 'ingresses', 'team-a'),
      ),
      want: [
        'User tenant-dev | RoleBinding team-a/dev-edit → ClusterRole edit | update,patch',
        'Group devs | RoleBinding team-a/dev-edit → ClusterRole edit | update,patch',
        'User alice | ClusterRoleBinding root → ClusterRole cluster-admin | update,patch',
        'Group ops | ClusterRoleBinding ops-admin → ClusterRole admin | update,patch',
        'User system:kube-scheduler | ClusterRoleBinding ops-admin → ClusterRole admin | update,patch',
      ],
    },
    {
      name: 'a created ClusterRole: cluster-wide, with who may bind or escalate',
      alert: alertOn(
        CLUSTER_ROLE,
        'Created',
        summary(['create', 'bind', 'escalate'], 'rbac.authorization.k8s.io', 'clusterroles'),
      ),
      want: [
        'User alice | ClusterRoleBinding root → ClusterRole cluster-admin | create,bind,escalate',
        'User carol | ClusterRoleBinding binder → ClusterRole rbac-binder | bind',
      ],
    },
    {
      name: 'a deleted Pod in team-b: the namespace of the subject, not another',
      alert: alertOn(POD_B, 'Deleted', summary(['delete'], '', 'pods', 'team-b')),
      want: [
        'User bob | RoleBinding team-b/b-edit → ClusterRole edit | delete',
        'User alice | ClusterRoleBinding root → ClusterRole cluster-admin | delete',
        'Group ops | ClusterRoleBinding ops-admin → ClusterRole admin | delete',
        'User system:kube-scheduler | ClusterRoleBinding ops-admin → ClusterRole admin | delete',
        'ServiceAccount kube-system/deployment-controller | ClusterRoleBinding system:controller:deployment-controller → ClusterRole system:controller:deployment-controller | delete',
      ],
    },
    {
      name: 'an alert without the summary (trimmed evidence): rebuilt from its event and subject',
      alert: alertOn(INGRESS, 'Created', { trimmed: true }),
      want: TEAM_A_INGRESS,
    },
    {
      name: 'a ClusterRole alert without the summary: bind and escalate rebuilt too',
      alert: alertOn(CLUSTER_ROLE, 'Created', { whoCanSummary: { question: 'x', total: 2, listed: 2 } }),
      want: [
        'User alice | ClusterRoleBinding root → ClusterRole cluster-admin | create,bind,escalate',
        'User carol | ClusterRoleBinding binder → ClusterRole rbac-binder | bind',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(await answerRows(clusterWith(RBAC), c.alert), c.want);
    });
  }

  it("begins with exactly the grants the operator's enricher put in the alert, and counts the same total", async () => {
    const cluster = clusterWith(RBAC);
    const state = await readRbac(cluster);
    const subject: KubeObject = {
      apiVersion: INGRESS.apiVersion,
      kind: INGRESS.kind,
      metadata: { name: 'web', namespace: 'team-a' },
    };
    const input: EnrichInput = {
      alert: alertOn(INGRESS, 'Created'),
      subject,
      resource: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' },
    };
    const index = { state, synced: true, whenSynced: async () => true };
    const e = await whoCanEnricher({ index, client: cluster, whoCanLimit: 5, syncWaitMs: 0 }).enrich(input);
    const alert = alertOn(INGRESS, 'Created', e?.evidence);
    const q = await alertQuestion(alert, new Discovery(cluster));
    const doc = JSON.parse(whoCanJson('a', q, fullAnswer(state, q))) as { total: number; whoCan: unknown[] };
    assert.equal(e?.whoCan?.length, 5);
    assert.deepEqual(doc.whoCan.slice(0, 5), e?.whoCan);
    assert.equal(doc.total, (e?.evidence?.whoCanSummary as { total?: number } | undefined)?.total);
    assert.equal(doc.total, TEAM_A_INGRESS.length);
  });

  it('reads every page of a long list', async () => {
    const many = Array.from({ length: 520 }, (_, i) =>
      roleBinding('team-a', `rb-${i}`, { kind: 'Role', name: 'ingress-creator' }, [user(`u-${i}`)]),
    );
    const cluster = clusterWith([...RBAC, ...many]);
    const rows = await answerRows(
      cluster,
      alertOn(INGRESS, 'Created', summary(['create'], 'networking.k8s.io', 'ingresses', 'team-a')),
    );
    assert.equal(rows.length, TEAM_A_INGRESS.length + 520);
    const lists = cluster.actions.filter(
      (a) => a.verb === 'list' && a.resource === 'rolebindings.rbac.authorization.k8s.io',
    );
    assert.equal(lists.length, 2, 'two pages of 500');
    assert.ok(lists[1]?.query.continue, 'the second page continues the first');
  });

  const refusals = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'];
  for (const resource of refusals) {
    it(`names the refused list of ${resource} and what who-can needs`, async () => {
      const cluster = clusterWith(RBAC);
      const qualified = `${resource}.rbac.authorization.k8s.io`;
      cluster.fail({
        verb: 'list',
        resource: qualified,
        status: 403,
        reason: 'Forbidden',
        message: `${qualified} is forbidden: User "eve" cannot list resource "${resource}" in API group "rbac.authorization.k8s.io" at the cluster scope`,
      });
      const err = await readRbac(cluster).then(
        () => assert.fail('the list was refused'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof PluginError);
      assert.equal(
        describeError(err),
        `Error from server (Forbidden): ${qualified} is forbidden: User "eve" cannot list resource "${resource}" in API group "rbac.authorization.k8s.io" at the cluster scope\n` +
          `who-can lists Roles, ClusterRoles, RoleBindings and ClusterRoleBindings of the whole cluster with your credentials; the list of ${qualified} was refused: it needs list on ${qualified} cluster-wide`,
      );
    });
  }

  it('passes other failures on as the API server said them', async () => {
    const cluster = clusterWith(RBAC);
    cluster.fail({ verb: 'list', resource: 'roles.rbac.authorization.k8s.io', status: 500, message: 'boom' });
    const err = await readRbac(cluster).then(
      () => assert.fail('the list failed'),
      (e: unknown) => e,
    );
    assert.ok(!(err instanceof PluginError));
    assert.match(describeError(err), /^Error from server \(.*\): .*boom/);
  });

  const unanswerable: { name: string; alert: AuditAlert; msg: RegExp }[] = [
    {
      name: 'an event no verb describes',
      alert: alertOn(INGRESS, 'TrafficAnomaly'),
      msg: /^error: alert a-0123456789 has no who-can question: its event TrafficAnomaly is not a create, update or delete/,
    },
    {
      name: 'a kind the API server no longer serves, and no summary',
      alert: alertOn({ apiVersion: 'example.com/v1', kind: 'Gone', name: 'g' }, 'Created'),
      msg: /^error: alert a-0123456789 keeps no who-can question \(evidence.whoCanSummary\), and its subject's kind Gone \(example.com\/v1\) cannot be resolved: /,
    },
  ];
  for (const c of unanswerable) {
    it(`says why it cannot answer ${c.name}`, async () => {
      await assert.rejects(
        alertQuestion(c.alert, new Discovery(new FakeCluster())),
        (e: unknown) => e instanceof PluginError && c.msg.test(describeError(e)),
      );
    });
  }

  describe('rendering', () => {
    const state = stateOf(RBAC);
    const q = {
      verbs: ['create', 'bind', 'escalate'],
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterroles',
    };

    it('prints a title with the question and the count, then a table', () => {
      assert.equal(
        whoCanTable('a-1', q, fullAnswer(state, q)),
        `Who can create/bind/escalate clusterroles.rbac.authorization.k8s.io cluster-wide (alert a-1), by RBAC as it is now: 2 grants; members of group system:masters can too (they bypass RBAC) and are not listed

KIND   NAME    NAMESPACE   VERBS                  VIA
User   alice               create,bind,escalate   ClusterRoleBinding root → ClusterRole cluster-admin
User   carol               bind                   ClusterRoleBinding binder → ClusterRole rbac-binder
`,
      );
    });

    it('prints only the title when nobody can', () => {
      const none = { verbs: ['create'], group: 'example.com', resource: 'widgets', namespace: 'x' };
      assert.equal(
        whoCanTable('a-1', none, { grants: [], total: 0 }),
        'Who can create widgets.example.com in namespace x (alert a-1), by RBAC as it is now: 0 grants; members of group system:masters can too (they bypass RBAC) and are not listed\n',
      );
    });

    it('prints JSON in the shape of spec.whoCan, with the question in words and in parts', () => {
      const ns = { verbs: ['delete'], group: '', resource: 'pods', namespace: 'team-b' };
      const answer = fullAnswer(state, ns);
      assert.deepEqual(JSON.parse(whoCanJson('a-1', ns, answer)).whoCan[0], {
        kind: 'User',
        name: 'bob',
        via: 'RoleBinding team-b/b-edit → ClusterRole edit',
        verbs: ['delete'],
      });
      const doc = JSON.parse(whoCanJson('a-1', ns, answer));
      delete doc.whoCan;
      assert.deepEqual(doc, {
        alert: 'a-1',
        question: 'delete pods in namespace team-b',
        verbs: ['delete'],
        group: '',
        resource: 'pods',
        namespace: 'team-b',
        total: 5,
      });
    });

    it('escapes control characters of names taken from the cluster', () => {
      const evil: WhoCanAnswer = {
        total: 1,
        grants: [
          {
            subject: { kind: 'User', name: 'mallory\u001b[2J' },
            binding: {
              kind: 'ClusterRoleBinding',
              name: 'b\n',
              roleRef: { kind: 'ClusterRole', name: 'r' },
              subjects: [],
            },
            verbs: ['create'],
          },
        ],
      };
      const out = whoCanTable('a-1', q, evil);
      assert.ok(!out.includes('\u001b'), out);
      assert.equal(out.split('\n').length, 5, 'title, blank, header, one row, end');
    });
  });

  it('help explains what it lists, with whose credentials, and that RBAC is read now', () => {
    const text = helpText('who-can');
    assert.match(text, /^Usage:\n {2}kubectl tripline who-can NAME \[-o table\|json\] \[--kubeconfig FILE\]/);
    assert.match(
      text,
      /Roles,\s+ClusterRoles, RoleBindings and ClusterRoleBindings of the whole cluster with your credentials/,
    );
    assert.match(text, /RBAC as it is\s+now/);
    assert.match(helpText(), /who-can NAME \[-o table\|json\]\n {6}Everyone RBAC allows/);
  });
});
