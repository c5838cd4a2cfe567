import assert from 'node:assert/strict';
import { runCaptured } from '../../../hack/docs/corpus.js';
import { SEVERITIES } from '../../../src/api/constants.js';
import { parseAnalyzeArgs, UsageError } from '../../../src/cli/analyze/args.js';
import { parseSource } from '../../../src/cli/analyze/documents.js';
import { buildReport, rolesIn, servicesIn } from '../../../src/cli/analyze/report.js';
import { artifactUri } from '../../../src/cli/analyze/sarif.js';
import { RULES } from '../../../src/subjects/risks/index.js';
import { WORKLOAD_RULES } from '../../../src/subjects/workload/risks.js';
import { ROOT } from '../support/fixtures.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tripline analyze` in-process from the repository root, with `stdin` as standard input. */
async function analyze(args: string[], stdin = ''): Promise<Run> {
  return await runCaptured(args, { cwd: ROOT, stdin: [stdin] });
}

const FIX = 'test/fixtures/analyze';
const parse = (text: string, name = 'in.yaml') => parseSource({ name, text });

describe('tripline analyze: arguments', () => {
  const good: { argv: string[]; want: Partial<ReturnType<typeof parseAnalyzeArgs>> }[] = [
    { argv: ['-f', 'a.yaml'], want: { files: ['a.yaml'], output: 'table', failOn: undefined } },
    { argv: ['-f', '-', '--fail-on', 'high'], want: { files: ['-'], failOn: 'High' } },
    {
      argv: ['-f', 'a', '--filename=b', '-f', 'c', '-o', 'sarif'],
      want: { files: ['a', 'b', 'c'], output: 'sarif' },
    },
    {
      argv: ['--output', 'json', '-f', 'dir/', '--fail-on=CRITICAL'],
      want: { output: 'json', failOn: 'Critical' },
    },
    { argv: ['--help'], want: { help: true, files: [] } },
  ];
  for (const c of good)
    it(`accepts ${c.argv.join(' ')}`, () => {
      const got = parseAnalyzeArgs(c.argv);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[k as keyof typeof got], v, k);
    });

  const bad: { argv: string[]; error: RegExp }[] = [
    { argv: [], error: /no input/ },
    { argv: ['manifests/'], error: /unexpected argument "manifests\/"/ },
    { argv: ['-f', 'a', '-o', 'yaml'], error: /--output must be one of table, json, sarif/ },
    {
      argv: ['-f', 'a', '--fail-on', 'urgent'],
      error: /--fail-on must be one of Critical, High, Medium, Low, Info/,
    },
    { argv: ['-f', '-', '-f', '-'], error: /stdin\) can be given once/ },
    { argv: ['-f', 'a', '--kubeconfig', 'x'], error: /Unknown option '--kubeconfig'/ },
  ];
  for (const c of bad)
    it(`refuses ${c.argv.join(' ') || '(nothing)'}`, () =>
      assert.throws(
        () => parseAnalyzeArgs(c.argv),
        (e: unknown) => e instanceof UsageError && c.error.test(e.message),
      ));
});

describe('tripline analyze: reading documents', () => {
  it('reads multi-document YAML with comments and empty documents, with each start line', () => {
    const p = parse(
      '# header\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n',
    );
    assert.deepEqual(p.errors, []);
    assert.deepEqual(
      p.objects.map((o) => [o.location.document, o.location.line, (o.obj.metadata as { name: string }).name]),
      [
        [1, 3, 'a'],
        [4, 10, 'b'],
      ],
    );
  });

  it('expands kind: List with the line of each item', () => {
    const p = parse(
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: a}\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: b}\n',
    );
    assert.deepEqual(
      p.objects.map((o) => [o.obj.kind, o.location.item, o.location.line]),
      [
        ['Namespace', 0, 4],
        ['Pod', 1, 7],
      ],
    );
  });

  it('gives the items of a <Kind>List their kind and apiVersion (API list responses)', () => {
    const p = parse(
      '{"apiVersion":"apps/v1","kind":"DeploymentList","items":[{"metadata":{"name":"x"}}]}',
      'l.json',
    );
    assert.deepEqual(p.objects[0]?.obj, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
    });
  });

  it('reads YAML 1.1 booleans as kubectl does (privileged: yes is privileged)', () => {
    const p = parse(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: x@sha256:0123456789abcdef0123456789abcdef\n      securityContext: {privileged: yes}\n',
    );
    const report = buildReport(p.objects, p.errors, p.notObjects);
    assert.ok(report.findings.some((f) => f.risk.id === 'workload.privileged'));
  });

  const errors: { name: string; text: string; error: RegExp }[] = [
    {
      name: 'a syntax error, without quoting the input',
      text: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nstringData:\n  password: "hunter2\n',
      error: /^in\.yaml document 2 \(line 5\) is not valid YAML: .* \(line \d+, column \d+\)$/,
    },
    {
      name: 'duplicate keys',
      text: 'apiVersion: v1\nkind: Pod\nkind: Namespace\n',
      error: /document 1 .*not valid YAML: Map keys must be unique/,
    },
    {
      name: 'a List whose items is a map',
      text: 'apiVersion: v1\nkind: List\nitems: {a: 1}\n',
      error: /is a List whose items is an? object/,
    },
    {
      name: 'a List item that is no object',
      text: 'apiVersion: v1\nkind: List\nitems: [3]\n',
      error: /document 1 items\[0\] .*is a number/,
    },
    {
      name: 'an alias bomb',
      text: `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ).join('\n')}\n`,
      error: /document 1 .*cannot be read/,
    },
  ];
  for (const c of errors)
    it(`names the file and document of ${c.name}`, () => {
      const p = parse(c.text);
      assert.equal(p.errors.length, 1, JSON.stringify(p.errors));
      assert.match(p.errors[0]?.message ?? '', c.error);
      assert.doesNotMatch(p.errors[0]?.message ?? '', /hunter2/);
    });

  it('skips mappings without apiVersion and kind (a Helm values file), reporting them', () => {
    const p = parse('replicaCount: 1\nimage: {repository: nginx}\n', 'values.yaml');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.objects, []);
    const report = buildReport(p.objects, p.errors, p.notObjects);
    assert.match(report.warnings[0]?.message ?? '', /not a Kubernetes object/);
  });
});

describe('tripline analyze: report', () => {
  it('answers "does the Service exist" from the input, per namespace', () => {
    const p = parse(
      'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: nons}\n',
    );
    const exists = servicesIn(p.objects);
    assert.equal(exists('a', 'web'), true);
    assert.equal(exists('a', 'api'), false, 'the input defines namespace a’s Services');
    assert.equal(exists('b', 'web'), undefined, 'nothing is known of namespace b');
    assert.equal(exists('', 'nons'), true);
  });

  it('reports removed API versions and kinds without rules, and still analyses what it can', () => {
    const p = parse(
      'apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {hostIPC: true, containers: []}}}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
    );
    const report = buildReport(p.objects, p.errors, p.notObjects);
    assert.match(
      report.warnings[0]?.message ?? '',
      /apps\/v1beta2 Deployment was removed in Kubernetes 1\.16; use apps\/v1/,
    );
    assert.deepEqual(report.notAnalysed, { Widget: 1 });
    assert.ok(report.findings.some((f) => f.risk.id === 'workload.host-ipc'));
  });

  it('encodes artifact URIs', () => {
    assert.equal(artifactUri('deploy/my app#1.yaml'), 'deploy/my%20app%231.yaml');
    assert.equal(artifactUri('stdin'), 'stdin');
    assert.equal(artifactUri('/abs/x.yaml'), 'file:///abs/x.yaml');
  });
});

describe('tripline analyze: runs', () => {
  it('prints a table sorted by severity, with a summary, warnings and notes', async () => {
    const r = await analyze(['-f', `${FIX}/risky`]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout
      .split('\n')
      .slice(1)
      .filter((l) => /^(Critical|High|Medium|Low|Info) /.test(l));
    const ranks = rows.map((l) => SEVERITIES.indexOf(l.split(/\s+/)[0] as (typeof SEVERITIES)[number]));
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
    );
    assert.match(r.stdout, /^SEVERITY\s+RISK\s+OBJECT\s+LOCATION\s+MESSAGE/);
    assert.match(
      r.stdout,
      /workload\.privileged\s+DaemonSet kube-system\/node-agent\s+test\/fixtures\/analyze\/risky\/daemonset-privileged\.yaml:2/,
    );
    assert.match(r.stdout, /\d+ risks in \d+ analysed objects \(of \d+\): \d+ Critical/);
    assert.match(
      r.stdout,
      /Not analysed \(no risk rules for these kinds\): PodSecurityPolicy \(1\), Service \(1\), Widget \(1\)/,
    );
    assert.match(r.stdout, /extensions\/v1beta1 Ingress was removed in Kubernetes 1\.22/);
    assert.match(r.stdout, /backend Service web is not in the input/);
    assert.doesNotMatch(r.stdout, /do-not-print-me/, 'env values never printed');
  });

  const exits: { args: string[]; code: number }[] = [
    { args: ['-f', `${FIX}/risky`, '--fail-on', 'Critical'], code: 1 },
    { args: ['-f', `${FIX}/risky`, '--fail-on', 'High'], code: 1 },
    { args: ['-f', `${FIX}/threshold`, '--fail-on', 'High'], code: 0 },
    { args: ['-f', `${FIX}/threshold`, '--fail-on', 'Medium'], code: 1 },
    { args: ['-f', `${FIX}/clean`, '--fail-on', 'Info'], code: 0 },
    { args: ['-f', `${FIX}/clean`, '-f', `${FIX}/malformed`], code: 2 },
    { args: ['-f', `${FIX}/nope.yaml`], code: 2 },
    { args: ['-f', `${FIX}/risky`, '--fail-on'], code: 2 },
  ];
  for (const c of exits)
    it(`exits ${c.code} for ${c.args.join(' ')}`, async () =>
      assert.equal((await analyze(c.args)).code, c.code));

  it('names the file and document of a malformed document, and still reports the rest', async () => {
    const r = await analyze(['-f', `${FIX}/malformed`, '-o', 'json']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /test\/fixtures\/analyze\/malformed\/broken\.yaml document 2 \(line 7\) is not valid YAML/,
    );
    assert.doesNotMatch(r.stderr, /not-shown/);
    const out = JSON.parse(r.stdout);
    assert.equal(out.summary.analysed, 1);
    assert.equal(out.errors[0].location.document, 2);
  });

  it('warns when the input holds no objects', async () => {
    const r = await analyze(['-f', '-'], '# nothing rendered\n');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning: the input holds no Kubernetes objects/);
  });

  it('names a missing input', async () => {
    const r = await analyze(['-f', 'no/such/dir']);
    assert.match(r.stderr, /no\/such\/dir: cannot read \(ENOENT\)/);
  });

  it('reads stdin with -f - (kustomize build | tripline analyze -f -)', async () => {
    const r = await analyze(
      ['-f', '-', '-o', 'json'],
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n',
    );
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.findings.map((f: { id: string; location: { file: string; line: number } }) => [
        f.id,
        f.location.file,
        f.location.line,
      ]),
      [['namespace.pss-enforce-missing', 'stdin', 1]],
    );
  });

  it('notes a risk rule whose check throws and still reports the other rules (fail open)', async () => {
    const rule = WORKLOAD_RULES.find((r) => r.id === 'workload.host-pid');
    assert.ok(rule);
    const check = rule.check;
    (rule as { check: typeof check }).check = () => {
      throw new Error('boom');
    };
    try {
      const pod =
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  hostNetwork: true\n  containers: [{name: c, image: x}]\n';
      const r = await analyze(['-f', '-', '-o', 'json'], pod);
      const out = JSON.parse(r.stdout);
      const ids = out.findings.map((f: { id: string }) => f.id);
      assert.ok(ids.includes('workload.host-network'), ids.join(', '));
      assert.ok(!ids.includes('workload.host-pid'));
      assert.ok(
        out.notes.some((n: { message: string }) =>
          n.message.includes('risk rule workload.host-pid could not be evaluated (boom)'),
        ),
        JSON.stringify(out.notes),
      );
    } finally {
      (rule as { check: typeof check }).check = check;
    }
  });

  it('writes JSON with counts, findings, kinds not analysed, warnings and notes', async () => {
    const out = JSON.parse((await analyze(['-f', `${FIX}/risky`, '-o', 'json'])).stdout);
    assert.deepEqual(out.tool, { name: 'tripline', version: '9.9.9' });
    assert.deepEqual(Object.keys(out.summary.risks), [...SEVERITIES]);
    const pairs = new Set(
      out.findings.map((f: { id: string; object: { name: string } }) => `${f.object.name} ${f.id}`),
    );
    for (const want of [
      'node-agent workload.privileged',
      'node-agent workload.hostpath-runtime-socket',
      'node-agent workload.hostpath-sensitive',
      'node-agent workload.image-lookalike-registry',
      'ci-deployer clusterrole.cluster-admin-equivalent',
      'snippet ingress.snippet-annotation',
      'snippet ingress.annotation-injection',
      'storefront ingress.backend-missing',
      'legacy-tenant namespace.pss-enforce-privileged',
      'debug workload.host-network',
      'listed workload.capability-dangerous',
      'legacy ingress.no-tls',
    ])
      assert.ok(pairs.has(want), want);
    assert.ok(!pairs.has('web ingress.backend-missing'), 'the clean Service exists');
    assert.deepEqual(out.notAnalysed, { PodSecurityPolicy: 1, Service: 1, Widget: 1 });
  });

  it('writes SARIF 2.1.0 with every rule and one located result per risk', async () => {
    const r = await analyze(['-f', `${FIX}/risky`, '-o', 'sarif']);
    const log = JSON.parse(r.stdout);
    assert.equal(log.version, '2.1.0');
    const run = log.runs[0];
    const rules = run.tool.driver.rules as Array<{
      id: string;
      helpUri: string;
      properties: Record<string, unknown>;
    }>;
    assert.deepEqual(
      rules.map((x) => x.id),
      RULES.map((x) => x.id),
    );
    for (const rule of rules) {
      assert.match(rule.helpUri, /^https:\/\//);
      assert.match(String(rule.properties['security-severity']), /^\d+\.\d$/);
    }
    const json = JSON.parse((await analyze(['-f', `${FIX}/risky`, '-o', 'json'])).stdout);
    assert.equal(run.results.length, json.findings.length);
    for (const res of run.results) {
      assert.equal(rules[res.ruleIndex]?.id, res.ruleId);
      assert.ok(['error', 'warning', 'note'].includes(res.level));
      assert.match(
        res.locations[0].physicalLocation.artifactLocation.uri,
        /^test\/fixtures\/analyze\/risky\//,
      );
      assert.ok(res.locations[0].physicalLocation.region.startLine >= 1);
    }
    assert.equal(run.invocations[0].executionSuccessful, true);
  });

  it('prints help', async () => {
    const r = await analyze(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /kustomize build overlays\/prod \| tripline analyze -f - --fail-on High/);
  });
});

describe('tripline analyze: bindings and Roles (issue 17)', () => {
  const ANON_ADMIN = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kube-system-ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:anonymous}
`;
  const ROLE_AND_BINDING = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: backup, namespace: shop}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: backup, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: backup}
subjects:
- {kind: Group, name: system:unauthenticated}
`;
  const ids = (stdout: string): string[] =>
    JSON.parse(stdout).findings.map((f: { id: string; severity: string }) => `${f.severity} ${f.id}`);

  it('exits 1 with --fail-on High for system:anonymous bound to cluster-admin', async () => {
    const r = await analyze(['-f', '-', '--fail-on', 'High'], ANON_ADMIN);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Critical\s+binding\.anonymous-escalating\s+ClusterRoleBinding kube-system-ops/);
  });

  it('judges a binding by the Role of the same input, and says the Role namespace', async () => {
    const r = await analyze(['-f', '-', '-o', 'json'], ROLE_AND_BINDING);
    assert.deepEqual(ids(r.stdout), [
      'Critical binding.anonymous-escalating',
      'High clusterrole.secrets-read',
      'High binding.anonymous-subject',
      'Medium binding.escalating-role-in-namespace',
    ]);
    const out = JSON.parse(r.stdout);
    assert.match(
      out.findings.find((f: { id: string }) => f.id === 'clusterrole.secrets-read').message,
      /in namespace shop/,
    );
    assert.deepEqual(out.notAnalysed, {});
  });

  it('judges the binding alone when its role is not in the input (by the role name only)', async () => {
    const r = await analyze(['-f', '-', '-o', 'json'], ROLE_AND_BINDING.split('---\n')[1]);
    assert.deepEqual(ids(r.stdout), ['High binding.anonymous-subject']);
  });

  it('finds the Role only in the binding namespace', () => {
    const objects = parse(ROLE_AND_BINDING).objects;
    const roles = rolesIn(objects);
    assert.equal(roles('Role', 'backup', 'shop')?.length, 1);
    assert.equal(roles('Role', 'backup', 'other'), undefined);
    assert.equal(roles('ClusterRole', 'backup', undefined), undefined);
  });
});
