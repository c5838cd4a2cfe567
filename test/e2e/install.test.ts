/**
 * The default install (`manifests/default`) against the real local control plane: the API server
 * accepts it (server-side dry-run, then for real), its Pod passes Pod Security `restricted`
 * admission, its RBAC grants no wildcards and nothing on Secrets, and the Dockerfile's build steps
 * produce a runnable operator with production dependencies only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { OPERATOR_NODE_FLAGS } from '../../src/runtime/node-flags.js';
import { controlPlane } from './setup.js';
import { installCrds, kubectlOk } from './support/cluster.js';

const run = promisify(execFile);
const defaultInstall = (): string => path.join(repoRoot(), 'manifests/default');
const namespace = 'tripline-system';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

/** Every object of the default install as kustomize renders it. */
async function renderDefault(): Promise<Manifest[]> {
  const out = await kubectlOk(controlPlane(), ['kustomize', defaultInstall()]);
  return parseAllDocuments(out).map((d) => d.toJS() as Manifest);
}

/** A Pod with the Deployment's Pod template, as the ReplicaSet controller would create it. */
function podFrom(deployment: Manifest, name: string): Manifest {
  const template = (deployment.spec as { template: { metadata: object; spec: object } }).template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, name, namespace },
    spec: template.spec,
  };
}

/** Server-side dry-run create of a Pod in the operator's namespace. */
function dryRunPod(pod: Manifest) {
  return controlPlane().kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], {
    input: JSON.stringify(pod),
  });
}

describe('default install (manifests/default)', () => {
  before(async function () {
    this.timeout(90_000);
    // A dry-run creates nothing: instances of the CRDs (the detections) can only be dry-run once
    // the CRDs are served, and namespaced objects once their namespace exists.
    await installCrds(controlPlane());
    await kubectlOk(controlPlane(), ['apply', '-f', path.join(defaultInstall(), 'namespace.yaml')]);
  });

  after(async function () {
    this.timeout(60_000);
    // The delete-protection policy would change how later test files can clean up alerts.
    await controlPlane().kubectl([
      'delete',
      '--ignore-not-found',
      '-k',
      path.join(repoRoot(), 'manifests/policies'),
    ]);
  });

  it('is accepted by a server-side dry-run', async () => {
    const out = await kubectlOk(controlPlane(), ['apply', '-k', defaultInstall(), '--dry-run=server']);
    assert.match(out, /deployment\.apps\/tripline-operator .*\(server dry run\)/);
    assert.match(out, /namespace\/tripline-system .*\(server dry run\)/);
  });

  it('is applied for real and every object exists', async () => {
    const cp = controlPlane();
    await kubectlOk(cp, ['apply', '-k', defaultInstall()]);
    const rendered = await renderDefault();
    // kubectl get fails on a missing object; the output names each one found.
    const found = await Promise.all(
      rendered.map((m) => {
        const ns = m.metadata.namespace ? ['-n', m.metadata.namespace] : [];
        return kubectlOk(cp, ['get', ...ns, `${resourceOf(m)}/${m.metadata.name}`, '-o', 'name']);
      }),
    );
    assert.equal(found.filter((name) => name.trim() !== '').length, rendered.length);
    const ns = JSON.parse(await kubectlOk(cp, ['get', 'namespace', namespace, '-o', 'json'])) as Manifest;
    assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  it('runs a Pod that passes Pod Security restricted admission', async () => {
    const cp = controlPlane();
    await kubectlOk(cp, ['apply', '-k', defaultInstall()]);
    const deployment = JSON.parse(
      await kubectlOk(cp, ['get', '-n', namespace, 'deployment/tripline-operator', '-o', 'json']),
    ) as Manifest;
    const ok = await dryRunPod(podFrom(deployment, 'tripline-operator-psa-check'));
    assert.equal(ok.code, 0, ok.stderr);

    // The check can fail: the same Pod made privileged is refused in this namespace.
    const privileged = structuredClone(podFrom(deployment, 'tripline-operator-privileged'));
    const spec = privileged.spec as { containers: { securityContext: Record<string, unknown> }[] };
    spec.containers[0]!.securityContext = { privileged: true };
    const refused = await dryRunPod(privileged);
    assert.notEqual(refused.code, 0, 'a privileged Pod was admitted');
    assert.match(refused.stderr, /violates PodSecurity "restricted/);
  });

  it('grants no wildcards and nothing on Secrets, and leaves remediation out', async () => {
    const rendered = await renderDefault();
    const roles = rendered.filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role');
    assert.deepEqual(roles.map((r) => `${r.kind}/${r.metadata.name}`).sort(), [
      'ClusterRole/tripline-operator',
      'ClusterRole/tripline-triage',
      'ClusterRole/tripline-view',
      'Role/tripline-leader-election',
    ]);
    for (const role of roles) {
      for (const rule of (role.rules ?? []) as PolicyRule[]) {
        const where = `${role.kind} ${role.metadata.name}: ${JSON.stringify(rule)}`;
        for (const field of [rule.verbs, rule.resources ?? [], rule.apiGroups ?? []])
          assert.ok(!field.some((v) => v.includes('*')), `wildcard in ${where}`);
        assert.ok(!(rule.resources ?? []).some((r) => r.split('/')[0] === 'secrets'), `secrets in ${where}`);
        assert.equal(rule.nonResourceURLs, undefined, `non-resource URLs in ${where}`);
      }
    }
    const names = rendered.map((m) => m.metadata.name);
    assert.ok(
      !names.includes('tripline-remediator'),
      'the opt-in remediation role is in the default install',
    );
  });
});

describe('Dockerfile build steps (without Docker)', () => {
  let work = '';

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'tripline-image-'));
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('pins every base image by digest, so a moved tag cannot change what is built', async () => {
    const stages = parseDockerfile(await readFile(path.join(repoRoot(), 'Dockerfile'), 'utf8'));
    assert.ok(stages.length >= 2);
    for (const { from } of stages) assert.match(from, /^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/, from);
  });

  it('builds a runnable operator with production dependencies only', async function () {
    this.timeout(240_000);
    const stages = parseDockerfile(await readFile(path.join(repoRoot(), 'Dockerfile'), 'utf8'));
    const [build, runtime] = stages;
    assert.ok(build && runtime, 'expected a build stage and a runtime stage');
    const src = path.join(work, 'build-stage');
    const workdir = build.steps.find((s) => s.op === 'WORKDIR')?.args ?? '/';
    const app = path.join(work, 'app');
    for (const step of build.steps) {
      if (step.op === 'COPY') await copyStep(step.args, repoRoot(), src);
      // Each RUN line goes through a shell as in the image; the npm cache makes `npm ci` fast.
      if (step.op === 'RUN') await run('sh', ['-c', step.args], { cwd: src, env: npmEnv() });
    }
    for (const step of runtime.steps) {
      if (step.op !== 'COPY') continue;
      const from = step.args.match(/^--from=(\S+)\s+(.*)$/);
      // Paths in the build stage are absolute under its WORKDIR, which is the copy here.
      if (from) await copyStep(from[2]!.replaceAll(`${workdir}/`, './'), src, app);
      else await copyStep(step.args, repoRoot(), app);
    }
    await assert.rejects(stat(path.join(app, 'node_modules/typescript')), 'dev dependencies in the image');
    // Only the test schema checks use ajv-formats; the operator validates without it.
    await assert.rejects(stat(path.join(app, 'node_modules/ajv-formats')), 'ajv-formats in the image');
    const entrypoint = runtime.entrypoint ?? [];
    assert.deepEqual(entrypoint.slice(-1), ['dist/src/cli/tripline.js']);
    // The image runs node with the flags the tests and benchmarks run the operator with.
    assert.deepEqual(entrypoint.slice(1, -1), OPERATOR_NODE_FLAGS);
    const help = await run(process.execPath, [...entrypoint.slice(1), '--help'], { cwd: app });
    assert.match(help.stdout, /tripline run \[flags\]/);
    assert.deepEqual(runtime.cmd, ['run']);
  });
});

interface Stage {
  /** The base image reference of the stage's FROM line. */
  from: string;
  steps: { op: string; args: string }[];
  entrypoint?: string[];
  cmd?: string[];
}

/** The instructions of each stage of a Dockerfile, with continuation lines joined. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', args = ''] = line.match(/^(\S+)\s+(.*)$/) ?? [];
    if (op === 'FROM') stages.push({ from: args.split(/\s+/)[0] ?? '', steps: [] });
    const stage = stages.at(-1);
    if (!stage || op === 'FROM') continue;
    if (op === 'ENTRYPOINT') stage.entrypoint = JSON.parse(args) as string[];
    else if (op === 'CMD') stage.cmd = JSON.parse(args) as string[];
    else stage.steps.push({ op, args });
  }
  return stages;
}

/**
 * `COPY a b ... dest` from one directory into another, paths relative to each. As in Docker, a
 * directory's contents land in dest, and a file goes into dest when dest ends with a slash.
 */
async function copyStep(args: string, fromDir: string, toDir: string): Promise<void> {
  const parts = args.split(/\s+/);
  const dest = parts.pop()!;
  for (const source of parts) {
    const isDir = (await stat(path.join(fromDir, source))).isDirectory();
    const target = !isDir && dest.endsWith('/') ? path.join(dest, path.basename(source)) : dest;
    await cp(path.join(fromDir, source), path.join(toDir, target), { recursive: true });
  }
}

/** npm settings for the copy: reuse the local cache, stay quiet. */
function npmEnv(): NodeJS.ProcessEnv {
  return { ...process.env, npm_config_prefer_offline: 'true', npm_config_loglevel: 'error' };
}

/** The kind qualified by its API group, as `kubectl get` takes it (`Deployment.apps`, `Namespace`). */
function resourceOf(m: Manifest): string {
  return m.apiVersion.includes('/') ? `${m.kind}.${m.apiVersion.split('/')[0]}` : m.kind;
}
