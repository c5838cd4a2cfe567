/**
 * The DESIGN §9 targets, each evaluated against a run: measured, met, NOT MET, or not measured (the
 * run did not measure it, or measured it before the figure existed). Pure, so the README and
 * docs/performance.md are generated from recorded JSON by the same code that prints the report.
 */
import type { BenchResults } from './results.js';
import { TARGETS } from './results.js';
import { ratio } from './stats.js';

/** The outcome of one target. */
export type TargetStatus = 'met' | 'NOT MET' | 'not measured';

/** One target of a run. */
export interface TargetCheck {
  /** What is measured. */
  name: string;
  /** The figure, with what it was measured against; empty when not measured. */
  measured: string;
  target: string;
  status: TargetStatus;
}

/** The parts of a run the targets read. */
export type TargetInput = Pick<BenchResults, 'latency' | 'burst' | 'cost' | 'stored' | 'scale' | 'container'>;

const T = TARGETS;

/** Every target, in the order of DESIGN §9, evaluated against `r`. */
export function evaluateTargets(r: TargetInput): TargetCheck[] {
  const l = r.latency;
  const b = r.burst;
  const sc = r.scale;
  return [
    check(
      'API-server CPU per alert over creating the realistic object it is about',
      `≤ ${T.alertCpuVsRealistic}×`,
      r.cost?.alertVsRealistic,
      (v) => `${x(v)}`,
      (v) => v <= T.alertCpuVsRealistic,
    ),
    check(
      'latency p99 at 100 creates/s over the reference copier’s p99',
      `≤ ${T.latencyP99VsCopier}×`,
      l?.copier ? l.vsCopier?.p99 : undefined,
      (v) => `${x(v)} (${ms(l?.latencyMs.p99)} vs ${ms(l?.copier?.latencyMs.p99)} ms)`,
      (v) => v <= T.latencyP99VsCopier,
    ),
    check(
      `burst of ${b?.objects ?? '10000'}: all alerts over the copier’s drain time`,
      `≤ ${T.burstVsCopier}×`,
      b?.copier ? b.vsCopier : undefined,
      (v) => `${x(v)} (${s(b?.alertSeconds)} vs ${s(b?.copier?.alertSeconds)} s)`,
      (v) => v <= T.burstVsCopier,
    ),
    missedAndDuplicates(r),
    check(
      `scale: operator peak RSS with ${sc?.objects ?? '100000'} pre-existing objects`,
      `≤ ${T.scaleRssMB} MB`,
      sc?.operator.peakRssMB,
      (v) => `${v} MB${heapNote(r)}`,
      (v) => v <= T.scaleRssMB,
    ),
    check(
      'scale: time to ready over a client-node informer’s',
      `≤ ${T.scaleReadyVsInformer.toFixed(1)}×`,
      sc ? ratio(sc.operator.readySeconds, sc.informer.readySeconds) : undefined,
      (v) => `${x(v)} (${s(sc?.operator.readySeconds)} vs ${s(sc?.informer.readySeconds)} s)`,
      (v) => v <= T.scaleReadyVsInformer,
    ),
    check(
      'scale: alerts raised / listed for pre-existing objects',
      '0',
      sc ? sc.operator.alertsRaised + sc.operator.alertsListed : undefined,
      () => `${sc?.operator.alertsRaised} / ${sc?.operator.alertsListed}`,
      (v) => v === 0,
    ),
    check(
      'burst: operator peak RSS with the shipped container’s Node flags',
      `≤ ${T.burstRssMB} MB`,
      b && r.container ? b.operator.peakRssMB : undefined,
      (v) => `${v} MB${heapNote(r)}`,
      (v) => v <= T.burstRssMB,
    ),
    check(
      'bytes stored per typical alert',
      `≤ ${T.storedBytesPerAlert} bytes`,
      r.stored?.bytesPerAlert,
      (v) => `${v} bytes`,
      (v) => v <= T.storedBytesPerAlert,
    ),
  ];
}

/** Missed and duplicate alerts over the scenarios that raise them (latency and burst; the copier's records are not alerts). */
function missedAndDuplicates(r: TargetInput): TargetCheck {
  const counts = [r.latency?.counts, r.burst?.counts].filter((c) => c !== undefined);
  const missed = counts.reduce((a, c) => a + c.missed, 0);
  const duplicates = counts.reduce((a, c) => a + c.duplicates, 0);
  const expected = counts.reduce((a, c) => a + c.expected, 0);
  return check(
    'missed / duplicate alerts (latency and burst)',
    `${T.missedAlerts} / ${T.duplicateAlerts}`,
    counts.length ? missed + duplicates : undefined,
    () => `${missed} / ${duplicates} of ${expected}`,
    () => missed <= T.missedAlerts && duplicates <= T.duplicateAlerts,
  );
}

function check(
  name: string,
  target: string,
  value: number | undefined,
  show: (v: number) => string,
  ok: (v: number) => boolean,
): TargetCheck {
  if (value === undefined) return { name, measured: '', target, status: 'not measured' };
  // NaN (e.g. some alerts never came, so no drain time) is a miss, not a missing measurement.
  return {
    name,
    measured: show(value),
    target,
    status: Number.isFinite(value) && ok(value) ? 'met' : 'NOT MET',
  };
}

const heapNote = (r: TargetInput): string =>
  r.container ? ` (heap cap ${r.container.heapCapMB} MB, limit ${r.container.memoryLimitMiB} Mi)` : '';

const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
const ms = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const s = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(2) : 'n/a');
