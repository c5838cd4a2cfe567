import assert from 'node:assert/strict';
import { type EnrichInput, type Enrichment, mergeEnrichments } from '../../../src/alerts/enrich.js';
import type { AuditAlert, AuditAlertSpec } from '../../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import {
  NOT_SYNCED_NOTE,
  questionOf,
  type RbacEnricherDeps,
  serviceAccountEnricher,
  whoCanEnricher,
} from '../../../src/rbac/enrichers.js';
import type { RbacView } from '../../../src/rbac/rbac-index.js';
import { type RbacKind, RbacState } from '../../../src/rbac/state.js';
import { crdValidator, errorsOf } from '../support/crd-schema.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { minimalAlert } from '../support/fixtures.js';
import { bootstrap, role, roleBinding, sa, stateOf, user } from './fixtures.js';

const INGRESSES = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };

function alertFor(subject: KubeObject, event: AuditAlertSpec['event'] = 'Created'): AuditAlert {
  const alert = minimalAlert('x-0123456789', {
    event,
    subject: {
      apiVersion: subject.apiVersion as string,
      kind: subject.kind as string,
      name: subject.metadata.name as string,
      ...(subject.metadata.namespace ? { namespace: subject.metadata.namespace } : {}),
    },
  });
  alert.metadata = { ...alert.metadata, labels: {} };
  return alert;
}

const input = (
  subject: KubeObject,
  resource: EnrichInput['resource'],
  event: AuditAlertSpec['event'] = 'Created',
): EnrichInput => ({ alert: alertFor(subject, event), subject, resource });

const ingress = (namespace: string): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace },
});

const deployment = (podSpec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'app', namespace: 'shop' },
  spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }], ...podSpec } } },
});

const STATE = stateOf([
  ...bootstrap(),
  roleBinding('team-a', 'dev-edit', { kind: 'ClusterRole', name: 'edit' }, [user('tenant-dev')]),
  role('shop', 'secret-lister', [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }]),
  roleBinding('shop', 'reader-secrets', { kind: 'Role', name: 'secret-lister' }, [sa('shop', 'reader')]),
]);

const synced: RbacView = { state: STATE, synced: true, whenSynced: async () => true };
const unsynced: RbacView = { state: STATE, synced: false, whenSynced: async () => false };

/** A cluster holding `accounts` (ServiceAccounts in namespace shop). */
function clusterWith(...accounts: Record<string, unknown>[]): FakeCluster {
  const cluster = new FakeCluster();
  for (const a of accounts)
    cluster.put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      ...a,
      metadata: { namespace: 'shop', ...(a.metadata as object) },
    });
  return cluster;
}

/** `evidence.serviceAccount` of an enrichment; fails the test when absent. */
function saOf(e: Enrichment | undefined): Record<string, unknown> {
  const ev = e?.evidence?.serviceAccount;
  assert.ok(ev && typeof ev === 'object', 'evidence.serviceAccount');
  return ev as Record<string, unknown>;
}

const deps = (over: Partial<RbacEnricherDeps> = {}): RbacEnricherDeps => ({
  index: synced,
  client: new FakeCluster(),
  whoCanLimit: 20,
  syncWaitMs: 0,
  ...over,
});

describe('rbac enrichers', () => {
  const validate = crdValidator('tripline.dev_auditalerts.yaml');

  describe('questionOf', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } };
    const cr = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } };
    const CR = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' };
    const cases: { name: string; in: EnrichInput; want: unknown }[] = [
      {
        name: 'a created Ingress: create there',
        in: input(ingress('a'), INGRESSES),
        want: { verbs: ['create'], group: 'networking.k8s.io', resource: 'ingresses', namespace: 'a' },
      },
      {
        name: 'an updated Ingress: update or patch there',
        in: input(ingress('a'), INGRESSES, 'Updated'),
        want: {
          verbs: ['update', 'patch'],
          group: 'networking.k8s.io',
          resource: 'ingresses',
          namespace: 'a',
        },
      },
      {
        name: 'a Namespace: cluster-wide',
        in: input(ns, { group: '', version: 'v1', resource: 'namespaces' }),
        want: { verbs: ['create'], group: '', resource: 'namespaces' },
      },
      {
        name: 'a created ClusterRole: create, bind or escalate',
        in: input(cr, CR),
        want: { verbs: ['create', 'bind', 'escalate'], group: CR.group, resource: 'clusterroles' },
      },
      {
        name: 'a deleted ClusterRole: delete only',
        in: input(cr, CR, 'Deleted'),
        want: { verbs: ['delete'], group: CR.group, resource: 'clusterroles' },
      },
      { name: 'traffic: no question', in: input(ingress('a'), INGRESSES, 'TrafficAnomaly'), want: undefined },
    ];
    for (const c of cases) it(c.name, () => assert.deepEqual(questionOf(c.in), c.want));
  });

  describe('who-can', () => {
    it("lists tenant-dev's binding for its namespace, valid against the CRD", async () => {
      const e = await whoCanEnricher(deps()).enrich(input(ingress('team-a'), INGRESSES));
      assert.deepEqual(e?.whoCan?.[0], {
        kind: 'User',
        name: 'tenant-dev',
        via: 'RoleBinding team-a/dev-edit → ClusterRole edit',
        verbs: ['create'],
      });
      assert.match(e?.notes?.[0] ?? '', /system:masters/);
      const merged = mergeEnrichments(input(ingress('team-a'), INGRESSES).alert, [e]);
      assert.ok(validate(merged), errorsOf(validate));
    });

    it('answers from an index its limits left short, and says that the answer may miss grants', async () => {
      const full = new RbacState({ maxEntries: 5000 });
      const tenantsRole = role(
        'team-a',
        'filler',
        Array.from({ length: 2000 }, (_, i) => ({
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: [`c${i}`],
          verbs: ['get'],
        })),
      );
      for (const o of [
        ...bootstrap(),
        roleBinding('team-a', 'dev-edit', { kind: 'ClusterRole', name: 'edit' }, [user('tenant-dev')]),
        tenantsRole,
      ])
        full.put(o.kind as RbacKind, o);
      assert.equal(full.health().refused, 1, 'the filler Role (10,000 entries) is left out');
      const index: RbacView = { state: full, synced: true, whenSynced: async () => true };
      const e = await whoCanEnricher(deps({ index })).enrich(input(ingress('team-a'), INGRESSES));
      assert.ok(
        e?.notes?.some((n) =>
          /^who-can: rbac index incomplete: \d+ objects left out .*may miss grants$/.test(n),
        ),
        JSON.stringify(e?.notes),
      );
      const sa = await serviceAccountEnricher(deps({ index })).enrich(input(deployment({}), DEPLOYMENTS));
      assert.ok(sa?.notes?.some((n) => n.startsWith('service-account: rbac index incomplete')));
    });

    it('does not list it for another namespace', async () => {
      const e = await whoCanEnricher(deps()).enrich(input(ingress('team-b'), INGRESSES));
      assert.deepEqual(e?.whoCan, []);
      assert.equal((e?.evidence?.whoCanSummary as { total: number } | undefined)?.total, 0);
    });

    it('caps the list, with the total and the question in parts in evidence', async () => {
      const e = await whoCanEnricher(deps({ whoCanLimit: 1 })).enrich(input(ingress('team-a'), INGRESSES));
      assert.equal(e?.whoCan?.length, 1);
      assert.deepEqual(e?.evidence?.whoCanSummary, {
        question: 'create ingresses.networking.k8s.io in namespace team-a',
        verbs: ['create'],
        group: 'networking.k8s.io',
        resource: 'ingresses',
        namespace: 'team-a',
        total: 1,
        listed: 1,
      });
      assert.ok(!e?.notes?.some((n) => n.includes('more:')), 'nothing left out, no pointer');
    });

    it('says how many it left out and which command prints them', async () => {
      const more = await whoCanEnricher(deps({ whoCanLimit: 0 })).enrich(input(ingress('team-a'), INGRESSES));
      assert.deepEqual(more?.whoCan, []);
      assert.ok(
        more?.notes?.includes(
          'who-can: 0 of 1 grants listed, most specific first; 1 more: kubectl tripline who-can x-0123456789',
        ),
        JSON.stringify(more?.notes),
      );
    });

    it('answers nothing but a note until the index has synced', async () => {
      const e = await whoCanEnricher(deps({ index: unsynced })).enrich(input(ingress('team-a'), INGRESSES));
      assert.deepEqual(e, { notes: [`who-can: ${NOT_SYNCED_NOTE}`] });
    });
  });

  it('stays within the CRD limits with very long names', async () => {
    const long = (c: string) => c.repeat(250);
    const state = stateOf([
      ...bootstrap(),
      role('shop', long('r'), [
        { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] },
      ]),
      ...['a', 'b', 'c', 'd'].map((x) =>
        roleBinding('shop', long(x), { kind: 'Role', name: long('r') }, [
          user('u'.repeat(600)),
          sa('shop', 'reader'),
        ]),
      ),
    ]);
    const d = deps({ index: { state, synced: true, whenSynced: async () => true } });
    const i = input(
      deployment({ serviceAccountName: 'reader', automountServiceAccountToken: true }),
      DEPLOYMENTS,
    );
    const parts = [await whoCanEnricher(d).enrich(i), await serviceAccountEnricher(d).enrich(i)];
    assert.equal(parts[0]?.whoCan?.length, 8);
    assert.deepEqual(
      parts[1]?.risks?.map((r) => r.id),
      ['serviceaccount.secrets-read', 'serviceaccount.workloads-create'],
    );
    const merged = mergeEnrichments(i.alert, parts);
    assert.ok(validate(merged), errorsOf(validate));
  });

  describe('service-account', () => {
    const SA_READ = 'get serviceaccounts shop/reader';
    const reader = { metadata: { name: 'reader' } };

    it('raises serviceaccount.secrets-read naming the binding, and reads automount from the ServiceAccount', async () => {
      const client = clusterWith(reader);
      const i = input(deployment({ serviceAccountName: 'reader' }), DEPLOYMENTS);
      const e = await serviceAccountEnricher(deps({ client })).enrich(i);
      assert.deepEqual(client.verbs(), [SA_READ]);
      assert.deepEqual(
        e?.risks?.map((r) => [r.id, r.severity]),
        [['serviceaccount.secrets-read', 'High']],
      );
      assert.match(e?.risks?.[0]?.message ?? '', /RoleBinding shop\/reader-secrets → Role secret-lister/);
      const ev = saOf(e);
      assert.equal(ev.name, 'reader');
      assert.equal(ev.automountToken, true);
      assert.equal(ev.automountFrom, 'default');
      const merged = mergeEnrichments(i.alert, [e]);
      assert.equal(merged.spec.severity, 'High');
      assert.ok(validate(merged), errorsOf(validate));
    });

    it('the same Deployment on the default service account raises nothing', async () => {
      const e = await serviceAccountEnricher(deps()).enrich(input(deployment({}), DEPLOYMENTS));
      assert.deepEqual(e?.risks, []);
      assert.match(e?.notes?.[0] ?? '', /ServiceAccount shop\/default does not exist/);
    });

    it("takes the ServiceAccount's automountServiceAccountToken: false, lowering the risk", async () => {
      const client = clusterWith({ ...reader, automountServiceAccountToken: false });
      const e = await serviceAccountEnricher(deps({ client })).enrich(
        input(deployment({ serviceAccountName: 'reader' }), DEPLOYMENTS),
      );
      assert.equal(e?.risks?.[0]?.severity, 'Low');
      assert.equal(saOf(e).automountFrom, 'service account');
    });

    it('reads a ServiceAccount once for a burst of workloads, a missing one too, but not a failed read', async () => {
      const client = clusterWith(reader);
      const enricher = serviceAccountEnricher(deps({ client }));
      const burst = Array.from({ length: 20 }, () =>
        input(deployment({ serviceAccountName: 'reader' }), DEPLOYMENTS),
      );
      await Promise.all(burst.map((i) => enricher.enrich(i)));
      assert.deepEqual(client.verbs(), [SA_READ]);
      const missing = new FakeCluster();
      const once = serviceAccountEnricher(deps({ client: missing }));
      await once.enrich(input(deployment({ serviceAccountName: 'reader' }), DEPLOYMENTS));
      await once.enrich(input(deployment({ serviceAccountName: 'reader' }), DEPLOYMENTS));
      assert.deepEqual(missing.verbs(), [`${SA_READ} -> 404`], 'a 404 is remembered for a moment');
      const flaky = clusterWith(reader);
      flaky.fail({ verb: 'get', resource: 'serviceaccounts', status: 503, times: Number.POSITIVE_INFINITY });
      const again = serviceAccountEnricher(deps({ client: flaky }));
      await again.enrich(input(deployment({ serviceAccountName: 'reader' }), DEPLOYMENTS));
      await again.enrich(input(deployment({ serviceAccountName: 'reader' }), DEPLOYMENTS));
      assert.deepEqual(flaky.verbs(), [`${SA_READ} -> 503`, `${SA_READ} -> 503`], 'a 503 is not remembered');
    });

    it('does not read the ServiceAccount when the pod spec decides', async () => {
      const client = clusterWith(reader);
      const e = await serviceAccountEnricher(deps({ client })).enrich(
        input(deployment({ serviceAccountName: 'reader', automountServiceAccountToken: true }), DEPLOYMENTS),
      );
      assert.deepEqual(client.verbs(), []);
      assert.equal(saOf(e).automountFrom, 'pod spec');
    });

    it('notes a ServiceAccount it may not read', async () => {
      const client = clusterWith(reader);
      client.fail({ verb: 'get', resource: 'serviceaccounts', name: 'reader', status: 403 });
      const e = await serviceAccountEnricher(deps({ client })).enrich(
        input(deployment({ serviceAccountName: 'reader' }), DEPLOYMENTS),
      );
      assert.match(e?.notes?.[0] ?? '', /not readable \(forbidden\); token automount taken as true/);
    });

    it('finds the pod template of a CronJob and the deprecated serviceAccount field', async () => {
      const cron: KubeObject = {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'c', namespace: 'shop' },
        spec: { jobTemplate: { spec: { template: { spec: { serviceAccount: 'reader', containers: [] } } } } },
      };
      const e = await serviceAccountEnricher(deps()).enrich(
        input(cron, { group: 'batch', version: 'v1', resource: 'cronjobs' }),
      );
      assert.deepEqual(
        e?.risks?.map((r) => r.id),
        ['serviceaccount.secrets-read'],
      );
    });

    const skipped: { name: string; in: EnrichInput }[] = [
      { name: 'an Ingress', in: input(ingress('shop'), INGRESSES) },
      { name: 'a deleted Deployment', in: input(deployment({}), DEPLOYMENTS, 'Deleted') },
      {
        name: 'a custom resource of kind Deployment',
        in: input(deployment({}), { group: 'example.com', version: 'v1', resource: 'deployments' }),
      },
    ];
    for (const s of skipped)
      it(`adds nothing for ${s.name}`, async () => {
        assert.equal(await serviceAccountEnricher(deps()).enrich(s.in), undefined);
      });

    it('answers nothing but a note until the index has synced', async () => {
      const e = await serviceAccountEnricher(deps({ index: unsynced })).enrich(
        input(deployment({ automountServiceAccountToken: false }), DEPLOYMENTS),
      );
      assert.deepEqual(e, { notes: [`service-account: ${NOT_SYNCED_NOTE}`] });
    });
  });
});
