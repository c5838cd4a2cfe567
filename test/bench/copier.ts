/**
 * The reference copier (DESIGN §9, "Floor"), the benchmark's side: its record format and a handle on
 * the process (`copier-process.ts`). Latency and burst run once against the copier (the operator
 * not running) and once against Tripline (the copier not running) on the same control plane with
 * the same load, and report Tripline's figures over the copier's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import { progress } from './progress.js';
import type { BurstResult, LatencyResult } from './results.js';
import { ratio, round } from './stats.js';

/** The namespace the copier writes its records to (its own: nothing else lives there). */
export const COPIER_NAMESPACE = 'bench-copier';

/** Where the copier's records are listed and watched. */
export const RECORDS_PATH = `/api/v1/namespaces/${COPIER_NAMESPACE}/configmaps`;

/** The record of an object: one name per uid, so a second create of it is a conflict, not a duplicate. */
export const recordName = (uid: string): string => `copy-${uid}`;

/** The ConfigMap the copier creates for `obj`: a reference to it and nothing else. */
export function recordBody(obj: KubeObject): object {
  const m = obj.metadata;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: recordName(m.uid as string) },
    data: {
      kind: obj.kind ?? '',
      namespace: m.namespace ?? '',
      name: m.name ?? '',
      uid: m.uid ?? '',
    },
  };
}

/** What the copier counted, printed when it stops. */
export interface CopierCounters {
  /** ADDED events received. */
  events: number;
  created: number;
  /** Creates answered 409 (the record existed: an event seen twice). */
  conflicts: number;
  errors: number;
  /** Its pool's counters. */
  connectionsOpened: number;
  requests: number;
}

/** A running copier. */
export interface CopierProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  running(): boolean;
  /** SIGTERM; resolves with its counters once it exited. */
  stop(): Promise<CopierCounters>;
}

/** Starts the copier on `watchPaths` (cluster-wide collections); resolves once every watch is open. */
export async function startCopier(cp: ControlPlane, watchPaths: string[]): Promise<CopierProcess> {
  const script = path.join(import.meta.dirname, 'copier-process.js');
  const proc = spawn(process.execPath, [script, cp.kubeconfigPath, COPIER_NAMESPACE, ...watchPaths], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (): void => void proc.kill('SIGKILL');
  process.once('exit', kill);
  // 'close', not 'exit': the counters line must have been read from stdout.
  const exited = new Promise<void>((resolve) =>
    proc.on('close', () => {
      process.removeListener('exit', kill);
      resolve();
    }),
  );
  createInterface({ input: proc.stderr }).on('line', (l) => progress(`copier: ${l}`));
  const lines: unknown[] = [];
  let onLine: (() => void) | undefined;
  createInterface({ input: proc.stdout }).on('line', (l) => {
    lines.push(JSON.parse(l));
    onLine?.();
  });
  await new Promise<void>((resolve, reject) => {
    onLine = () => resolve();
    void exited.then(() => reject(new Error('the copier exited before its watches were open')));
  });
  onLine = undefined;
  const running = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    pid: proc.pid as number,
    running,
    stop: async () => {
      if (running()) proc.kill('SIGTERM');
      const grace = setTimeout(kill, 10_000);
      await exited.finally(() => clearTimeout(grace));
      const last = lines.at(-1) as Partial<CopierCounters> & { ready?: boolean };
      if (last.ready) throw new Error('the copier exited without its counters');
      return last as CopierCounters;
    },
  };
}

/** Tripline's latency result with the copier's beside it, and Tripline's percentiles over the copier's. */
export function latencyBesideCopier(tripline: LatencyResult, copier: LatencyResult): LatencyResult {
  const { series: _series, copier: _c, vsCopier: _v, ...c } = copier;
  const vs = (p: 'p50' | 'p95' | 'p99'): number => round(ratio(tripline.latencyMs[p], c.latencyMs[p]));
  return { ...tripline, copier: c, vsCopier: { p50: vs('p50'), p95: vs('p95'), p99: vs('p99') } };
}

/**
 * Tripline's burst with the copier's beside it, and Tripline's drain time over the copier's. The
 * copier's `operator` counters are its own, printed when it stopped (it has no /metrics).
 */
export function burstBesideCopier(
  tripline: BurstResult,
  copier: BurstResult,
  counters: CopierCounters,
): BurstResult {
  const { copier: _c, vsCopier: _v, ...c } = copier;
  const operator = {
    connectionsOpened: counters.connectionsOpened,
    requests: counters.requests,
    alertsRaised: counters.created,
    peakRssMB: c.operator.peakRssMB,
  };
  return {
    ...tripline,
    copier: { ...c, operator },
    vsCopier: round(ratio(tripline.alertSeconds, c.alertSeconds), 3),
  };
}
