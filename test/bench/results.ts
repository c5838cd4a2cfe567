/**
 * The shape of `bench-results/*.json`: every figure printed in the table, with the reference it was
 * measured against in the same run and the DESIGN §9 target. Times in ms or s as the names say.
 */

import type { ContainerSettings } from '../../hack/container.js';
import type { AnalyzeResult } from './analyze.js';
import type { AlertCounts } from './counts.js';
import type { CpuUsage } from './cpu.js';
import type { RunContext } from './machine.js';
import type { BenchOptions } from './options.js';
import type { Summary } from './stats.js';
import type { TrafficResult } from './traffic.js';

/** DESIGN §9 targets (issue 19); targets.ts evaluates a run against them. */
export const TARGETS = {
  /** API-server CPU per alert at most this multiple of creating the realistic object it is about. */
  alertCpuVsRealistic: 1.5,
  /** Alert latency p99 at 100 creates/s at most this multiple of the reference copier's p99. */
  latencyP99VsCopier: 1.5,
  /** Every alert of a burst of 10,000 exists within this multiple of the copier's drain time. */
  burstVsCopier: 1.25,
  /** Missed and duplicate alerts, in every scenario. */
  missedAlerts: 0,
  duplicateAlerts: 0,
  /** Peak RSS of the operator with 100,000 pre-existing objects. */
  scaleRssMB: 120,
  /** Its time to ready at most this multiple of a client-node informer's on the same objects. */
  scaleReadyVsInformer: 1.0,
  /** Peak RSS of the operator in the burst, run with the shipped container's Node flags. */
  burstRssMB: 160,
  /** Bytes etcd stores for a typical alert (4 KB). */
  storedBytesPerAlert: 4096,
} as const;

/** The same scenario's figures with the reference copier as the subject (copier.ts). */
export type CopierLatency = Omit<LatencyResult, 'series' | 'copier' | 'vsCopier'>;
/** The burst with the reference copier as the subject; `operator` holds the copier's own counters. */
export type CopierBurst = Omit<BurstResult, 'copier' | 'vsCopier'>;

/** Latency at a fixed rate of creates: alert latency against the object's own watch event. */
export interface LatencyResult {
  measured: number;
  warmup: number;
  ratePerSecond: number;
  achievedRatePerSecond: number;
  /** How late the open loop fired its creates against the schedule (load-generator health). */
  scheduleLagMs: Summary;
  createErrors: number;
  /** create acknowledged → the object's own ADDED event seen by the benchmark's watcher. */
  floorMs: Summary;
  /** create acknowledged → the object's AuditAlert ADDED event seen by the same watcher. */
  latencyMs: Summary;
  p50Ratio: number;
  p99Ratio: number;
  /**
   * The same two figures measured from when each create was sent instead of acknowledged. The ack
   * and the object's own watch event leave the API server at about the same moment, so the floor
   * above is close to zero; from the send, the floor includes one write, as the alert path does.
   */
  fromSend: { floorMs: Summary; latencyMs: Summary; p99Ratio: number };
  /** Measured objects whose own event or alert event never arrived (left out of the figures). */
  missingObjectEvents: number;
  missingAlertEvents: number;
  counts: AlertCounts;
  /** CPU seconds of each process from the first create until the operator went idle. */
  cpu: CpuUsage;
  watchProblems: string[];
  /** Ascending samples, for the chart and for later analysis. */
  samples: { floorMs: number[]; latencyMs: number[] };
  /** Per measured object in send order: [sent (ms after the first), floor ms, latency ms]; null when unseen. */
  series: Array<[number, number | null, number | null]>;
  /** The same load with the reference copier instead of Tripline, earlier on the same control plane. */
  copier?: CopierLatency;
  /** Tripline's percentiles (create ack → result seen) over the copier's. */
  vsCopier?: { p50: number; p95: number; p99: number };
}

/** Many creates as fast as the API server takes them, and how long the alerts lag behind. */
export interface BurstResult {
  objects: number;
  namespaces: number;
  concurrency: number;
  createErrors: number;
  /** First create sent → last create acknowledged. */
  createSeconds: number;
  /** First create sent → the last expected alert seen by the watcher (NaN if some never came). */
  alertSeconds: number;
  ratio: number;
  createsPerSecond: number;
  alertsPerSecond: number;
  alertsSeen: number;
  /**
   * The operator's own counters over the burst (from its /metrics), and its peak RSS since it
   * started (VmHWM: the latency scenario and the burst, whose backlog it holds while it lags).
   */
  operator: { connectionsOpened: number; requests: number; alertsRaised: number; peakRssMB: number };
  counts: AlertCounts;
  /** CPU seconds of each process from the first create until the operator went idle. */
  cpu: CpuUsage;
  watchProblems: string[];
  /** The same burst with the reference copier instead of Tripline, earlier on the same control plane. */
  copier?: CopierBurst;
  /** Tripline's drain time (first create → last result seen) over the copier's. */
  vsCopier?: number;
}

/** One kind of object created many times, and what each create cost the control plane. */
export interface CostVariant {
  /** Stable id: `deployment`, `pod-controlled`, `pod`, `configmap`, `alert`, `no-<part>`, `crd-<copy>`, `required`. */
  id: string;
  name: string;
  /** Size of the JSON body sent. */
  bytes: number;
  /** Size of the value etcd stores for the variant's first object (protobuf for built-in kinds, JSON for custom resources). */
  storedBytes: number;
  /** CPU milliseconds of kube-apiserver and of etcd per create: the median of the rounds. */
  apiserverMs: number;
  etcdMs: number;
  /** kube-apiserver CPU milliseconds per create, the mean of the rounds (garbage collections included). */
  apiserverMeanMs?: number;
  /** Of kube-apiserver's CPU, its garbage collector's per create (Go runtime estimate; mean of the rounds). */
  apiserverGcMs?: number;
  /** Heap bytes kube-apiserver allocates per create, in KB (median of the rounds): what drives its collections. */
  allocKB?: number;
  /** Wall milliseconds per create with the scenario's requests in flight. */
  wallMs: number;
}

/**
 * API-server CPU per create: the realistic objects an alert is about, the alert as raised, and the
 * alert with each part or schema feature removed in turn (the ablation).
 */
export interface CostResult {
  /** Measured creates per variant, over all rounds. */
  count: number;
  /** Rounds over all variants (each creates count / rounds of every variant in turn). */
  rounds: number;
  inFlight: number;
  variants: CostVariant[];
  /** API-server CPU of an AuditAlert as raised over that of a minimal Pod. */
  alertVsPod: number;
  /** API-server CPU of an AuditAlert as raised over that of the realistic object it is about. */
  alertVsRealistic: number;
  /** The id of the realistic variant `alertVsRealistic` divides by. */
  realistic: string;
  /** The alert the operator raised, as stored: its size and the JSON bytes of each part of its spec. */
  sample: {
    detection: string;
    subjectKind: string;
    requestBytes: number;
    storedBytes: number;
    /** JSON bytes of its managedFields (the create's own entry; it cannot be left out). */
    managedFieldsBytes: number;
    parts: Record<string, number>;
    /** The alert itself, as stored. */
    alert: unknown;
  };
  /** kube-apiserver live Go heap (after a forced collection) before and after `alerts` AuditAlerts as raised were created and kept. */
  apiserverMemory: { alerts: number; heapBeforeMb: number; heapAfterMb: number };
}

/** What etcd stores for alerts. */
export interface StoredResult {
  /** Bytes etcd stores for the typical alert of the cost scenario (the DESIGN §9 target). */
  bytesPerAlert: number;
}

/** A cluster full of pre-existing objects: start-up time and memory against a plain informer. */
export interface ScaleResult {
  objects: number;
  pods: number;
  namespaces: number;
  fillSeconds: number;
  fillPerSecond: number;
  operator: {
    /** Spawn → /readyz 200. */
    readySeconds: number;
    peakRssMBAtReady: number;
    /** VmHWM after it stayed idle for a while: the figure held against the target. */
    peakRssMB: number;
    rssMBAfterIdle: number;
    apiRequests: number;
    /** tripline_alerts_raised_total and the AuditAlerts actually listed; both must be 0. */
    alertsRaised: number;
    alertsListed: number;
    /** CPU seconds of each process from spawn to ready. */
    cpuToReady: CpuUsage;
  };
  /** A plain @kubernetes/client-node informer on all Pods, with the same kubeconfig. */
  informer: { readySeconds: number; cpuSecondsToReady: number; peakRssMB: number; objects: number };
  rssVsInformer: number;
}

/** Everything one run produced. */
export interface BenchResults extends RunContext {
  options: BenchOptions;
  durationSeconds: number;
  latency?: LatencyResult;
  burst?: BurstResult;
  cost?: CostResult;
  stored?: StoredResult;
  scale?: ScaleResult;
  traffic?: TrafficResult;
  analyze?: AnalyzeResult;
  targets: typeof TARGETS;
  /** The shipped container's Node settings the operator ran with. */
  container?: ContainerSettings;
  /** Set when the run failed; the figures measured before the failure are kept. */
  error?: string;
}
