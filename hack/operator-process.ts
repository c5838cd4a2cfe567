import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { OPERATOR_NODE_FLAGS } from '../src/runtime/node-flags.js';
import { repoRoot } from './controlplane/binaries.js';

/** A `tripline run` child process, the way a user runs it with `--kubeconfig`. */
export interface OperatorProcess {
  readonly proc: ChildProcess;
  /** Port of /metrics, /healthz, /readyz. */
  readonly port: number;
  /** Everything the operator logged so far (JSON lines). */
  logs(): string;
  /** Log records (parsed JSON lines) whose message equals `msg`. */
  records(msg: string): Record<string, unknown>[];
  /** Fetches a probe path; resolves with status and body. */
  probe(p: string): Promise<{ status: number; body: string }>;
  /** A metric's value summed over all label sets (0 when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Resolves once /readyz answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Resolves once the alert queue is empty and stays empty for a moment. */
  waitIdle(timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for exit (SIGKILL after a grace period). */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** True while the process runs. */
  running(): boolean;
}

/** How long {@link OperatorProcess.stop} waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 30_000;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Starts the built operator (dist/) against a kubeconfig; resolves when it reports its probe port. */
export async function startOperator(kubeconfig: string, extraArgs: string[] = []): Promise<OperatorProcess> {
  const cli = path.join(repoRoot(), 'dist/src/cli/tripline.js');
  const args = [
    cli,
    'run',
    '--kubeconfig',
    kubeconfig,
    '--metrics-bind-address',
    '127.0.0.1:0',
    '--log-format',
    'json',
  ];
  // The V8 flags of the image, so tests and benchmarks run the operator the way it runs in a cluster.
  const proc = spawn(process.execPath, [...OPERATOR_NODE_FLAGS, ...args, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  // Chunks, joined on demand: appending to one string and searching it on every chunk flattened a
  // string of megabytes per log line in a burst, and that CPU was taken from the measured processes.
  const chunks: string[] = [];
  const logs = (): string => {
    const all = chunks.join('');
    chunks.length = 0;
    chunks.push(all);
    return all;
  };
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code) => {
      live.delete(proc);
      resolve(code);
    });
  });
  let port: number | undefined;
  const portFound = new Promise<number>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      chunks.push(b.toString());
      if (port !== undefined) return;
      const m = /"probePort":(\d+)/.exec(logs());
      if (!m) return;
      port = Number(m[1]);
      resolve(port);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`operator exited (${code}) before starting:\n${logs()}`)));
  });
  return makeHandle(proc, await portFound, logs, exited);
}

function makeHandle(
  proc: ChildProcess,
  port: number,
  logs: () => string,
  exited: Promise<number | null>,
): OperatorProcess {
  const probe = (p: string) => get(port, p);
  const h: OperatorProcess = {
    proc,
    port,
    logs,
    records: (msg) =>
      logs()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((r) => r.message === msg),
    probe,
    metric: async (name, labels) => sumMetric((await probe('/metrics')).body, name, labels),
    waitReady: (timeoutMs = 60_000) =>
      waitFor(
        async () => h.running() && (await probe('/readyz')).status === 200,
        timeoutMs,
        'operator ready',
      ),
    waitIdle: async (timeoutMs = 60_000) => {
      for (let stable = 0; stable < 3; ) {
        await waitFor(
          async () => (await h.metric('tripline_queue_depth')) === 0,
          timeoutMs,
          'alert queue empty',
        );
        stable++;
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: async () => {
      proc.kill('SIGTERM');
      // A process whose event loop is stuck never handles SIGTERM: after a grace period it is
      // killed, so no test's `after` hook hangs on it (the hostile tests make such processes).
      const grace = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(grace);
      }
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
    running: () => proc.exitCode === null && proc.signalCode === null,
  };
  return h;
}

/** Sums a Prometheus metric over the label sets that contain `labels`. */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Polls `cond` every 100 ms until it holds; fails with `what` after `timeoutMs`. Not a timing assertion. */
export async function waitFor(
  cond: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch (err: unknown) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`, { cause: lastErr });
}
