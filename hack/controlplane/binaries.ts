import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_SCRIPT = 'hack/build-control-plane.sh';

/** Paths of the pinned control-plane binaries (kube-apiserver, kubectl, etcd). */
export interface Binaries {
  binDir: string;
  kubeApiServer: string;
  kubectl: string;
  etcd: string;
}

/** The repository root: the nearest ancestor of this module that holds the build script. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, BUILD_SCRIPT))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no ${BUILD_SCRIPT} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

let cached: Promise<Binaries> | undefined;

/**
 * Runs `hack/build-control-plane.sh` (a no-op once the binaries are cached; otherwise it builds them
 * under a lock, which takes minutes) and returns their paths. The script's stderr progress is passed
 * line by line to `log` so a first build does not look hung. Memoised per process on success.
 */
export function obtainBinaries(log: (msg: string) => void): Promise<Binaries> {
  cached ??= runBuildScript(log).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

function runBuildScript(log: (msg: string) => void): Promise<Binaries> {
  const script = path.join(repoRoot(), BUILD_SCRIPT);
  return new Promise((resolve, reject) => {
    const child = spawn(script, [], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let pending = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      const lines = (pending + c.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) log(line);
    });
    child.on('error', (err) => reject(new Error(`running ${script}`, { cause: err })));
    child.on('close', (code) => {
      if (pending) log(pending);
      const binDir = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !binDir) {
        reject(new Error(`${script} exited with code ${code}; see the [control-plane] lines above`));
        return;
      }
      resolve({
        binDir,
        kubeApiServer: path.join(binDir, 'kube-apiserver'),
        kubectl: path.join(binDir, 'kubectl'),
        etcd: path.join(binDir, 'etcd'),
      });
    });
  });
}
