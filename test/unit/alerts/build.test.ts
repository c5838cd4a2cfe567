import assert from 'node:assert/strict';
import {
  buildAlert,
  isLabelValue,
  qualifiedResource,
  type WatchedResource,
} from '../../../src/alerts/build.js';
import { LABELS, maxSeverity, type Severity } from '../../../src/api/constants.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { crdValidator, errorsOf } from '../support/crd-schema.js';
import { defaultDetections, subjectFixture } from '../support/fixtures.js';

const detections = defaultDetections();
const detection = (name: string): AuditDetection => {
  const d = detections.get(name);
  if (!d) throw new Error(`no detection ${name}`);
  return { ...d, metadata: { ...d.metadata, generation: 3 } };
};
const NOW = new Date('2026-11-20T12:00:05.123Z');

interface Case {
  fixture: string;
  detection: string;
  resource: WatchedResource;
  /** Strings the rendered commands must contain: the real names. */
  commands: string[];
  summary: RegExp;
}

const cases: Case[] = [
  {
    fixture: 'ingress',
    detection: 'ingress-created',
    resource: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' },
    commands: [
      'kubectl get ingresses.networking.k8s.io -n shop web -o yaml',
      'kubectl get events -n shop --field-selector involvedObject.uid=3b1d2c4e-0000-4000-8000-000000000001',
      'kubectl delete ingresses.networking.k8s.io -n shop web',
    ],
    summary: /^New Ingress shop\/web routes shop\.example\.com, admin\.example\.com, any host to /,
  },
  ...['pod', 'deployment', 'replicaset', 'statefulset', 'daemonset', 'job', 'cronjob'].map(
    (fixture): Case => {
      const obj = subjectFixture(fixture);
      const group = fixture === 'pod' ? '' : fixture.endsWith('job') ? 'batch' : 'apps';
      const resource = { group, version: 'v1', resource: `${fixture}s` };
      const ns = obj.metadata.namespace;
      const name = obj.metadata.name;
      const sa =
        { pod: 'web', deployment: 'web', statefulset: 'db-legacy', cronjob: 'backup' }[fixture] ?? 'default';
      return {
        fixture,
        detection: 'workload-created',
        resource,
        commands: [
          `kubectl get ${qualifiedResource(resource)} -n ${ns} ${name} -o yaml`,
          `kubectl auth can-i --list -n ${ns} --as system:serviceaccount:${ns}:${sa}`,
          `kubectl delete ${qualifiedResource(resource)} -n ${ns} ${name}`,
        ],
        summary: new RegExp(
          `^New ${obj.kind} ${ns}/${name} runs \\d+ containers? .* as service account ${sa}`,
        ),
      };
    },
  ),
  {
    fixture: 'clusterrole',
    detection: 'clusterrole-created',
    resource: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' },
    commands: [
      'kubectl describe clusterrole secret-reader',
      'kubectl delete clusterrole secret-reader',
      '--arg role secret-reader',
    ],
    summary:
      /^New ClusterRole secret-reader grants 3 rules; verbs get, list, watch \+1 more; resources secrets, pods\/exec, \/metrics; aggregated into admin$/,
  },
  {
    fixture: 'namespace',
    detection: 'namespace-created',
    resource: { group: '', version: 'v1', resource: 'namespaces' },
    commands: [
      'kubectl get namespace team-a -o yaml',
      'kubectl delete namespace team-a',
      '> namespace-team-a.yaml',
    ],
    summary: /^New Namespace team-a: Pod Security enforce=baseline; 5 labels$/,
  },
];

describe('buildAlert', () => {
  const validate = crdValidator('tripline.dev_auditalerts.yaml');

  for (const c of cases) {
    describe(`${c.fixture} with ${c.detection}`, () => {
      const subject = subjectFixture(c.fixture);
      const alert = buildAlert({
        detection: detection(c.detection),
        subject,
        resource: c.resource,
        event: 'Created',
        detectedAt: NOW,
      });
      const steps = [...(alert.spec.investigation ?? []), ...(alert.spec.resolution ?? [])];

      it('is valid against the AuditAlert CRD schema', () => assert.ok(validate(alert), errorsOf(validate)));

      it('is named <detection>-<10 hex> and carries no ownerReferences', () => {
        assert.match(alert.metadata.name ?? '', new RegExp(`^${c.detection}-[0-9a-f]{10}$`));
        assert.equal(alert.metadata.ownerReferences, undefined);
        assert.equal(alert.status, undefined);
      });

      it('fills the real names into the steps', () => {
        const commands = steps.map((s) => s.command ?? '').join('\n');
        for (const want of c.commands)
          assert.ok(commands.includes(want), `missing ${JSON.stringify(want)} in\n${commands}`);
        for (const s of steps) assert.doesNotMatch(JSON.stringify(s), /\{\{/);
        assert.ok(commands.includes(`kubectl patch auditalert ${alert.metadata.name} --subresource=status`));
      });

      it("leaves the detection's explanations out of the steps: title and command only (ADR 27)", () => {
        const templates = [
          ...(detection(c.detection).spec.investigation ?? []),
          ...(detection(c.detection).spec.resolution ?? []),
        ];
        assert.ok(
          templates.some((t) => t.detail),
          'the detection explains some steps',
        );
        for (const s of steps)
          assert.equal(s.detail, undefined, `step ${JSON.stringify(s.title)} has a detail`);
      });

      it('copies the subject reference, actor and detection', () => {
        assert.equal(alert.spec.subject.uid, subject.metadata.uid);
        assert.equal(alert.spec.subject.name, subject.metadata.name);
        assert.equal(alert.spec.subject.kind, subject.kind);
        assert.equal(alert.spec.subject.creationTimestamp, subject.metadata.creationTimestamp);
        assert.deepEqual(alert.spec.detection, { name: c.detection, generation: 3 });
        const raised = (alert.spec.risks ?? []).reduce<Severity>(
          (s, r) => maxSeverity(s, r.severity),
          detection(c.detection).spec.severity,
        );
        assert.equal(alert.spec.severity, raised, 'the detection severity, raised by the risks');
        assert.equal(alert.metadata.labels?.[LABELS.severity], raised);
        assert.equal(alert.spec.detectedAt, '2026-11-20T12:00:05.123Z');
        assert.match(alert.spec.summary, c.summary);
      });

      it('never copies the subject labels, only its own', () => {
        const labels = alert.metadata.labels ?? {};
        assert.equal(labels[LABELS.managedBy], 'tripline');
        assert.equal(labels[LABELS.detection], c.detection);
        assert.equal(labels[LABELS.subjectKind], subject.kind);
        for (const key of Object.keys(subject.metadata.labels ?? {})) assert.equal(labels[key], undefined);
      });
    });
  }

  const riskCases: { fixture: string; detection: string; severity: Severity; risks: string[] }[] = [
    {
      fixture: 'pod',
      detection: 'workload-created',
      severity: 'Critical',
      risks: ['workload.privileged', 'workload.hostpath-runtime-socket', 'workload.host-pid'],
    },
    {
      fixture: 'deployment',
      detection: 'workload-created',
      severity: 'Low',
      risks: ['workload.image-no-digest'],
    },
    {
      fixture: 'clusterrole',
      detection: 'clusterrole-created',
      severity: 'High',
      risks: ['clusterrole.secrets-read', 'clusterrole.pods-exec-attach'],
    },
    {
      fixture: 'namespace-bare',
      detection: 'namespace-created',
      severity: 'Medium',
      risks: ['namespace.pss-enforce-missing'],
    },
  ];
  for (const c of riskCases) {
    it(`risks: ${c.fixture} carries its risks and severity ${c.severity}`, () => {
      const alert = buildAlert({
        detection: detection(c.detection),
        subject: subjectFixture(c.fixture),
        resource: cases[1]!.resource,
        event: 'Created',
        detectedAt: NOW,
      });
      const ids = (alert.spec.risks ?? []).map((r) => r.id);
      for (const id of c.risks) assert.ok(ids.includes(id), `${id} in ${ids}`);
      assert.equal(alert.spec.severity, c.severity);
      assert.equal(alert.metadata.labels?.[LABELS.severity], c.severity);
      assert.ok(validate(alert), errorsOf(validate));
    });
  }

  it('raises the same alert for the same input', () => {
    const input = {
      detection: detection('ingress-created'),
      subject: subjectFixture('ingress'),
      resource: cases[0]!.resource,
      event: 'Created' as const,
      detectedAt: NOW,
    };
    assert.deepEqual(buildAlert(input), buildAlert(structuredClone(input)));
  });

  it('keys updates on the change key', () => {
    const base = {
      detection: detection('ingress-created'),
      subject: subjectFixture('ingress'),
      resource: cases[0]!.resource,
      detectedAt: NOW,
    };
    const created = buildAlert({ ...base, event: 'Created' });
    const updated = buildAlert({ ...base, event: 'Updated', changeKey: 'generation-2' });
    assert.notEqual(created.metadata.name, updated.metadata.name);
    assert.equal(updated.spec.changeKey, 'generation-2');
    assert.match(updated.spec.summary, /^Changed Ingress/);
  });

  it('shows the diff of an update, or says the previous version is unknown', () => {
    const base = {
      detection: detection('ingress-created'),
      subject: subjectFixture('ingress'),
      resource: cases[0]!.resource,
      detectedAt: NOW,
      event: 'Updated' as const,
      changeKey: 'generation:2',
    };
    const changes = [{ path: 'spec.rules[0].host', before: 'a.example.com', after: 'b.example.com' }];
    const withDiff = buildAlert({ ...base, changes });
    assert.deepEqual(withDiff.spec.evidence?.changes, changes);
    const unknown = buildAlert({
      ...base,
      changesUnknown: 'previous version not observed (operator restart)',
    });
    assert.equal(unknown.spec.evidence?.changes, undefined);
    assert.ok(unknown.spec.notes?.includes('previous version not observed (operator restart)'));
    assert.equal(withDiff.metadata.name, unknown.metadata.name, 'the name depends on the change key only');
    assert.ok(validate(withDiff), errorsOf(validate));
  });

  it('keys a deletion on "deleted"', () => {
    const subject = subjectFixture('ingress');
    const base = {
      detection: detection('ingress-created'),
      subject,
      resource: cases[0]!.resource,
      detectedAt: NOW,
    };
    const deleted = buildAlert({ ...base, event: 'Deleted', changeKey: 'deleted' });
    assert.equal(deleted.spec.event, 'Deleted');
    assert.equal(deleted.spec.changeKey, 'deleted');
    assert.match(deleted.spec.summary, /^Deleted Ingress/);
    assert.notEqual(deleted.metadata.name, buildAlert({ ...base, event: 'Created' }).metadata.name);
  });

  const labelCases: { name: string; subject: KubeObject; want: Record<string, string | undefined> }[] = [
    {
      name: 'cluster-scoped: no namespace label',
      subject: subjectFixture('clusterrole'),
      want: { [LABELS.subjectNamespace]: undefined, [LABELS.subjectName]: 'secret-reader' },
    },
    {
      name: 'a name that is not a label value gets no name label',
      subject: {
        ...subjectFixture('clusterrole'),
        metadata: { ...subjectFixture('clusterrole').metadata, name: 'system:aggregate-to-edit' },
      },
      want: { [LABELS.subjectName]: undefined, [LABELS.subjectKind]: 'ClusterRole' },
    },
    {
      name: 'namespaced: namespace and name labels',
      subject: subjectFixture('deployment'),
      want: { [LABELS.subjectNamespace]: 'shop', [LABELS.subjectName]: 'web', [LABELS.severity]: 'Low' },
    },
  ];
  for (const c of labelCases) {
    it(`labels: ${c.name}`, () => {
      const alert = buildAlert({
        detection: detection('workload-created'),
        subject: c.subject,
        resource: cases[1]!.resource,
        event: 'Created',
        detectedAt: NOW,
      });
      for (const [k, v] of Object.entries(c.want)) assert.equal(alert.metadata.labels?.[k], v, k);
    });
  }

  it('never copies secret values: env values, command lines, last-applied-configuration', () => {
    for (const fixture of ['pod', 'ingress']) {
      const alert = buildAlert({
        detection: detection('workload-created'),
        subject: subjectFixture(fixture),
        resource: cases[1]!.resource,
        event: 'Created',
        detectedAt: NOW,
      });
      const text = JSON.stringify(alert);
      for (const secret of ['hunter2', 's3cr3t', 'last-applied-configuration'])
        assert.ok(!text.includes(secret), `${fixture}: ${secret}`);
    }
  });

  it('notes an unknown creator and keys an object without uid on its coordinates', () => {
    const subject: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } };
    const alert = buildAlert({
      detection: detection('namespace-created'),
      subject,
      resource: cases.at(-1)!.resource,
      event: 'Created',
      detectedAt: NOW,
    });
    assert.ok(alert.spec.notes?.some((n) => n.includes('creator is unknown')));
    assert.ok(alert.spec.notes?.some((n) => n.includes('no uid')));
    assert.deepEqual(alert.spec.actor, { source: [] });
    assert.ok(validate(alert), errorsOf(validate));
  });

  const limits: { name: string; value: string; valid: boolean }[] = [
    { name: 'simple', value: 'web', valid: true },
    { name: 'empty', value: '', valid: true },
    { name: '63 characters', value: 'a'.repeat(63), valid: true },
    { name: '64 characters', value: 'a'.repeat(64), valid: false },
    { name: 'colon', value: 'system:x', valid: false },
    { name: 'leading dash', value: '-x', valid: false },
  ];
  for (const c of limits) it(`isLabelValue: ${c.name}`, () => assert.equal(isLabelValue(c.value), c.valid));
});
