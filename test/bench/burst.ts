/**
 * Burst: many objects (mostly Pods over many namespaces) created as fast as the API server accepts
 * them over one pool, and the time until every result exists: every AuditAlert when the subject is
 * Tripline, every record when it is the reference copier (the drain time Tripline is held against).
 */
import { performance } from 'node:perf_hooks';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import { benchClient } from './cluster.js';
import type { Expectation } from './counts.js';
import { cpuMeter } from './cpu.js';
import { closedLoop, until } from './load.js';
import { residentMemory } from './memory.js';
import { bulkKind } from './objects.js';
import { every, progress } from './progress.js';
import type { BurstResult } from './results.js';
import { ratio, round } from './stats.js';
import {
  countResults,
  resultSeen,
  resultWord,
  type Subject,
  subjectPid,
  subjectRoles,
  subjectWatcher,
  waitIdle,
} from './subject.js';

/** What the burst scenario runs against. */
export interface BurstEnv {
  cp: ControlPlane;
  /** Tripline or the reference copier. */
  subject: Subject;
  /** Prefix of the names of the objects created (each run of the scenario on a control plane its own). */
  prefix: string;
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
  const watcher = subjectWatcher(watchClient, [], env.subject);
  const seen = (e: Expectation) => resultSeen(watcher, env.subject, e.detection, e.uid);
  const label = `burst (${env.subject.name})`;
  try {
    await watcher.start();
    const before = await subjectCounters(env.subject);
    progress(
      `${label}: ${env.count} objects over ${env.namespaces.length} namespaces, ${env.concurrency} in flight`,
    );
    const expected: Expectation[] = [];
    let errors = 0;
    const report = (total: number) =>
      `${label}: acknowledged ${expected.length}/${total}, ${resultWord(env.subject)} seen ${
        expected.filter((e) => seen(e) !== undefined).length
      }`;
    const stopReport = every(2000, () => progress(report(env.count)));
    const cpu = cpuMeter(subjectRoles(env.cp, env.subject));
    const t0 = performance.now();
    let lastAck = t0;
    await closedLoop(env.count, env.concurrency, async (i) => {
      const kind = bulkKind(i);
      const ns = env.namespaces[i % env.namespaces.length] as string;
      try {
        const obj = await client.request<KubeObject>('POST', kind.collection(ns), {
          body: kind.body(`${env.prefix}-${kind.kind.toLowerCase()}-${i}`),
        });
        lastAck = performance.now();
        expected.push({ uid: obj.metadata.uid as string, detection: kind.detection });
      } catch (err: unknown) {
        if (errors++ === 0) progress(`${label}: first create error: ${(err as Error).message}`);
      }
    }).finally(stopReport);
    progress(
      `${label}: created ${expected.length} in ${((lastAck - t0) / 1000).toFixed(1)} s; waiting for ${resultWord(env.subject)}`,
    );
    const lastAlert = await waitForResults(expected, seen, () => report(expected.length));
    await waitIdle(env.subject, 300_000);
    const usage = cpu();
    const after = await subjectCounters(env.subject);
    const counts = await countResults(client, env.subject, expected);
    progress(`${label}: counts ${JSON.stringify(counts)}, CPU seconds ${JSON.stringify(usage.seconds)}`);
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
      alertsSeen: expected.filter((e) => seen(e) !== undefined).length,
      operator: {
        connectionsOpened: after.connectionsOpened - before.connectionsOpened,
        requests: after.requests - before.requests,
        alertsRaised: after.alertsRaised - before.alertsRaised,
        peakRssMB: residentMemory(subjectPid(env.subject)).peakMB,
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

/**
 * The operator's counters from its /metrics. The copier has no metrics endpoint: its counters are
 * printed when it stops, so here they read 0 and run.ts fills them in (copierBurst).
 */
async function subjectCounters(s: Subject): Promise<OperatorCounters> {
  if (s.name === 'copier') return { connectionsOpened: 0, requests: 0, alertsRaised: 0 };
  return {
    connectionsOpened: await s.op.metric('tripline_api_connections_opened'),
    requests: await s.op.metric('tripline_api_requests'),
    alertsRaised: await s.op.metric('tripline_alerts_raised_total'),
  };
}

/** Waits until every expected result was seen; returns when the last one arrived (undefined: some never did). */
async function waitForResults(
  expected: Expectation[],
  seen: (e: Expectation) => number | undefined,
  report: () => string,
): Promise<number | undefined> {
  const stopReport = every(5000, () => progress(`waiting: ${report()}`));
  try {
    const all = () => expected.every((e) => seen(e) !== undefined);
    if (!(await until(all, ALERT_WAIT_MS, 100))) {
      progress(`gave up waiting after ${ALERT_WAIT_MS / 1000} s: ${report()}`);
      return undefined;
    }
    return expected.reduce((last, e) => Math.max(last, seen(e) as number), 0);
  } finally {
    stopReport();
  }
}
