/**
 * Burst: many objects (mostly Pods over many namespaces) created as fast as the API server accepts
 * them over one pool; the creation time is the reference for the time until every alert exists.
 */
import { performance } from 'node:perf_hooks';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import type { OperatorProcess } from '../../hack/operator-process.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import { benchClient } from './cluster.js';
import { alertTally, countAlerts, type Expectation } from './counts.js';
import { cpuMeter } from './cpu.js';
import { processRoles } from './latency.js';
import { closedLoop, until } from './load.js';
import { residentMemory } from './memory.js';
import { bulkKind } from './objects.js';
import { every, progress } from './progress.js';
import type { BurstResult } from './results.js';
import { ratio, round } from './stats.js';
import { BenchWatcher } from './watcher.js';

/** What the burst scenario runs against. */
export interface BurstEnv {
  cp: ControlPlane;
  op: OperatorProcess;
  /** Existing namespaces (older than the detections) the objects are spread over. */
  namespaces: string[];
  count: number;
  concurrency: number;
}

/** How long the alerts may trail the last create before the missing ones count as missed. */
const ALERT_WAIT_MS = 300_000;

interface OperatorCounters {
  connectionsOpened: number;
  requests: number;
  alertsRaised: number;
}

/** Runs the burst scenario and returns its figures. */
export async function runBurst(env: BurstEnv): Promise<BurstResult> {
  const watchClient = benchClient(env.cp, 4, 'burst-watch');
  const client = benchClient(env.cp, env.concurrency, 'burst-create');
  const watcher = new BenchWatcher(watchClient, [], true);
  try {
    await watcher.start();
    const before = await operatorCounters(env.op);
    progress(
      `burst: ${env.count} objects over ${env.namespaces.length} namespaces, ${env.concurrency} in flight`,
    );
    const expected: Expectation[] = [];
    let errors = 0;
    const stopReport = every(2000, () => progress(`burst: ${describe(expected, env.count, watcher)}`));
    const cpu = cpuMeter(processRoles(env));
    const t0 = performance.now();
    let lastAck = t0;
    await closedLoop(env.count, env.concurrency, async (i) => {
      const kind = bulkKind(i);
      const ns = env.namespaces[i % env.namespaces.length] as string;
      try {
        const obj = await client.request<KubeObject>('POST', kind.collection(ns), {
          body: kind.body(`burst-${kind.kind.toLowerCase()}-${i}`),
        });
        lastAck = performance.now();
        expected.push({ uid: obj.metadata.uid as string, detection: kind.detection });
      } catch (err: unknown) {
        if (errors++ === 0) progress(`burst: first create error: ${(err as Error).message}`);
      }
    }).finally(stopReport);
    progress(
      `burst: created ${expected.length} in ${((lastAck - t0) / 1000).toFixed(1)} s; waiting for alerts`,
    );
    const lastAlert = await waitForAlerts(expected, watcher);
    await env.op.waitIdle(300_000);
    const usage = cpu();
    const after = await operatorCounters(env.op);
    const counts = countAlerts(await alertTally(client), expected);
    progress(`burst: counts ${JSON.stringify(counts)}, CPU seconds ${JSON.stringify(usage.seconds)}`);
    const createMs = lastAck - t0;
    const alertMs = lastAlert === undefined ? Number.NaN : lastAlert - t0;
    return {
      objects: env.count,
      namespaces: env.namespaces.length,
      concurrency: env.concurrency,
      createErrors: errors,
      createSeconds: round(createMs / 1000, 3),
      alertSeconds: round(alertMs / 1000, 3),
      ratio: round(ratio(alertMs, createMs), 3),
      createsPerSecond: round((expected.length * 1000) / createMs, 1),
      alertsPerSecond: round((expected.length * 1000) / alertMs, 1),
      alertsSeen: expected.filter((e) => watcher.alertSeen(e.detection, e.uid) !== undefined).length,
      operator: {
        connectionsOpened: after.connectionsOpened - before.connectionsOpened,
        requests: after.requests - before.requests,
        alertsRaised: after.alertsRaised - before.alertsRaised,
        peakRssMB: residentMemory(env.op.proc.pid as number).peakMB,
      },
      counts,
      cpu: usage,
      watchProblems: watcher.problems,
    };
  } finally {
    await watcher.stop();
    client.close();
    watchClient.close();
  }
}

async function operatorCounters(op: OperatorProcess): Promise<OperatorCounters> {
  return {
    connectionsOpened: await op.metric('tripline_api_connections_opened'),
    requests: await op.metric('tripline_api_requests'),
    alertsRaised: await op.metric('tripline_alerts_raised_total'),
  };
}

function describe(expected: Expectation[], total: number, watcher: BenchWatcher): string {
  const seen = expected.filter((e) => watcher.alertSeen(e.detection, e.uid) !== undefined).length;
  return `acknowledged ${expected.length}/${total}, alerts seen ${seen}`;
}

/** Waits until every expected alert was seen; returns when the last one arrived (undefined: some never did). */
async function waitForAlerts(expected: Expectation[], watcher: BenchWatcher): Promise<number | undefined> {
  const stopReport = every(5000, () =>
    progress(`burst: waiting, ${describe(expected, expected.length, watcher)}`),
  );
  try {
    const all = () => expected.every((e) => watcher.alertSeen(e.detection, e.uid) !== undefined);
    if (!(await until(all, ALERT_WAIT_MS, 100))) {
      progress(`burst: gave up waiting after ${ALERT_WAIT_MS / 1000} s`);
      return undefined;
    }
    return expected.reduce((last, e) => Math.max(last, watcher.alertSeen(e.detection, e.uid) as number), 0);
  } finally {
    stopReport();
  }
}
