/**
 * The AuditAlert spec rules: immutable except that `actor` may be completed. The CEL here is the
 * CRD's own, evaluated by @bufbuild/cel with `self`/`oldSelf` as plain JSON; the e2e test
 * (test/e2e/actors.test.ts) shows kube-apiserver accepts the rules and refuses the same patches.
 */
import assert from 'node:assert/strict';
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { loadAll } from '../support/fixtures.js';

interface Rule {
  rule: string;
  message: string;
}
interface Prop {
  properties?: Record<string, Prop>;
  'x-kubernetes-validations'?: Rule[];
}
interface Crd {
  spec: { versions: Array<{ storage: boolean; schema: { openAPIV3Schema: Prop } }> };
}

const [crd] = loadAll<Crd>('crds/tripline.dev_auditalerts.yaml');
const root = crd?.spec.versions.find((v) => v.storage)?.schema.openAPIV3Schema;
const spec = root?.properties?.spec as Prop;
const actor = spec.properties?.actor as Prop;
const env = celEnv({});
type CelInput = Parameters<ReturnType<typeof plan>>[0];

/** The messages of the rules that refuse `self` given `oldSelf` (transition rules run only when both exist). */
function refusals(rules: Rule[] | undefined, self: unknown, oldSelf: unknown): string[] {
  return (rules ?? []).flatMap((r) => {
    const out = plan(env, parse(r.rule))({ self, oldSelf } as CelInput);
    if (isCelError(out)) throw new Error(`${r.rule}: ${out.message}`);
    return out === true ? [] : [r.message];
  });
}

/** What the API server would say to an update of a spec: every refusing rule's message. */
function validate(oldSpec: Record<string, unknown>, newSpec: Record<string, unknown>): string[] {
  const out = refusals(spec['x-kubernetes-validations'], newSpec, oldSpec);
  if (oldSpec.actor && newSpec.actor)
    out.push(...refusals(actor['x-kubernetes-validations'], newSpec.actor, oldSpec.actor));
  return out;
}

const OLD = {
  detection: { name: 'ingress-created', generation: 1 },
  severity: 'High',
  category: 'Exposure',
  event: 'Created',
  summary: 'New Ingress team-a/shop',
  subject: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    namespace: 'team-a',
    name: 'shop',
    uid: 'u',
  },
  actor: {
    fieldManager: 'kubectl-create',
    username: 'tenant-dev',
    groups: ['devs', 'system:authenticated'],
    source: ['managedFields', 'admission'],
  },
  evidence: { hosts: ['shop.example.com'], tls: false },
  risks: [{ id: 'ingress-no-tls', severity: 'High', message: 'no TLS' }],
  investigation: [{ title: 'Read it' }],
  detectedAt: '2026-11-23T12:00:01Z',
};
const IMMUTABLE = 'spec is immutable: alerts are evidence';
const COMPLETE_ONLY =
  'spec.actor can only be completed: facts already recorded never change, new ones may be added';
const withActor = (a: Record<string, unknown>) => ({ ...OLD, actor: { ...OLD.actor, ...a } });

const cases: { name: string; next: Record<string, unknown>; want: string[] }[] = [
  { name: 'the same spec', next: OLD, want: [] },
  {
    name: 'completing the actor with the audit facts',
    next: withActor({
      userAgent: 'kubectl/v1.37.2',
      sourceIPs: ['10.0.0.7'],
      source: ['managedFields', 'admission', 'audit'],
    }),
    want: [],
  },
  { name: 'adding impersonatedBy', next: withActor({ impersonatedBy: 'admin' }), want: [] },
  { name: 'changing the username', next: withActor({ username: 'mallory' }), want: [COMPLETE_ONLY] },
  { name: 'changing the groups', next: withActor({ groups: ['devs'] }), want: [COMPLETE_ONLY] },
  { name: 'dropping a source', next: withActor({ source: ['admission'] }), want: [COMPLETE_ONLY] },
  {
    name: 'removing a recorded fact',
    next: { ...OLD, actor: { fieldManager: 'kubectl-create', source: ['managedFields', 'admission'] } },
    want: [COMPLETE_ONLY],
  },
  {
    name: 'removing the actor',
    next: { ...OLD, actor: undefined },
    want: ['spec.actor can only be completed, not removed'],
  },
  { name: 'changing the summary', next: { ...OLD, summary: 'nothing to see' }, want: [IMMUTABLE] },
  { name: 'lowering the severity', next: { ...OLD, severity: 'Low' }, want: [IMMUTABLE] },
  {
    name: 'changing the subject',
    next: { ...OLD, subject: { ...OLD.subject, name: 'other' } },
    want: [IMMUTABLE],
  },
  { name: 'changing evidence', next: { ...OLD, evidence: { hosts: [] } }, want: [IMMUTABLE] },
  { name: 'removing risks', next: { ...OLD, risks: undefined }, want: [IMMUTABLE] },
  { name: 'adding a changeKey', next: { ...OLD, changeKey: 'x' }, want: [IMMUTABLE] },
  { name: 'adding whoCan', next: { ...OLD, whoCan: [{ kind: 'User', name: 'x' }] }, want: [IMMUTABLE] },
];

describe('AuditAlert spec: immutable, actor completable (CRD CEL rules)', () => {
  for (const c of cases) {
    it(`${c.want.length === 0 ? 'allows' : 'refuses'} ${c.name}`, () => {
      const next = JSON.parse(JSON.stringify(c.next)) as Record<string, unknown>; // drops undefined fields
      assert.deepEqual(validate(OLD, next), c.want);
    });
  }

  it('names every spec field but actor in the immutability rules (a new field is immutable too)', () => {
    const text = (spec['x-kubernetes-validations'] ?? []).map((r) => r.rule).join('\n');
    const missing = Object.keys(spec.properties ?? {}).filter(
      (k) => k !== 'actor' && !text.includes(`self.${k} == oldSelf.${k}`),
    );
    assert.deepEqual(missing, [], 'add these spec fields to the rules in crds/tripline.dev_auditalerts.yaml');
  });

  it('names every actor field in the completion rule', () => {
    const text = (actor['x-kubernetes-validations'] ?? []).map((r) => r.rule).join('\n');
    const missing = Object.keys(actor.properties ?? {}).filter((k) => !text.includes(`has(oldSelf.${k})`));
    assert.deepEqual(missing, [], 'add these actor fields to the rule on spec.actor');
  });
});
