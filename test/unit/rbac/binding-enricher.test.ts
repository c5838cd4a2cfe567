import assert from 'node:assert/strict';
import type { EnrichInput } from '../../../src/alerts/enrich.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { bindingEnricher, MAX_GAINED_BYTES, MAX_GAINED_RULES } from '../../../src/rbac/binding-enricher.js';
import type { RbacView } from '../../../src/rbac/rbac-index.js';
import { analyseSubject } from '../../../src/subjects/index.js';
import {
  bootstrap,
  clusterRole,
  clusterRoleBinding,
  group,
  role,
  roleBinding,
  stateOf,
  user,
} from './fixtures.js';

const CRBS = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings' };
const RBS = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' };

const many = Array.from({ length: MAX_GAINED_RULES + 8 }, (_, i) => ({
  apiGroups: [''],
  resources: [`r${i}`],
  verbs: ['get'],
}));
const long = (i: number): string => `${i}`.padEnd(400, 'x');
const huge = Array.from({ length: 20 }, (_, i) => ({
  apiGroups: [''],
  resources: Array.from({ length: 40 }, (_, j) => long(i * 100 + j)),
  verbs: ['get'],
}));
const STATE = stateOf([
  clusterRole('huge', huge),
  ...bootstrap(),
  clusterRole('backup-reader', [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }]),
  clusterRole('wide', many),
  role('shop', 'pod-exec', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]),
]);
const index: RbacView = { state: STATE, synced: true, whenSynced: async () => true };
const enricher = bindingEnricher({ index, syncWaitMs: 0, notSyncedNote: 'not synced' });

/** The enricher's input for a binding, with the alert's risks as the subject analysis found them. */
function inputFor(subject: KubeObject, resource: EnrichInput['resource'], event = 'Created'): EnrichInput {
  const risks = analyseSubject(subject).risks;
  const alert = { spec: { event, risks } } as unknown as AuditAlert;
  return { alert, subject, resource };
}

interface Gained {
  role: string;
  scope: string;
  roleExists: boolean;
  ruleCount: number;
  rules: unknown[];
  rulesOmitted?: number;
}

describe('binding enricher: what the subjects gain, from the RBAC index', () => {
  const cases = [
    {
      name: 'system:anonymous to a custom role that reads Secrets: Critical, with the rules gained',
      subject: clusterRoleBinding('anon-backup', 'backup-reader', [user('system:anonymous')]),
      resource: CRBS,
      risks: ['binding.anonymous-escalating', 'binding.escalating-role'],
      gained: { role: 'ClusterRole backup-reader', scope: 'cluster-wide', roleExists: true, ruleCount: 1 },
    },
    {
      name: 'system:anonymous to cluster-admin: rules gained, no id raised twice',
      subject: clusterRoleBinding('anon-admin', 'cluster-admin', [user('system:anonymous')]),
      resource: CRBS,
      risks: [],
      gained: { role: 'ClusterRole cluster-admin', scope: 'cluster-wide', roleExists: true, ruleCount: 2 },
    },
    {
      name: 'a RoleBinding of a Role with pods/exec: scoped to the namespace',
      subject: roleBinding('shop', 'exec', { kind: 'Role', name: 'pod-exec' }, [user('alice')]),
      resource: RBS,
      risks: ['binding.escalating-role-in-namespace'],
      gained: { role: 'Role pod-exec', scope: 'in namespace shop', roleExists: true, ruleCount: 1 },
    },
    {
      name: 'a role with many rules: bounded, the rest counted',
      subject: clusterRoleBinding('wide', 'wide', [group('sre')]),
      resource: CRBS,
      risks: [],
      gained: { ruleCount: MAX_GAINED_RULES + 8, rulesOmitted: 8 },
    },
    {
      name: 'a role with long rules: bounded in bytes, lists and entries, the rest counted',
      subject: clusterRoleBinding('huge', 'huge', [group('sre')]),
      resource: CRBS,
      risks: [],
      gained: { ruleCount: 20, rulesOmitted: 17 },
    },
    {
      name: 'a role that does not exist yet: noted, nothing gained',
      subject: clusterRoleBinding('later', 'not-yet', [group('system:anonymous')]),
      resource: CRBS,
      risks: [],
      gained: { roleExists: false, ruleCount: 0 },
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const out = await enricher.enrich(inputFor(c.subject, c.resource));
      assert.deepEqual((out?.risks ?? []).map((r) => r.id).sort(), [...c.risks].sort());
      const gained = out?.evidence?.gainedPermissions as Gained;
      for (const [k, v] of Object.entries(c.gained)) assert.deepEqual(gained[k as keyof Gained], v, k);
      assert.ok(gained.rules.length <= MAX_GAINED_RULES);
      assert.equal(gained.rules.length + (gained.rulesOmitted ?? 0), gained.ruleCount);
      assert.ok(Buffer.byteLength(JSON.stringify(gained.rules)) <= MAX_GAINED_BYTES + 64);
    });

  const skipped = [
    {
      name: 'not a binding',
      subject: clusterRole('x', []),
      resource: { ...CRBS, resource: 'clusterroles' },
      event: 'Created',
    },
    {
      name: 'a deleted binding',
      subject: clusterRoleBinding('x', 'view', []),
      resource: CRBS,
      event: 'Deleted',
    },
  ];
  for (const c of skipped)
    it(`adds nothing for ${c.name}`, async () =>
      assert.equal(await enricher.enrich(inputFor(c.subject, c.resource, c.event)), undefined));

  it('says so when the index has not synced', async () => {
    const e = bindingEnricher({
      index: { ...index, synced: false, whenSynced: async () => false },
      syncWaitMs: 0,
      notSyncedNote: 'not synced',
    });
    const out = await e.enrich(inputFor(clusterRoleBinding('x', 'view', []), CRBS));
    assert.deepEqual(out, { notes: ['binding: not synced'] });
  });
});
