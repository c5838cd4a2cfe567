/**
 * Scale: a fresh cluster filled with many pre-existing objects (mostly Pods over many namespaces)
 * before the detections exist; then the operator's time to ready, peak RSS and alerts raised (must
 * be 0), against a plain client-node informer holding the same Pods, in the same run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import type { OperatorProcess } from '../../hack/operator-process.js';
import { startOperator } from '../../hack/operator-process.js';
import {
  applyDetections,
  benchClient,
  createNamespaces,
  installCrds,
  stopOperator,
  TIMESTAMP_GAP_MS,
} from './cluster.js';
import { alertTotal } from './counts.js';
import { controlPlanePids, cpuMeter } from './cpu.js';
import { closedLoop } from './load.js';
import { residentMemory } from './memory.js';
import { bulkKind, KINDS } from './objects.js';
import { every, progress } from './progress.js';
import type { ScaleResult } from './results.js';
import { ratio, round } from './stats.js';

/** What the scale scenario runs against: a fresh control plane with nothing in it yet. */
export interface ScaleEnv {
  cp: ControlPlane;
  count: number;
  namespaces: number;
  concurrency: number;
  /** Extra flags for `tripline run`. */
  operatorArgs: string[];
  /** Called with the operator once it runs, so an interrupted run can stop it. */
  track(op: OperatorProcess | undefined): void;
}

/** How long both the operator and the informer stay idle after ready before their RSS is read. */
const IDLE_MS = 5000;

interface Fill {
  pods: number;
  seconds: number;
}

/** Runs the scale scenario and returns its figures. */
export async function runScale(env: ScaleEnv): Promise<ScaleResult> {
  const fill = await fillCluster(env);
  await installCrds(env.cp);
  await sleep(TIMESTAMP_GAP_MS);
  await applyDetections(env.cp);
  const operator = await measureOperator(env);
  const informer = await measureInformer(env.cp, fill.pods);
  return {
    objects: env.count,
    pods: fill.pods,
    namespaces: env.namespaces,
    fillSeconds: round(fill.seconds, 1),
    fillPerSecond: round(env.count / fill.seconds, 1),
    operator,
    informer,
    rssVsInformer: round(ratio(operator.peakRssMB, informer.peakRssMB), 3),
  };
}

async function fillCluster(env: ScaleEnv): Promise<Fill> {
  const client = benchClient(env.cp, env.concurrency, 'scale-fill');
  const names = Array.from({ length: env.namespaces }, (_, i) => `scale-${String(i).padStart(3, '0')}`);
  try {
    await createNamespaces(client, names);
    progress(
      `scale: creating ${env.count} objects over ${env.namespaces} namespaces, ${env.concurrency} in flight`,
    );
    const t0 = performance.now();
    let done = 0;
    let pods = 0;
    const stopReport = every(5000, () => {
      const rate = (done * 1000) / (performance.now() - t0);
      progress(`scale: created ${done}/${env.count} (${rate.toFixed(0)}/s)`);
    });
    await closedLoop(env.count, env.concurrency, async (i) => {
      const kind = bulkKind(i);
      const ns = names[i % names.length] as string;
      await client.request('POST', kind.collection(ns), {
        body: kind.body(`scale-${kind.kind.toLowerCase()}-${i}`),
      });
      done++;
      if (kind === KINDS.Pod) pods++;
    }).finally(stopReport);
    const seconds = (performance.now() - t0) / 1000;
    progress(`scale: created ${env.count} objects in ${seconds.toFixed(1)} s`);
    return { pods, seconds };
  } finally {
    client.close();
  }
}

async function measureOperator(env: ScaleEnv): Promise<ScaleResult['operator']> {
  progress('scale: starting the operator');
  const t0 = performance.now();
  const spawnedAt = Date.now();
  const roles = controlPlanePids(env.cp.dir);
  const op = await startOperator(env.cp.kubeconfigPath, env.operatorArgs);
  env.track(op);
  const cpu = cpuMeter(
    { ...roles, operator: [op.proc.pid as number], bench: [process.pid] },
    { sinceSpawn: ['operator'], sinceMs: spawnedAt },
  );
  try {
    const stopReport = every(5000, () => progress(`scale: operator not ready yet, RSS ${rss(op)} MB`));
    const ready = await pollReady(op).finally(stopReport);
    const readySeconds = (ready - t0) / 1000;
    const cpuToReady = cpu();
    const atReady = residentMemory(op.proc.pid as number);
    progress(`scale: operator ready after ${readySeconds.toFixed(1)} s, peak RSS ${atReady.peakMB} MB`);
    await op.waitIdle(300_000);
    await sleep(IDLE_MS);
    const idle = residentMemory(op.proc.pid as number);
    const client = benchClient(env.cp, 4, 'scale-count');
    const alertsListed = await alertTotal(client).finally(() => client.close());
    return {
      readySeconds: round(readySeconds, 2),
      peakRssMBAtReady: atReady.peakMB,
      peakRssMB: idle.peakMB,
      rssMBAfterIdle: idle.currentMB,
      apiRequests: await op.metric('tripline_api_requests'),
      alertsRaised: await op.metric('tripline_alerts_raised_total'),
      alertsListed,
      cpuToReady,
    };
  } finally {
    await stopOperator(op);
    env.track(undefined);
  }
}

const rss = (op: OperatorProcess): string => {
  try {
    return String(residentMemory(op.proc.pid as number).currentMB);
  } catch {
    // The process just exited; pollReady reports that.
    return '?';
  }
};

/** Polls /readyz every 25 ms; resolves with performance.now() of the first 200. */
async function pollReady(op: OperatorProcess, timeoutMs = 900_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!op.running()) throw new Error(`operator exited before ready:\n${op.logs().slice(-3000)}`);
    const status = await op.probe('/readyz').then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return performance.now();
    if (performance.now() > deadline) throw new Error(`operator not ready after ${timeoutMs} ms`);
    await sleep(25);
  }
}

async function measureInformer(cp: ControlPlane, pods: number): Promise<ScaleResult['informer']> {
  progress(`scale: starting the reference informer (client-node makeInformer on all ${pods} Pods)`);
  const script = path.join(import.meta.dirname, 'informer-ref.js');
  const child = spawn(process.execPath, [script, cp.kubeconfigPath, String(pods), String(IDLE_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  try {
    createInterface({ input: child.stderr }).on('line', (l) => progress(`scale: reference: ${l}`));
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let out: { readyMs: number; cpuSeconds: number; objects: number; peakRssMB: number } | undefined;
    lines.on('line', (l) => {
      out = JSON.parse(l) as typeof out;
    });
    const code = await exited;
    if (code !== 0 || !out) throw new Error(`the reference informer failed (exit ${code})`);
    progress(
      `scale: reference informer ready after ${(out.readyMs / 1000).toFixed(1)} s, peak RSS ${out.peakRssMB} MB`,
    );
    return {
      readySeconds: round(out.readyMs / 1000, 2),
      cpuSecondsToReady: round(out.cpuSeconds, 2),
      peakRssMB: out.peakRssMB,
      objects: out.objects,
    };
  } finally {
    process.removeListener('exit', kill);
    kill();
  }
}
