import assert from 'node:assert/strict';
import { analyseSubject } from '../../../../src/subjects/index.js';
import { analyseRisks, hasRiskRules } from '../../../../src/subjects/risks/index.js';
import {
  findPodSpec,
  MAX_POD_SPEC_DEPTH,
  podSpecPath,
} from '../../../../src/subjects/workload/pod-template.js';
import { cleanContainer, cleanPodSpec } from './fixtures.js';

type Obj = Record<string, unknown>;

const meta = { name: 'app', namespace: 'shop' };
const template = (spec: Obj): Obj => ({ metadata: { labels: { app: 'app' } }, spec });

/** The same pod spec wrapped in every kind that carries one, where each kind keeps it. */
const WRAPPERS: { name: string; wrap: (spec: Obj) => Obj }[] = [
  { name: 'Pod', wrap: (spec) => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec }) },
  ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].map((kind) => ({
    name: kind,
    wrap: (spec: Obj) => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: meta,
      spec: { template: template(spec) },
    }),
  })),
  {
    name: 'ReplicationController',
    wrap: (spec) => ({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: meta,
      spec: { replicas: 1, template: template(spec) },
    }),
  },
  {
    name: 'Job',
    wrap: (spec) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta,
      spec: { template: template(spec) },
    }),
  },
  {
    name: 'CronJob',
    wrap: (spec) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta,
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: template(spec) } } },
    }),
  },
  {
    name: 'Argo Rollouts Rollout (spec.template)',
    wrap: (spec) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: meta,
      spec: { replicas: 2, strategy: { canary: { steps: [{ setWeight: 20 }] } }, template: template(spec) },
    }),
  },
  {
    name: 'OpenKruise CloneSet (spec.template)',
    wrap: (spec) => ({
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'CloneSet',
      metadata: meta,
      spec: { replicas: 3, updateStrategy: { type: 'InPlaceIfPossible' }, template: template(spec) },
    }),
  },
  {
    name: 'OpenKruise AdvancedCronJob (spec.template.jobTemplate.spec.template)',
    wrap: (spec) => ({
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'AdvancedCronJob',
      metadata: meta,
      spec: { schedule: '0 * * * *', template: { jobTemplate: { spec: { template: template(spec) } } } },
    }),
  },
  {
    name: 'Knative Service (spec.template.spec)',
    wrap: (spec) => ({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: meta,
      spec: { template: template(spec) },
    }),
  },
  {
    name: 'PodTemplate (template, no spec above it)',
    wrap: (spec) => ({ apiVersion: 'v1', kind: 'PodTemplate', metadata: meta, template: template(spec) }),
  },
];

/** Pod specs with different problems, from none to node takeover with a typosquatted image. */
const SPECS: { name: string; spec: Obj; want: string[] }[] = [
  { name: 'clean', spec: cleanPodSpec(), want: [] },
  {
    name: 'privileged with hostPath /',
    spec: cleanPodSpec({
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
      containers: [
        cleanContainer(
          'app',
          { volumeMounts: [{ name: 'host', mountPath: '/host' }] },
          { privileged: true, allowPrivilegeEscalation: true },
        ),
      ],
    }),
    want: [
      'workload.privileged',
      'workload.hostpath-runtime-socket',
      'workload.privilege-escalation-allowed',
      'workload.privilege-escalation-explicit',
    ],
  },
  {
    name: 'host namespaces and a typosquatted publisher image',
    spec: cleanPodSpec({
      hostPID: true,
      hostNetwork: true,
      containers: [cleanContainer('miner', { image: 'bitnarni/redis:7.2' })],
    }),
    want: [
      'workload.host-pid',
      'workload.host-network',
      'workload.image-no-digest',
      'workload.image-lookalike-publisher',
    ],
  },
];

describe('workload matrix: every pod-bearing kind gets the risks of the bare Pod', () => {
  for (const s of SPECS) {
    const bare = analyseRisks(WRAPPERS[0]?.wrap(structuredClone(s.spec)));
    it(`${s.name}: the bare Pod yields exactly ${s.want.length === 0 ? 'no risk' : s.want.join(', ')}`, () =>
      assert.deepEqual(bare.map((r) => r.id).sort(), [...s.want].sort()));
    for (const w of WRAPPERS) {
      it(`${s.name}: ${w.name}`, () => {
        const obj = w.wrap(structuredClone(s.spec));
        const got = analyseRisks(obj);
        assert.deepEqual(got.map((r) => r.id).sort(), [...s.want].sort());
        // The messages name where the spec is, so only the severities and titles must agree.
        assert.deepEqual(
          got.map((r) => r.severity),
          bare.map((r) => r.severity),
        );
        const kind = String(obj.kind);
        const group = String(obj.apiVersion).includes('/') ? String(obj.apiVersion).split('/')[0] : '';
        assert.ok(hasRiskRules(group ?? '', kind, obj), 'tripline analyze must not list it as not analysed');
        const subject = analyseSubject(obj);
        assert.equal(
          (subject.evidence.pod as Obj | undefined)?.serviceAccountName,
          'app',
          'workload evidence',
        );
        assert.match(subject.summary, new RegExp(`^${kind} shop/app runs 1 container`));
      });
    }
  }
});

/** An object whose pod spec is `depth` fields deep. */
function nested(depth: number): Obj {
  let at: Obj = { containers: [{ name: 'deep' }] };
  for (let i = 1; i < depth; i++) at = { nested: at };
  return { apiVersion: 'x.io/v1', kind: 'X', nested: at };
}

describe('pod spec found by shape', () => {
  const cases: { name: string; obj: Obj; want: string[] | undefined }[] = [
    {
      name: 'a policy holding pod patterns in a list of rules is no workload',
      obj: {
        apiVersion: 'kyverno.io/v1',
        kind: 'ClusterPolicy',
        spec: { rules: [{ validate: { pattern: { spec: { containers: [{ image: '!*:latest' }] } } } }] },
      },
      want: undefined,
    },
    {
      name: 'containers that are not objects',
      obj: { apiVersion: 'x.io/v1', kind: 'X', spec: { containers: ['nginx'] } },
      want: undefined,
    },
    {
      name: 'status is never searched',
      obj: { apiVersion: 'x.io/v1', kind: 'X', status: { containers: [{ name: 'a' }] } },
      want: undefined,
    },
    {
      name: 'the shallowest pod spec wins',
      obj: {
        apiVersion: 'x.io/v1',
        kind: 'X',
        spec: { a: { b: { containers: [{ name: 'deep' }] } }, template: { containers: [{ name: 'near' }] } },
      },
      want: ['spec', 'template'],
    },
    {
      name: `a pod spec ${MAX_POD_SPEC_DEPTH} levels deep is found`,
      obj: nested(MAX_POD_SPEC_DEPTH),
      want: Array.from({ length: MAX_POD_SPEC_DEPTH }, () => 'nested'),
    },
    {
      name: `a pod spec deeper than ${MAX_POD_SPEC_DEPTH} levels is not searched for`,
      obj: nested(MAX_POD_SPEC_DEPTH + 1),
      want: undefined,
    },
    {
      name: 'a very wide object is given up on, not walked in full',
      obj: {
        apiVersion: 'x.io/v1',
        kind: 'X',
        spec: {
          ...Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, { v: i }])),
          template: { spec: { containers: [{ name: 'a' }] } },
        },
      },
      want: undefined,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.deepEqual(findPodSpec(c.obj), c.want);
      if (c.want === undefined) assert.deepEqual(analyseRisks(c.obj), []);
    });

  it('a ControllerRevision (a copy of a template, not a workload) gets no workload rules', () => {
    const revision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'agent-5d8f', namespace: 'shop' },
      revision: 1,
      data: { spec: { template: { spec: { hostPID: true, containers: [{ name: 'a', image: 'nginx' }] } } } },
    };
    assert.equal(podSpecPath(revision), undefined);
    assert.deepEqual(analyseRisks(revision), []);
    assert.ok(!hasRiskRules('apps', 'ControllerRevision', revision));
  });
});
