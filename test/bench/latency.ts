/**
 * Latency: mixed kinds created at a fixed rate (open loop), each timed from "create acknowledged" to
 * its own watch event (the old floor) and to its result's watch event (the latency): its AuditAlert
 * when the subject is Tripline, its record when it is the reference copier — all seen by the same
 * watcher in this process.
 */
import { performance } from 'node:perf_hooks';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import { benchClient } from './cluster.js';
import type { Expectation } from './counts.js';
import { cpuMeter } from './cpu.js';
import { openLoop, until } from './load.js';
import { LATENCY_MIX, watchPaths } from './objects.js';
import { every, progress } from './progress.js';
import type { LatencyResult } from './results.js';
import { ratio, round, roundSummary, summarize } from './stats.js';
import {
  countResults,
  resultSeen,
  resultWord,
  type Subject,
  subjectRoles,
  subjectWatcher,
  waitIdle,
} from './subject.js';
import type { BenchWatcher } from './watcher.js';

/** What the latency scenario runs against. */
export interface LatencyEnv {
  cp: ControlPlane;
  /** Tripline or the reference copier. */
  subject: Subject;
  /** Prefix of the names of the objects created (each run of the scenario on a control plane its own). */
  prefix: string;
  /** Existing namespaces (older than the detections) for the namespaced objects. */
  namespaces: string[];
  count: number;
  warmup: number;
  rate: number;
}

interface Sent {
  uid?: string;
  detection: string;
  /** performance.now() when the create was handed to the client, and when its answer was read. */
  sentAt?: number;
  ackAt?: number;
  error?: string;
}

/** How long alerts may trail the last create before the missing ones are counted as missed. */
const ALERT_WAIT_MS = 60_000;

/** Runs the latency scenario and returns its figures. */
export async function runLatency(env: LatencyEnv): Promise<LatencyResult> {
  const paths = watchPaths(LATENCY_MIX);
  const watchClient = benchClient(env.cp, paths.length + 2, 'latency-watch');
  const client = benchClient(env.cp, 32, 'latency-create');
  const watcher = subjectWatcher(watchClient, paths, env.subject);
  const seen = (s: Sent & { uid: string }) => resultSeen(watcher, env.subject, s.detection, s.uid);
  try {
    await watcher.start();
    const total = env.warmup + env.count;
    progress(
      `latency (${env.subject.name}): ${total} creates (${env.warmup} warm-up) at ${env.rate}/s over ${paths.length} kinds`,
    );
    const sent: Sent[] = [];
    const cpu = cpuMeter(subjectRoles(env.cp, env.subject));
    const report = () => `latency (${env.subject.name}): ${describe(sent, seen, env.subject)}`;
    const stopReport = every(2000, () => progress(report()));
    const schedule = await openLoop(total, env.rate, (i) => createOne(client, env, i, sent)).finally(
      stopReport,
    );
    const measured = sent.slice(env.warmup);
    await waitForResults(sent, seen, report);
    await waitIdle(env.subject, 120_000);
    const usage = cpu();
    const counts = await countResults(client, env.subject, expectations(sent));
    progress(
      `latency (${env.subject.name}): counts ${JSON.stringify(counts)}, CPU seconds ${JSON.stringify(usage.seconds)}`,
    );
    return { ...summarizeLatency(env, measured, watcher, seen, schedule, counts), cpu: usage };
  } finally {
    await watcher.stop();
    client.close();
    watchClient.close();
  }
}

async function createOne(
  client: ReturnType<typeof benchClient>,
  env: LatencyEnv,
  i: number,
  sent: Sent[],
): Promise<void> {
  const kind = LATENCY_MIX[i % LATENCY_MIX.length] as (typeof LATENCY_MIX)[number];
  const entry: Sent = { detection: kind.detection, sentAt: performance.now() };
  sent[i] = entry;
  const ns = env.namespaces[i % env.namespaces.length] as string;
  try {
    const obj = await client.request<KubeObject>('POST', kind.collection(ns), {
      body: kind.body(`${env.prefix}-${kind.kind.toLowerCase()}-${i}`),
    });
    entry.ackAt = performance.now();
    entry.uid = obj.metadata.uid;
  } catch (err: unknown) {
    entry.error = err instanceof Error ? err.message : String(err);
  }
}

/** When the result about an acknowledged create was seen; undefined: not yet. */
type Seen = (s: Sent & { uid: string }) => number | undefined;

const acknowledged = (sent: Sent[]): (Sent & { uid: string })[] =>
  sent.filter((s): s is Sent & { uid: string } => s?.uid !== undefined);

function describe(sent: Sent[], seen: Seen, subject: Subject): string {
  const acked = acknowledged(sent);
  const n = acked.filter((s) => seen(s) !== undefined).length;
  return `sent ${sent.length}, acknowledged ${acked.length}, ${resultWord(subject)} seen ${n}`;
}

async function waitForResults(sent: Sent[], seen: Seen, report: () => string): Promise<void> {
  const acked = acknowledged(sent);
  const stopReport = every(5000, () => progress(`waiting: ${report()}`));
  try {
    const ok = await until(() => acked.every((s) => seen(s) !== undefined), ALERT_WAIT_MS);
    if (!ok) progress(`gave up waiting after ${ALERT_WAIT_MS / 1000} s: ${report()}`);
  } finally {
    stopReport();
  }
}

const expectations = (sent: Sent[]): Expectation[] =>
  sent.flatMap((s) => (s.uid ? [{ uid: s.uid, detection: s.detection }] : []));

interface Samples {
  floor: number[];
  latency: number[];
  missingObject: number;
  missingAlert: number;
}

/** Floor and latency samples measured from `origin` of each create (its ack, or when it was sent). */
function collect(measured: Sent[], watcher: BenchWatcher, seen: Seen, origin: 'ackAt' | 'sentAt'): Samples {
  const out: Samples = { floor: [], latency: [], missingObject: 0, missingAlert: 0 };
  for (const s of measured) {
    const t = s[origin];
    if (!s.uid || t === undefined) continue;
    const obj = watcher.objectSeen.get(s.uid);
    const alert = seen(s as Sent & { uid: string });
    if (obj === undefined) out.missingObject++;
    else out.floor.push(obj - t);
    if (alert === undefined) out.missingAlert++;
    else out.latency.push(alert - t);
  }
  return out;
}

function summarizeLatency(
  env: LatencyEnv,
  measured: Sent[],
  watcher: BenchWatcher,
  seen: Seen,
  schedule: Awaited<ReturnType<typeof openLoop>>,
  counts: LatencyResult['counts'],
): Omit<LatencyResult, 'cpu'> {
  const fromAck = collect(measured, watcher, seen, 'ackAt');
  const fromSend = collect(measured, watcher, seen, 'sentAt');
  const f = summarize(fromAck.floor);
  const l = summarize(fromAck.latency);
  const fs = summarize(fromSend.floor);
  const ls = summarize(fromSend.latency);
  return {
    measured: measured.length,
    warmup: env.warmup,
    ratePerSecond: env.rate,
    achievedRatePerSecond: round(schedule.achievedRate, 1),
    scheduleLagMs: roundSummary(summarize(schedule.lagsMs)),
    createErrors: measured.filter((s) => s.error).length,
    floorMs: roundSummary(f),
    latencyMs: roundSummary(l),
    p50Ratio: round(ratio(l.p50, f.p50)),
    p99Ratio: round(ratio(l.p99, f.p99)),
    fromSend: {
      floorMs: roundSummary(fs),
      latencyMs: roundSummary(ls),
      p99Ratio: round(ratio(ls.p99, fs.p99)),
    },
    missingObjectEvents: fromAck.missingObject,
    missingAlertEvents: fromAck.missingAlert,
    counts,
    watchProblems: watcher.problems,
    samples: { floorMs: sortedRounded(fromAck.floor), latencyMs: sortedRounded(fromAck.latency) },
    series: timeSeries(measured, watcher, seen),
  };
}

/** Per object, in send order: [sent, ms after the first send; floor; latency] (from the ack; null when unseen). */
function timeSeries(
  measured: Sent[],
  watcher: BenchWatcher,
  seen: Seen,
): Array<[number, number | null, number | null]> {
  const t0 = measured[0]?.sentAt ?? 0;
  return measured.map((s) => {
    const obj = s.uid ? watcher.objectSeen.get(s.uid) : undefined;
    const alert = s.uid ? seen(s as Sent & { uid: string }) : undefined;
    const from = (t: number | undefined) =>
      t === undefined || s.ackAt === undefined ? null : round(t - s.ackAt, 1);
    return [round((s.sentAt ?? 0) - t0, 1), from(obj), from(alert)];
  });
}

const sortedRounded = (v: number[]): number[] => v.map((x) => round(x, 2)).sort((a, b) => a - b);
