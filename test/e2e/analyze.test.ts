import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { controlPlane } from './setup.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` in the repository root, feeding `input` to stdin. */
function exec(command: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** The built CLI, as a user runs it: `tripline analyze ...`. */
const tripline = (args: string[], input?: string): Promise<Run> =>
  exec(process.execPath, [path.join(repoRoot(), 'dist/src/cli/tripline.js'), 'analyze', ...args], input);

const FIX = 'test/fixtures/analyze';

/**
 * The native validator inside @microsoft/sarif-multitool. npm does not always keep its exec bit
 * (the tarball's mode is 0744 owned by whoever installed it); fix it loudly rather than fail
 * with "permission denied" from a shell.
 */
function ensureValidatorExecutable(): void {
  const require = createRequire(import.meta.url);
  let binary: string;
  try {
    binary = require(`@microsoft/sarif-multitool-${process.platform}`) as string;
  } catch (err: unknown) {
    throw new Error(
      `@microsoft/sarif-multitool-${process.platform} is missing: run npm ci (it is a dev dependency of @microsoft/sarif-multitool)`,
      { cause: err },
    );
  }
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    process.stderr.write(`      note: ${binary} was not executable after npm ci; setting its exec bit\n`);
    chmodSync(binary, statSync(binary).mode | 0o111);
  }
}

/** `npx sarif-multitool validate FILE -o LOG`: the validator's findings of level error, from its own log and stdout. */
async function sarifErrors(file: string, log: string): Promise<string[]> {
  ensureValidatorExecutable();
  // npx from PATH, as a user runs it; --no-install: the dev dependency must be there, never fetched.
  const r = await exec('npx', ['--no-install', 'sarif-multitool', 'validate', file, '-o', log]).catch(
    (err: unknown) => {
      throw new Error('npx is not on PATH: it ships with npm, which `npm ci` needs anyway', { cause: err });
    },
  );
  assert.equal(r.code, 0, `sarif-multitool failed to run:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /1 files scanned/, r.stdout);
  const results = JSON.parse(await readFile(log, 'utf8')).runs[0].results as Array<{
    level?: string;
    ruleId: string;
    message: { text?: string };
  }>;
  const fromLog = results
    .filter((x) => x.level === 'error')
    .map((x) => `${x.ruleId}: ${x.message.text ?? ''}`);
  const fromStdout = r.stdout.split('\n').filter((l) => /: error [A-Z]+\d+:/.test(l));
  return [...fromLog, ...fromStdout];
}

describe('tripline analyze (built CLI, offline)', function () {
  this.timeout(120_000);
  let tmp: string;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'tripline-analyze-'));
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('prints the expected risks for a folder of fixtures, most severe first', async () => {
    const r = await tripline(['-f', `${FIX}/risky`]);
    assert.equal(r.code, 0, r.stderr);
    const expected: [string, string][] = [
      ['workload.privileged', 'DaemonSet kube-system/node-agent'],
      ['workload.hostpath-runtime-socket', 'DaemonSet kube-system/node-agent'],
      ['workload.hostpath-sensitive', 'DaemonSet kube-system/node-agent'],
      ['workload.image-lookalike-registry', 'DaemonSet kube-system/node-agent'],
      ['clusterrole.cluster-admin-equivalent', 'ClusterRole ci-deployer'],
      ['ingress.snippet-annotation', 'Ingress shop/snippet'],
      ['ingress.annotation-injection', 'Ingress shop/snippet'],
      ['ingress.backend-missing', 'Ingress storefront/storefront'],
      ['namespace.pss-enforce-privileged', 'Namespace legacy-tenant'],
      ['workload.capability-dangerous', 'Deployment shop/listed'],
    ];
    for (const [id, object] of expected)
      assert.match(
        r.stdout,
        new RegExp(`^\\S+\\s+${id.replace('.', '\\.')}\\s+${object}\\s`, 'm'),
        `${id} for ${object}`,
      );
    const first = r.stdout.split('\n')[1] ?? '';
    assert.match(first, /^Critical /);
    assert.match(r.stdout, /extensions\/v1beta1 Ingress was removed in Kubernetes 1\.22/);
    assert.match(
      r.stdout,
      /Not analysed \(no risk rules for these kinds\): PodSecurityPolicy \(1\), Service \(1\), Widget \(1\)/,
    );
    assert.doesNotMatch(r.stdout, /do-not-print-me/);
  });

  it('--output sarif passes the official SARIF validator with no errors', async () => {
    const r = await tripline(['-f', `${FIX}/risky`, '-f', `${FIX}/threshold`, '-o', 'sarif']);
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(tmp, 'tripline.sarif');
    await writeFile(file, r.stdout);
    const log = JSON.parse(r.stdout);
    assert.ok(log.runs[0].results.length > 20, 'the log has results to validate');
    assert.deepEqual(await sarifErrors(file, path.join(tmp, 'validation.sarif')), []);
  });

  it('the validator does report errors in a broken log (the check can fail)', async () => {
    const file = path.join(tmp, 'broken.sarif');
    await writeFile(
      file,
      JSON.stringify({
        version: '2.1.0',
        runs: [
          {
            tool: { driver: { name: 'x', rules: [{ id: 'a', helpUri: 'not a uri' }] } },
            results: [{ ruleId: 'a', message: {} }],
          },
        ],
      }),
    );
    assert.ok((await sarifErrors(file, path.join(tmp, 'broken-validation.sarif'))).length > 0);
  });

  it('a SARIF log with input errors and stdin locations is valid too', async () => {
    const stdin = await readFile(path.join(repoRoot(), `${FIX}/malformed/broken.yaml`), 'utf8');
    const r = await tripline(['-f', '-', '-f', `${FIX}/risky/removed-apis.yaml`, '-o', 'sarif'], stdin);
    assert.equal(r.code, 2);
    const file = path.join(tmp, 'errors.sarif');
    await writeFile(file, r.stdout);
    const run = JSON.parse(r.stdout).runs[0];
    assert.equal(run.invocations[0].executionSuccessful, false);
    assert.deepEqual(await sarifErrors(file, path.join(tmp, 'errors-validation.sarif')), []);
  });

  const failOn: { name: string; args: string[]; code: number }[] = [
    { name: 'High and Critical risks', args: ['-f', `${FIX}/risky`], code: 1 },
    { name: 'Medium risks only', args: ['-f', `${FIX}/threshold`], code: 0 },
    { name: 'a clean app', args: ['-f', `${FIX}/clean`], code: 0 },
  ];
  for (const c of failOn)
    it(`--fail-on High exits ${c.code} for ${c.name}`, async () => {
      const r = await tripline([...c.args, '--fail-on', 'High']);
      assert.equal(r.code, c.code, `${r.stdout}\n${r.stderr}`);
      if (c.code === 1) assert.match(r.stderr, /found risks of severity High or higher/);
    });

  it('reads stdin: kubectl kustomize DIR | tripline analyze -f - --fail-on High', async () => {
    const built = await controlPlane().kubectl(['kustomize', path.join(repoRoot(), `${FIX}/kustomize`)]);
    assert.equal(built.code, 0, built.stderr);
    const r = await tripline(['-f', '-', '--fail-on', 'High'], built.stdout);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /High\s+workload\.host-network\s+Deployment kustomized\/metrics\s+stdin:\d+/);
    const clean = await tripline(
      ['-f', '-', '--fail-on', 'High'],
      await readFile(path.join(repoRoot(), `${FIX}/clean/app.yaml`), 'utf8'),
    );
    assert.equal(clean.code, 0, clean.stdout);
    assert.match(clean.stdout, /No risks found in 4 analysed objects/);
  });

  it('names the file and document index of a malformed document and exits 2', async () => {
    const r = await tripline(['-f', `${FIX}/malformed`, '-f', `${FIX}/clean`]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /test\/fixtures\/analyze\/malformed\/broken\.yaml document 2 \(line 7\) is not valid YAML/,
    );
    assert.doesNotMatch(r.stderr, /not-shown/, 'the input is never quoted');
    assert.match(
      r.stdout,
      /No risks found in 5 analysed objects/,
      'the readable documents are still reported',
    );
  });

  it('refuses bad usage with exit code 2', async () => {
    for (const args of [
      [],
      ['-f', `${FIX}/clean`, '--fail-on', 'Severe'],
      ['-f', `${FIX}/clean`, '-o', 'xml'],
    ]) {
      const r = await tripline(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^tripline analyze: /);
    }
  });
});
