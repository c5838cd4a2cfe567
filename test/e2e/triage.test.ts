import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createClusterRole, createIngress, createNamespace } from '../../hack/samples.js';
import type { AuditAlert, AuditAlertStatus } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { isNotFound } from '../../src/kube/errors.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  getAlert as getAlertByName,
  installCrds,
  kubectlOk,
  patchAlertStatus,
  suffix,
  waitForAlerts,
} from './support/cluster.js';

/** The triage fields people write: state, reason, note, assignee and the remediation action. */
type Triage = Pick<AuditAlertStatus, 'state' | 'reason' | 'note' | 'assignee'> & { action?: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command the triage docs show, with the output a `console` block shows under it. */
interface DocCommand {
  command: string;
  output: string[];
}

/** Drops a trailing `# comment` that is outside quotes. */
function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) quote = ch === quote ? '' : quote;
    else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '#' && /\s/.test(line[i - 1] ?? '')) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/**
 * Every command of the triage docs — the README section "Triage" and the whole of docs/triage.md
 * (the plugin, deleting alerts, lifecycle): `sh` block lines and `$ ` lines of `console` blocks.
 */
function triageCommands(readme: string, triageDoc: string): DocCommand[] {
  const start = readme.indexOf('\n## Triage\n');
  assert.ok(start >= 0, 'README has a section "Triage"');
  const end = readme.indexOf('\n## ', start + 1);
  const section = `${readme.slice(start, end < 0 ? undefined : end)}\n${triageDoc}`;
  const out: DocCommand[] = [];
  for (const [, kind, body] of section.matchAll(/```(sh|console)\n([\s\S]*?)```/g)) {
    for (const line of (body ?? '').split('\n').filter(Boolean)) {
      if (kind === 'sh') out.push({ command: stripComment(line), output: [] });
      else if (line.startsWith('$ ')) out.push({ command: line.slice(2), output: [] });
      else out.at(-1)?.output.push(line);
    }
  }
  return out;
}

/** Runs a shell command line the way a user's shell would, from the repository root. */
function sh(command: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

/** Replaces the docs' placeholders NAME and NAMESPACE. */
const fill = (text: string, vars: Record<string, string>): string =>
  text.replace(/\b(NAME|NAMESPACE)\b/g, (k) => vars[k] ?? k);

/** The triage docs' commands, run verbatim; remembers which ran so none goes untested. */
class TriageDocs {
  readonly ran = new Set<string>();
  constructor(readonly commands: DocCommand[]) {}

  find(command: string): DocCommand {
    const doc = this.commands.find((c) => c.command === command);
    assert.ok(doc, `the README Triage section or docs/triage.md shows: ${command}`);
    return doc;
  }

  async run(command: string, env: NodeJS.ProcessEnv, vars: Record<string, string> = {}): Promise<Run> {
    this.find(command);
    this.ran.add(command);
    return await sh(fill(command, vars), env);
  }

  async ok(command: string, env: NodeJS.ProcessEnv, vars: Record<string, string> = {}): Promise<string> {
    const r = await this.run(command, env, vars);
    assert.equal(r.code, 0, `${command}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** The output the docs show under a `console` command, placeholders filled. */
  output(command: string, vars: Record<string, string>): string {
    return fill(this.find(command).output.join('\n'), vars);
  }
}

/** Rows of a kubectl-style table (header dropped), split on blanks: NAME STATE SEVERITY ... */
/**
 * The cells of a kubectl-style table, cut at the header's column starts (a cell may be empty). A
 * leading CLUSTER column (the plugin shows it once any alert carries `--cluster-name`'s label, as
 * another suite's alerts on this shared control plane do) is dropped.
 */
const rows = (table: string): string[][] => {
  const [head = '', ...lines] = table.split('\n');
  const starts = [...head.matchAll(/\S+/g)].map((m) => m.index);
  const cells = lines
    .filter(Boolean)
    .map((l) => starts.map((start, i) => l.slice(start, starts[i + 1]).trim()));
  return head.startsWith('CLUSTER ') ? cells.map((r) => r.slice(1)) : cells;
};
const names = (table: string): string[] => rows(table).map((r) => r[0] as string);

const ALERTS = '/apis/tripline.dev/v1alpha1/auditalerts';
const OPERATOR_SA = 'system:serviceaccount:tripline-system:tripline-operator';
const PLUGIN = path.join(repoRoot(), 'dist/src/cli/kubectl-tripline.js');

/** The raw commands of the README and docs/triage.md, exactly as shown. */
const RAW = {
  queue: 'kubectl get aal --field-selector status.state=Open',
  ack: `kubectl patch auditalert NAME --subresource=status --type=merge -p '{"status":{"state":"Acknowledged","note":"looking into it"}}'`,
  assign: `kubectl patch auditalert NAME --subresource=status --type=merge -p '{"status":{"assignee":"alice"}}'`,
  unresolvedHigh: 'kubectl get aal --field-selector status.state!=Resolved,spec.severity=High',
  resolve: `kubectl patch auditalert NAME --subresource=status --type=merge -p '{"status":{"state":"Resolved","reason":"FalsePositive","note":"load test of the shop team"}}'`,
  reopen: `kubectl patch auditalert NAME --subresource=status --type=merge -p '{"status":{"state":"Open","reason":null}}'`,
  noReason: `kubectl patch auditalert NAME --subresource=status --type=merge -p '{"status":{"state":"Resolved"}}'`,
  applyPolicies: 'kubectl apply -k manifests/policies/',
  delete: 'kubectl delete auditalert NAME',
};

/** The plugin install steps and commands of docs/triage.md, exactly as shown. */
const PLUGIN_DOC = {
  npmInstall: 'npm install -g .',
  pluginList: 'kubectl plugin list',
  chmod: 'chmod +x dist/src/cli/kubectl-tripline.js',
  mkdir: 'mkdir -p ~/.local/bin',
  link: 'ln -s "$PWD/dist/src/cli/kubectl-tripline.js" ~/.local/bin/kubectl-tripline',
  listHigh: 'kubectl tripline list --state Open --severity High',
  listJson: 'kubectl tripline list --detection ingress-created --namespace NAMESPACE -o json',
  show: 'kubectl tripline show NAME',
  whoCan: 'kubectl tripline who-can NAME',
  ack: 'kubectl tripline ack NAME --note "looking into it"',
  assign: 'kubectl tripline assign NAME alice',
  resolve: 'kubectl tripline resolve NAME --reason Expected --note "owned by the shop team"',
  reopen: 'kubectl tripline reopen NAME',
  remediate: 'kubectl tripline remediate NAME --action DeleteSubject',
};

/** RBAC for the "triager" group (and the operator's service account, for the policy's exemption). */
const TRIAGER_RBAC = (id: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `triage-${id}` },
        rules: [
          {
            apiGroups: ['tripline.dev'],
            resources: ['auditalerts', 'auditalerts/status'],
            verbs: ['get', 'list', 'delete', 'patch'],
          },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `triage-${id}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `triage-${id}` },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'triagers' },
          { kind: 'ServiceAccount', namespace: 'tripline-system', name: 'tripline-operator' },
        ],
      },
    ],
  });

/** A Warn-only policy that reports what `oldObject.status.state` reads, with no guard for a missing status. */
const DEFAULT_PROBE = (id: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: `triage-probe-${id}` },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ['tripline.dev'],
                apiVersions: ['*'],
                operations: ['DELETE'],
                resources: ['auditalerts'],
              },
            ],
          },
          validations: [
            { expression: 'false', messageExpression: "'probe: state reads ' + oldObject.status.state" },
          ],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: `triage-probe-${id}` },
        spec: { policyName: `triage-probe-${id}`, validationActions: ['Warn'] },
      },
    ],
  });

/** An alert written by hand: the operator never touches an untouched alert's status. */
const handMadeAlert = (name: string) => ({
  apiVersion: 'tripline.dev/v1alpha1',
  kind: 'AuditAlert',
  metadata: { name },
  spec: {
    detection: { name: 'triage-hand-made' },
    severity: 'Low',
    category: 'Other',
    event: 'Created',
    summary: 'written by hand, status never written',
    subject: { apiVersion: 'v1', kind: 'Namespace', name: 'default' },
    detectedAt: new Date().toISOString(),
  },
});

describe('triage: the README workflow, refused patches, the kubectl plugin and the delete policy', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `triage-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;
  let tmp: string;
  let readme: TriageDocs;
  /** Alert names by role in this test. */
  const alert: Record<string, string> = {};

  const home = (): string => path.join(tmp, 'home');
  const npmPrefix = (): string => path.join(tmp, 'npm-global');
  /** The environment of a user's shell: the pinned kubectl and node first on PATH, a private HOME. */
  const shellEnv = (kubeconfig: string, extraPath: string[] = []): NodeJS.ProcessEnv => ({
    ...process.env,
    KUBECONFIG: kubeconfig,
    HOME: home(),
    PATH: [...extraPath, cp.binDir, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
    npm_config_prefix: npmPrefix(),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  });
  const adminEnv = (): NodeJS.ProcessEnv => shellEnv(cp.kubeconfigPath, [path.join(home(), '.local/bin')]);

  const getAlert = (name: string): Promise<AuditAlert> => getAlertByName(c, name);
  /** The human-written triage fields that are set (the operator's conditions and history are not ours). */
  const triage = async (name: string): Promise<Triage> => {
    const { state, reason, note, assignee, remediation } = (await getAlert(name)).status ?? {};
    const all: Triage = { state, reason, note, assignee, action: remediation?.action };
    return Object.fromEntries(Object.entries(all).filter(([, x]) => x !== undefined));
  };
  const patchStatus = (name: string, status: object) => patchAlertStatus(cp, name, status);

  async function alertOf(obj: KubeObject, detection: string): Promise<string> {
    const all = await waitForAlerts(c, obj.metadata.uid as string);
    const a = all.find((x) => x.spec.detection.name === detection);
    assert.ok(a?.metadata.name, `an alert of ${detection} for ${obj.kind} ${obj.metadata.name}`);
    return a.metadata.name;
  }

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'tripline-triage-'));
    readme = new TriageDocs(
      triageCommands(
        await readFile(path.join(repoRoot(), 'README.md'), 'utf8'),
        await readFile(path.join(repoRoot(), 'docs/triage.md'), 'utf8'),
      ),
    );
    await installCrds(cp);
    await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
    op = await startOperator(cp.kubeconfigPath);
    await op.waitReady();
    await createNamespace(c, ns);
    for (const role of ['raw', 'bad', 'plugin', 'open', 'done', 'ops']) {
      alert[role] = await alertOf(await createIngress(c, ns, `${role}-${id}`), 'ingress-created');
    }
    alert.high = await alertOf(await createClusterRole(c, `triage-reader-${id}`), 'clusterrole-created');
    assert.equal(
      (await getAlert(alert.high)).spec.severity,
      'High',
      'a High alert for the severity selector',
    );
  });

  after(async () => {
    if (cp) {
      await cp.kubectl(['delete', '--ignore-not-found', '-k', path.join(repoRoot(), 'manifests/policies')]);
      await cp.kubectl(['delete', '--ignore-not-found', '-f', '-'], { input: DEFAULT_PROBE(id) });
      await cp.kubectl(['delete', '--ignore-not-found', '-f', '-'], { input: TRIAGER_RBAC(id) });
    }
    if (op?.running()) await op.stop();
    c?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('the README triage commands', () => {
    it('runs each raw kubectl command of the README with the documented effect', async () => {
      const env = adminEnv();
      const v = { NAME: alert.raw as string };
      assert.ok(names(await readme.ok(RAW.queue, env)).includes(v.NAME), 'a new alert is in the Open queue');

      await readme.ok(RAW.ack, env, v);
      assert.deepEqual(await triage(v.NAME), { state: 'Acknowledged', note: 'looking into it' });
      assert.ok(!names(await readme.ok(RAW.queue, env)).includes(v.NAME), 'acknowledged: out of the queue');

      await readme.ok(RAW.assign, env, v);
      assert.deepEqual(await triage(v.NAME), {
        state: 'Acknowledged',
        note: 'looking into it',
        assignee: 'alice',
      });

      const high = rows(await readme.ok(RAW.unresolvedHigh, env));
      assert.ok(
        high.some((r) => r[0] === alert.high),
        `${alert.high} is listed`,
      );
      for (const r of high) assert.ok(r[1] !== 'Resolved' && r[2] === 'High', `row ${r.join(' ')}`);

      await readme.ok(RAW.resolve, env, v);
      assert.deepEqual(await triage(v.NAME), {
        state: 'Resolved',
        reason: 'FalsePositive',
        note: 'load test of the shop team',
        assignee: 'alice',
      });

      await readme.ok(RAW.reopen, env, v);
      assert.deepEqual(await triage(v.NAME), {
        state: 'Open',
        note: 'load test of the shop team',
        assignee: 'alice',
      });
      assert.ok(names(await readme.ok(RAW.queue, env)).includes(v.NAME), 'reopened: back in the queue');
    });
  });

  describe('invalid patches are refused by the API server with a readable message', () => {
    const status = (p: object) => [
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: p }),
    ];
    const cases: { name: string; from?: object; args: string[]; message: RegExp }[] = [
      {
        name: 'an unknown state',
        args: status({ state: 'Closed' }),
        message: /status.state: Unsupported value: "Closed"/,
      },
      {
        name: 'an unknown reason',
        args: status({ state: 'Resolved', reason: 'Bored' }),
        message: /status.reason: Unsupported value: "Bored"/,
      },
      {
        name: 'Other without a note',
        args: status({ state: 'Resolved', reason: 'Other' }),
        message: /status.note: Invalid value: a note is required when reason is Other/,
      },
      {
        name: 'Resolved → Acknowledged',
        from: { state: 'Resolved', reason: 'Duplicate' },
        args: status({ state: 'Acknowledged' }),
        message: /a Resolved alert can only be reopened \(state Open\), not moved to Acknowledged/,
      },
      {
        name: 'an unknown remediation action',
        args: status({ remediation: { action: 'Nuke' } }),
        message: /status.remediation.action: Unsupported value: "Nuke"/,
      },
      {
        name: 'an edit of spec',
        args: ['--type=merge', '-p', '{"spec":{"summary":"x"}}'],
        message: /spec: Invalid value: spec is immutable: alerts are evidence/,
      },
    ];
    for (const k of cases) {
      it(`refuses ${k.name}`, async () => {
        const name = alert.bad as string;
        await patchStatus(name, { state: 'Open', reason: null, ...k.from });
        const before = await getAlert(name);
        const r = await cp.kubectl(['patch', 'auditalert', name, ...k.args]);
        assert.notEqual(r.code, 0, r.stdout);
        assert.match(r.stderr, k.message);
        const after = await getAlert(name);
        assert.deepEqual(after.spec, before.spec);
        assert.deepEqual(await triage(name), { ...(k.from ?? { state: 'Open' }) });
      });
    }

    it('refuses Resolved without a reason with the message the README shows', async () => {
      const v = { NAME: alert.bad as string };
      await patchStatus(v.NAME, { state: 'Open', reason: null });
      const r = await readme.run(RAW.noReason, adminEnv(), v);
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.trim(), readme.output(RAW.noReason, v));
      assert.deepEqual(await triage(v.NAME), { state: 'Open' });
    });
  });

  describe('the kubectl plugin', () => {
    /** Runs the built plugin directly with node and --kubeconfig (no PATH involved). */
    const plugin = (args: string[], kubeconfig = cp.kubeconfigPath): Promise<Run> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [PLUGIN, ...args, '--kubeconfig', kubeconfig]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
      });

    it('installs with npm install -g . and kubectl finds it', async () => {
      const env = shellEnv(cp.kubeconfigPath, [path.join(npmPrefix(), 'bin')]);
      await readme.ok(PLUGIN_DOC.npmInstall, env);
      assert.match(await readme.ok(PLUGIN_DOC.pluginList, env), /npm-global\/bin\/kubectl-tripline/);
      const table = await readme.ok(PLUGIN_DOC.listHigh, env);
      assert.ok(names(table).includes(alert.high as string), table);
      for (const r of rows(table)) assert.ok(r[1] === 'Open' && r[2] === 'High', `row ${r.join(' ')}`);
    });

    it('installs with a symlink and kubectl finds it', async () => {
      const env = adminEnv();
      for (const step of [PLUGIN_DOC.chmod, PLUGIN_DOC.mkdir, PLUGIN_DOC.link]) await readme.ok(step, env);
      assert.match(await readme.ok(PLUGIN_DOC.pluginList, env), /home\/\.local\/bin\/kubectl-tripline/);
    });

    it('lists with server-side filters and shows an alert readably', async () => {
      const env = adminEnv();
      const v = { NAME: alert.plugin as string, NAMESPACE: ns };
      const list = JSON.parse(await readme.ok(PLUGIN_DOC.listJson, env, v)) as {
        kind: string;
        items: AuditAlert[];
      };
      assert.equal(list.kind, 'List');
      assert.ok(list.items.some((a) => a.metadata.name === v.NAME));
      for (const a of list.items)
        assert.deepEqual([a.spec.detection.name, a.spec.subject.namespace], ['ingress-created', ns]);
      const shown = await readme.ok(PLUGIN_DOC.show, env, v);
      const a = await getAlert(v.NAME);
      for (const want of [
        a.spec.summary,
        'Subject:',
        `plugin-${id}`,
        'Evidence:',
        'Investigation:',
        'Resolution:',
      ])
        assert.ok(shown.includes(want), `show prints ${want}:\n${shown}`);
      assert.match(shown, /^ {2}1\. .+\n(.*\n)*? {5}\$ kubectl /m, 'numbered steps with their commands');
      // The alert stores each step's title and command; show prints the explanation from the detection.
      assert.ok(
        [...(a.spec.investigation ?? []), ...(a.spec.resolution ?? [])].every(
          (st) => st.detail === undefined,
        ),
        'the stored steps carry no explanation',
      );
      const det = JSON.parse(
        await kubectlOk(cp, ['get', 'auditdetection', 'ingress-created', '-o', 'json']),
      ) as {
        spec: { investigation?: { detail?: string }[] };
      };
      const explained = (det.spec.investigation ?? []).filter((st) => st.detail && !st.detail.includes('{{'));
      assert.ok(explained.length > 0, 'ingress-created explains some steps without variables');
      for (const st of explained) {
        const words = (st.detail as string).split(/\s+/).slice(0, 6).join(' ');
        assert.ok(
          shown.replace(/\s+/g, ' ').includes(words),
          `show explains the step with ${JSON.stringify(words)}:\n${shown}`,
        );
      }
      assert.match(shown, /Status:\n {2}State: +Open/);
    });

    it('acks, assigns, resolves, reopens and requests a remediation, like the raw patches', async () => {
      const env = adminEnv();
      const v = { NAME: alert.plugin as string };
      const steps: [string, RegExp, Triage][] = [
        [PLUGIN_DOC.ack, /acknowledged/, { state: 'Acknowledged', note: 'looking into it' }],
        [
          PLUGIN_DOC.assign,
          /assigned to alice/,
          { state: 'Acknowledged', note: 'looking into it', assignee: 'alice' },
        ],
        [
          PLUGIN_DOC.resolve,
          /resolved \(Expected\)/,
          { state: 'Resolved', reason: 'Expected', note: 'owned by the shop team', assignee: 'alice' },
        ],
        [PLUGIN_DOC.reopen, /reopened/, { state: 'Open', note: 'owned by the shop team', assignee: 'alice' }],
      ];
      for (const [cmd, said, want] of steps) {
        assert.match(await readme.ok(cmd, env, v), said);
        assert.deepEqual(await triage(v.NAME), want, cmd);
      }
      assert.match(await readme.ok(PLUGIN_DOC.remediate, env, v), /remediation DeleteSubject requested/);
      assert.equal((await triage(v.NAME)).action, 'DeleteSubject');
    });

    it('prints the API server message and exits 1 when a patch is refused', async () => {
      const name = alert.plugin as string;
      await patchStatus(name, { state: 'Open', reason: null, note: null });
      const r = await plugin(['resolve', name, '--reason', 'Other']);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(
        r.stderr.trim(),
        `Error from server (Invalid): AuditAlert.tripline.dev "${name}" is invalid: status.note: Invalid value: a note is required when reason is Other`,
      );
      assert.equal((await triage(name)).state, 'Open');
      assert.equal((await plugin(['resolve', name, '--reason', 'Duplicate'])).code, 0);
      const ack = await plugin(['ack', name]);
      assert.equal(ack.code, 1);
      assert.match(ack.stderr, /a Resolved alert can only be reopened/);
      assert.equal((await plugin(['reopen', name])).code, 0);
    });

    const errors: { name: string; args: string[]; code: number; out: RegExp }[] = [
      {
        name: 'an unknown alert',
        args: ['show', 'no-such-alert'],
        code: 1,
        out: /NotFound.*"no-such-alert" not found/,
      },
      { name: 'resolve without --reason', args: ['resolve', 'x'], code: 2, out: /--reason is required/ },
      {
        name: 'an unknown reason',
        args: ['resolve', 'x', '--reason', 'Fixed'],
        code: 2,
        out: /--reason must be one of/,
      },
      { name: 'an unknown command', args: ['close', 'x'], code: 2, out: /unknown command "close"/ },
      { name: 'an unknown flag', args: ['ack', 'x', '--force'], code: 2, out: /unknown flag "--force"/ },
      { name: 'a missing argument', args: ['assign', 'x'], code: 2, out: /takes NAME and USER/ },
      {
        name: 'an unknown output',
        args: ['list', '-o', 'yaml'],
        code: 2,
        out: /--output must be one of table, json/,
      },
      {
        name: 'no match',
        args: ['list', '--detection', 'no-such-detection'],
        code: 0,
        out: /No alerts found/,
      },
      {
        name: 'help',
        args: ['resolve', '--help'],
        code: 0,
        out: /Same as:\n {2}kubectl patch auditalert NAME/,
      },
    ];
    for (const k of errors) {
      it(`exits ${k.code} on ${k.name}`, async () => {
        const r = await plugin(k.args);
        assert.equal(r.code, k.code, r.stdout + r.stderr);
        assert.match(r.stdout + r.stderr, k.out);
      });
    }

    describe('who-can: an alert with more grants than it lists', () => {
      const wns = `whocan-${id}`;
      /** Seven users allowed to create Ingresses in wns: more than the default --who-can-limit of 5. */
      const team = Array.from({ length: 7 }, (_, i) => `web-${i + 1}-${id}`);
      const reader = `alert-reader-${id}`;
      let name: string;
      let total: number;
      const held = (kind: string) => op.metric('tripline_rbac_index_objects', { kind });

      before(async () => {
        const [roles, bindings] = [await held('Role'), await held('RoleBinding')];
        await createNamespace(c, wns);
        await kubectlOk(cp, [
          'create',
          'role',
          'ingress-creator',
          '-n',
          wns,
          '--verb=create',
          '--resource=ingresses.networking.k8s.io',
        ]);
        await kubectlOk(cp, [
          'create',
          'rolebinding',
          'web-team',
          '-n',
          wns,
          '--role=ingress-creator',
          ...team.map((u) => `--user=${u}`),
        ]);
        await waitFor(
          async () => (await held('Role')) > roles && (await held('RoleBinding')) > bindings,
          30_000,
          "the operator's RBAC index to hold the new Role and RoleBinding",
        );
        name = await alertOf(await createIngress(c, wns, `web-${id}`), 'ingress-created');
        const summary = (await getAlert(name)).spec.evidence?.whoCanSummary as { total?: number } | undefined;
        assert.ok(typeof summary?.total === 'number', 'evidence.whoCanSummary.total');
        total = summary.total;
      });

      after(async () => {
        await cp?.kubectl(['delete', 'clusterrolebinding,clusterrole', reader, '--ignore-not-found']);
      });

      it('the alert lists five, counts all, and show points to the command for the rest', async () => {
        const a = await getAlert(name);
        assert.equal(a.spec.whoCan?.length, 5, 'the default --who-can-limit');
        assert.ok(total >= team.length, `total ${total} counts at least the ${team.length} team members`);
        assert.deepEqual(a.spec.evidence?.whoCanSummary, {
          question: `create ingresses.networking.k8s.io in namespace ${wns}`,
          verbs: ['create'],
          group: 'networking.k8s.io',
          resource: 'ingresses',
          namespace: wns,
          total,
          listed: 5,
        });
        const pointer = `${total - 5} more: kubectl tripline who-can ${name}`;
        assert.ok(
          a.spec.notes?.includes(`who-can: 5 of ${total} grants listed, most specific first; ${pointer}`),
          JSON.stringify(a.spec.notes),
        );
        const shown = await readme.ok(PLUGIN_DOC.show, adminEnv(), { NAME: name });
        assert.ok(shown.includes(`\n  5 of ${total} listed; ${pointer}\n`), shown);
      });

      it("kubectl tripline who-can prints every grant, the alert's five first", async () => {
        const out = await readme.ok(PLUGIN_DOC.whoCan, adminEnv(), { NAME: name });
        const [title = '', table = ''] = out.split('\n\n');
        assert.match(
          title,
          new RegExp(
            `^Who can create ingresses.networking.k8s.io in namespace ${wns} \\(alert ${name}\\), by RBAC as it is now: ${total} grants;`,
          ),
        );
        const printed = rows(table);
        assert.equal(printed.length, total, out);
        for (const user of team)
          assert.ok(
            printed.some(
              (r) =>
                r.join('|') === `User|${user}||create|RoleBinding ${wns}/web-team → Role ingress-creator`,
            ),
            `${user} is printed:\n${out}`,
          );
        const listed = (await getAlert(name)).spec.whoCan ?? [];
        assert.deepEqual(
          printed.slice(0, 5).map((r) => [r[0], r[1], r[4]]),
          listed.map((w) => [w.kind, w.name, w.via]),
          'the same order as the operator',
        );

        const json = await plugin(['who-can', name, '-o', 'json']);
        assert.equal(json.code, 0, json.stderr);
        const doc = JSON.parse(json.stdout) as { total: number; whoCan: unknown[] };
        assert.equal(doc.total, total);
        assert.equal(doc.whoCan.length, total);
        assert.deepEqual(doc.whoCan.slice(0, 5), listed);
      });

      it('names the RBAC list it may not read, and an alert that does not exist', async () => {
        const user = await cp.addUser(reader, []);
        await kubectlOk(cp, [
          'create',
          'clusterrole',
          reader,
          '--verb=get',
          '--resource=auditalerts.tripline.dev',
          '--verb=list',
          '--resource=roles.rbac.authorization.k8s.io,clusterroles.rbac.authorization.k8s.io',
        ]);
        await kubectlOk(cp, [
          'create',
          'clusterrolebinding',
          reader,
          `--clusterrole=${reader}`,
          `--user=${reader}`,
        ]);
        let last: Run = { code: -1, stdout: '', stderr: '' };
        await waitFor(
          async () => {
            last = await plugin(['who-can', name], user.kubeconfigPath);
            return last.stderr.includes('rolebindings');
          },
          30_000,
          'the reader to be allowed the alert and the first lists',
        );
        assert.equal(last.code, 1, last.stdout);
        assert.match(
          last.stderr,
          new RegExp(
            `^Error from server \\(Forbidden\\): rolebindings.rbac.authorization.k8s.io is forbidden: User "${reader}" cannot list resource "rolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope\n` +
              'who-can lists Roles, ClusterRoles, RoleBindings and ClusterRoleBindings of the whole cluster with your credentials; the list of rolebindings.rbac.authorization.k8s.io was refused: it needs list on rolebindings.rbac.authorization.k8s.io cluster-wide\n$',
          ),
        );
        const missing = await plugin(['who-can', 'no-such-alert']);
        assert.equal(missing.code, 1);
        assert.equal(
          missing.stderr,
          'Error from server (NotFound): auditalerts.tripline.dev "no-such-alert" not found\n',
        );
      });
    });

    it('exits 1 with the reason when the cluster refuses or cannot be read', async () => {
      const nobody = await cp.addUser(`nobody-${id}`, []);
      const denied = await plugin(['list'], nobody.kubeconfigPath);
      assert.equal(denied.code, 1);
      assert.match(
        denied.stderr,
        /^Error from server \(Forbidden\): auditalerts.tripline.dev is forbidden: User "nobody/,
      );
      const missing = await plugin(['list'], path.join(tmp, 'no-such-kubeconfig'));
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^error: reading kubeconfig .*no-such-kubeconfig: ENOENT/);
    });
  });

  describe('the delete policy', () => {
    let triager: string;
    const handMade = `triage-hand-made-${id}`;
    const deleteAs = (name: string, kubeconfig: string, extra: string[] = []) =>
      cp.kubectl(['delete', 'auditalert', name, ...extra], { kubeconfig });

    before(async () => {
      triager = (await cp.addUser('triager', ['triagers'])).kubeconfigPath;
      await kubectlOk(cp, ['apply', '-f', '-'], TRIAGER_RBAC(id));
      await create(c, ALERTS, handMadeAlert(handMade));
    });

    it('reads a never-written status as its schema default, Open, in oldObject', async () => {
      await kubectlOk(cp, ['apply', '-f', '-'], DEFAULT_PROBE(id));
      let last = '';
      const probe = async (): Promise<boolean> => {
        last = (await deleteAs(handMade, cp.kubeconfigPath, ['--dry-run=server'])).stderr;
        return last.includes('probe: state reads');
      };
      await waitFor(probe, 30_000, 'the probe policy to warn');
      assert.match(last, /probe: state reads Open/);
      await kubectlOk(cp, ['delete', '-f', '-'], DEFAULT_PROBE(id));
    });

    it('refuses deleting an Open or Acknowledged alert, to normal users and admins, with the README message', async () => {
      const env = adminEnv();
      await readme.ok(RAW.applyPolicies, env);
      const v = { NAME: alert.open as string };
      const refused = async (): Promise<boolean> =>
        (await deleteAs(v.NAME, triager, ['--dry-run=server'])).stderr.includes('denied request');
      await waitFor(refused, 30_000, 'the delete policy to take effect');

      const r = await readme.run(RAW.delete, shellEnv(triager), v);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr.trim(), readme.output(RAW.delete, v));
      assert.equal((await getAlert(v.NAME)).metadata.name, v.NAME, 'the alert is still there');

      const admin = await deleteAs(v.NAME, cp.kubeconfigPath, ['--dry-run=server']);
      assert.match(admin.stderr, /denied request: AuditAlert .* is Open/, 'admins are refused too');
      const fresh = await deleteAs(handMade, triager);
      assert.match(fresh.stderr, /denied request: AuditAlert .* is Open/, 'a never-written status is Open');

      await patchStatus(v.NAME, { state: 'Acknowledged' });
      const acked = await deleteAs(v.NAME, triager);
      assert.match(
        acked.stderr,
        new RegExp(`denied request: AuditAlert ${v.NAME} is Acknowledged: only Resolved`),
      );
    });

    it('lets a normal user delete a Resolved alert', async () => {
      const v = { NAME: alert.done as string };
      await kubectlOk(cp, [
        'patch',
        'auditalert',
        v.NAME,
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"state":"Resolved","reason":"Expected"}}',
      ]);
      const r = await readme.run(RAW.delete, shellEnv(triager), v);
      assert.equal(r.code, 0, r.stderr);
      await assert.rejects(getAlert(v.NAME), (e: unknown) => isNotFound(e));
    });

    it("exempts the operator's service account", async () => {
      const name = alert.ops as string;
      const r = await cp.kubectl(['delete', 'auditalert', name, `--as=${OPERATOR_SA}`]);
      assert.equal(r.code, 0, r.stderr);
      await assert.rejects(getAlert(name), (e: unknown) => isNotFound(e));
    });
  });

  // Mocha runs a suite's own tests before its child suites: this check lives in the last child suite.
  describe('README coverage', () => {
    it('ran every command the README Triage section and docs/triage.md show', () => {
      const untested = readme.commands.map((d) => d.command).filter((cmd) => !readme.ran.has(cmd));
      assert.deepEqual(untested, []);
    });
  });
});
