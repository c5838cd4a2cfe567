import { spawn } from 'node:child_process';

/** The outcome of one kubectl run; a non-zero `code` is a result, not an exception. */
export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `kubectl --kubeconfig=<kubeconfig> ...args`, feeding `input` (e.g. a manifest for `-f -`) on stdin. */
export function runKubectl(
  bin: string,
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [`--kubeconfig=${kubeconfig}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => reject(new Error(`running ${bin} ${args.join(' ')}`, { cause: e })));
    child.on('close', (code, signal) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n(kubectl killed by ${signal})` : ''),
        code: code ?? 128,
      }),
    );
    // kubectl may exit before reading stdin (bad flags); that EPIPE is reported through its exit code.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
