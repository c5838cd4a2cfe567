/** The printed table: every figure with its same-run reference, the ratio and the DESIGN §9 target. */

import { analyzeRows } from './analyze.js';
import type { CpuUsage } from './cpu.js';
import type { Scenario } from './options.js';
import type { BenchResults, BurstResult, CostResult, LatencyResult, ScaleResult } from './results.js';
import { TARGETS } from './results.js';
import { ratio, round } from './stats.js';
import { evaluateTargets, type TargetInput } from './targets.js';
import { trafficRows } from './traffic.js';

/** One row of the report: the same cells printed by `make bench` and generated into docs/performance.md. */
export type Row = [
  scenario: string,
  figure: string,
  measured: string,
  reference: string,
  ratio: string,
  target: string,
  met: string,
];

export const HEADER: Row = [
  'scenario',
  'figure',
  'measured',
  'reference (same run)',
  'ratio',
  'target',
  'met',
];

/** The rows of each scenario a run measured, by scenario, in the order they run. */
export function scenarioRows(r: BenchResults): Partial<Record<Scenario, Row[]>> {
  const out: Partial<Record<Scenario, Row[]>> = {};
  if (r.latency) out.latency = latencyRows(r.latency);
  if (r.burst) out.burst = burstRows(r.burst);
  if (r.cost) out.cost = costRows(r.cost);
  if (r.scale) out.scale = scaleRows(r.scale);
  if (r.traffic) out.traffic = trafficRows(r.traffic);
  if (r.analyze) out.analyze = analyzeRows(r.analyze);
  return out;
}

/** The side-by-side table of Tripline and the reference copier (copier.ts), with the old floor. */
export const COPIER_HEADER = [
  'figure',
  'Tripline',
  'copier',
  'Tripline / copier',
  'old floor',
  'Tripline / old floor',
] as const;

/** Latency percentiles and burst drain time of Tripline and of the copier, when the run measured both. */
export function copierRows(r: Pick<BenchResults, 'latency' | 'burst'>): string[][] {
  const out: string[][] = [];
  const l = r.latency;
  if (l?.copier) {
    const c = l.copier;
    for (const p of ['p50', 'p95', 'p99'] as const)
      out.push([
        `latency ${p}, create ack → result seen (ms), ${l.measured} creates at ${l.ratePerSecond}/s`,
        ms(l.latencyMs[p]),
        ms(c.latencyMs[p]),
        x(ratio(l.latencyMs[p], c.latencyMs[p])),
        ms(l.floorMs[p]),
        x(ratio(l.latencyMs[p], l.floorMs[p])),
      ]);
  }
  const b = r.burst;
  if (b?.copier) {
    const c = b.copier;
    out.push([
      `burst of ${b.objects}: first create → last result seen (s)`,
      s(b.alertSeconds),
      s(c.alertSeconds),
      x(ratio(b.alertSeconds, c.alertSeconds)),
      `${s(b.createSeconds)} creation`,
      x(b.ratio),
    ]);
    out.push([
      'burst: peak RSS (MB) of the subject',
      String(b.operator.peakRssMB),
      String(c.operator.peakRssMB),
      x(ratio(b.operator.peakRssMB, c.operator.peakRssMB)),
      '',
      '',
    ]);
  }
  return out;
}

/** The targets table: each DESIGN §9 target with its figure and whether the run met it. */
export const TARGETS_HEADER = ['target', 'measured', 'goal', 'met'] as const;

/** One row per target ({@link evaluateTargets}); "not measured" when the run has no figure for it. */
export function targetRows(r: TargetInput): string[][] {
  return evaluateTargets(r).map((t) => [t.name, t.measured || '—', t.target, t.status]);
}

/** Formats the whole report: context lines, the table, the copier side by side, then the targets. */
export function formatReport(r: BenchResults): string {
  const rows: Row[] = Object.values(scenarioRows(r)).flat();
  const m = r.machine;
  const c = r.container;
  const head = [
    `Tripline benchmark, ${r.date}, commit ${r.commit.slice(0, 12)}${r.dirty ? ' (with uncommitted changes)' : ''}`,
    `${m.cpuModel}, ${m.cores} cores, ${m.memoryMB} MB, Node ${m.nodeVersion}, ${m.platform} ${m.kernel}; ran ${r.durationSeconds} s`,
    ...(c
      ? [
          `operator Node flags (Dockerfile): ${c.nodeFlags.join(' ')}; Deployment memory limit ${c.memoryLimitMiB} Mi`,
        ]
      : []),
    '',
  ];
  const copier = copierRows(r);
  const copierPart = copier.length
    ? [
        '',
        'Tripline against the reference copier (same control plane, same load):',
        ...table([[...COPIER_HEADER], ...copier]),
      ]
    : [];
  const ablation = ablationRows(r.cost);
  const ablationPart = ablation.length
    ? [
        '',
        `What an alert costs, part by part (cost scenario, ${r.cost?.count} creates of each in ${r.cost?.rounds} rounds):`,
        ...table([[...ABLATION_HEADER], ...ablation]),
      ]
    : [];
  const targets = ['', 'Targets (DESIGN §9):', ...table([[...TARGETS_HEADER], ...targetRows(r)])];
  return [
    ...head,
    ...table([HEADER, ...rows]),
    ...copierPart,
    ...ablationPart,
    ...targets,
    ...disturbances(r),
    '',
  ].join('\n');
}

/** Share of the machine's CPU that went to other processes above which a scenario's figures are suspect. */
const DISTURBED_SHARE = 0.05;

/** Warnings for scenarios during which other processes took a noticeable share of the CPU. */
function disturbances(r: BenchResults): string[] {
  const windows: [string, CpuUsage | undefined][] = [
    ['latency (copier)', r.latency?.copier?.cpu],
    ['latency', r.latency?.cpu],
    ['burst (copier)', r.burst?.copier?.cpu],
    ['burst', r.burst?.cpu],
    ['scale', r.scale?.operator.cpuToReady],
  ];
  const out: string[] = [];
  for (const [name, c] of windows) {
    if (!c?.machine) continue;
    const share = c.machine.otherSeconds / (c.wallSeconds * c.cores);
    if (share < DISTURBED_SHARE) continue;
    out.push(
      `WARNING: other processes used ${c.machine.otherSeconds.toFixed(1)} CPU s (${(share * 100).toFixed(0)}% of the machine) during ${name}; its figures are disturbed, run again on a quiet machine`,
    );
    for (const o of c.machine.topOthers ?? [])
      out.push(`  ${o.seconds.toFixed(1)} s  pid ${o.pid}  ${o.command}`);
  }
  return out.length ? ['', ...out] : [];
}

function latencyRows(l: LatencyResult): Row[] {
  const rate = `${l.measured} creates at ${l.ratePerSecond}/s`;
  const c = l.copier;
  // Against the copier when the run measured it; runs recorded before it have the old floor only.
  const r = (p: 'p50' | 'p95' | 'p99'): Row => {
    const vs = c ? ratio(l.latencyMs[p], c.latencyMs[p]) : ratio(l.latencyMs[p], l.floorMs[p]);
    return [
      'latency',
      `${p} create ack → alert seen (ms)`,
      ms(l.latencyMs[p]),
      c
        ? `${ms(c.latencyMs[p])} copier; ${ms(l.floorMs[p])} old floor`
        : `${ms(l.floorMs[p])} old floor (no copier)`,
      x(vs),
      p === 'p99' ? `≤ ${TARGETS.latencyP99VsCopier}× copier` : '',
      p === 'p99' ? (c ? met(vs <= TARGETS.latencyP99VsCopier) : 'not measured') : '',
    ];
  };
  return [
    ['latency', 'load', rate, `achieved ${l.achievedRatePerSecond}/s`, '', '', ''],
    r('p50'),
    r('p95'),
    r('p99'),
    [
      'latency',
      'p99 create sent → alert seen (ms)',
      ms(l.fromSend.latencyMs.p99),
      `${ms(l.fromSend.floorMs.p99)} floor from send`,
      x(l.fromSend.p99Ratio),
      '(informative)',
      '',
    ],
    countsRow('latency', l.counts, l.missingAlertEvents),
    cpuRow('latency', l.cpu),
  ];
}

function burstRows(b: BurstResult): Row[] {
  const c = b.copier;
  const vs = c ? ratio(b.alertSeconds, c.alertSeconds) : Number.NaN;
  return [
    [
      'burst',
      'all alerts exist (s)',
      s(b.alertSeconds),
      c
        ? `${s(c.alertSeconds)} copier drain; ${s(b.createSeconds)} creation (${x(b.ratio)})`
        : `${s(b.createSeconds)} creation (no copier)`,
      c ? x(vs) : x(b.ratio),
      `≤ ${TARGETS.burstVsCopier}× copier`,
      c ? met(Number.isFinite(vs) && vs <= TARGETS.burstVsCopier) : 'not measured',
    ],
    ['burst', 'alerts/s', String(b.alertsPerSecond), `${b.createsPerSecond} creates/s`, '', '', ''],
    [
      'burst',
      'operator API connections opened',
      String(b.operator.connectionsOpened),
      `${b.operator.requests} requests`,
      '',
      'a handful',
      '',
    ],
    [
      'burst',
      'operator peak RSS (MB)',
      String(b.operator.peakRssMB),
      c
        ? `since start (latency and burst); copier ${c.operator.peakRssMB}`
        : 'since start (latency and burst)',
      '',
      `≤ ${TARGETS.burstRssMB} MB`,
      met(b.operator.peakRssMB <= TARGETS.burstRssMB),
    ],
    countsRow('burst', b.counts, b.objects - b.alertsSeen),
    cpuRow('burst', b.cpu),
  ];
}

/** The cost scenario's rows of the main table: the realistic subject, the alert, its stored size and memory. */
function costRows(c: CostResult): Row[] {
  // A run recorded before the ablation (no sample, variants without ids) has no rows in this shape.
  if (!c.sample) return [];
  const ref = c.variants.find((v) => v.id === c.realistic);
  const alert = c.variants.find((v) => v.id === 'alert');
  const s = c.sample;
  const rows: Row[] = [];
  for (const v of [ref, alert])
    if (v)
      rows.push([
        'cost',
        `API-server CPU per create (ms): ${v.name}`,
        `${v.apiserverMs} (etcd ${v.etcdMs})`,
        `${c.count} creates in ${c.rounds} rounds, ${c.inFlight} in flight; ${v.bytes} bytes sent, ${v.storedBytes} stored`,
        v === alert && ref ? x(round(ratio(v.apiserverMs, ref.apiserverMs), 2)) : '',
        v === alert ? `≤ ${TARGETS.alertCpuVsRealistic}× realistic` : '',
        v === alert ? met(c.alertVsRealistic <= TARGETS.alertCpuVsRealistic) : '',
      ]);
  rows.push([
    'cost',
    'the raised alert: bytes stored in etcd',
    String(s.storedBytes),
    `${s.detection} on a ${s.subjectKind}; managedFields ${s.managedFieldsBytes}; spec JSON by part: ${Object.entries(
      s.parts,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    '',
    `≤ ${TARGETS.storedBytesPerAlert}`,
    met(s.storedBytes <= TARGETS.storedBytesPerAlert),
  ]);
  rows.push([
    'cost',
    '100,000 alerts kept: etcd (MB)',
    String(round((s.storedBytes * 100_000) / 1e6, 0)),
    `${s.storedBytes} bytes × 100,000, live values only`,
    '',
    '',
    '',
  ]);
  const m = c.apiserverMemory;
  if (m)
    rows.push([
      'cost',
      'kube-apiserver heap per 1,000 alerts kept (MB)',
      String(round(((m.heapAfterMb - m.heapBeforeMb) * 1000) / m.alerts, 1)),
      `live heap ${m.heapBeforeMb} → ${m.heapAfterMb} MB with ${m.alerts} more alerts kept (watch cache; noisy)`,
      '',
      '',
      '',
    ]);
  return rows;
}

/** The ablation table: every variant of the cost scenario, against the alert as raised. */
export const ABLATION_HEADER = [
  'variant',
  'API-server CPU per create (ms)',
  'GC, mean (ms)',
  'allocated (KB)',
  'etcd (ms)',
  'vs alert as raised',
  'vs realistic subject',
  'bytes sent',
  'bytes stored',
] as const;

/** One row per variant of the cost scenario (empty for runs recorded before the ablation). */
export function ablationRows(c: CostResult | undefined): string[][] {
  if (!c?.sample) return [];
  const ref = c.variants.find((v) => v.id === c.realistic);
  const alert = c.variants.find((v) => v.id === 'alert');
  return c.variants.map((v) => [
    v.name,
    String(v.apiserverMs),
    v.apiserverGcMs === undefined ? '' : String(v.apiserverGcMs),
    v.allocKB === undefined ? '' : String(v.allocKB),
    String(v.etcdMs),
    alert ? x(round(ratio(v.apiserverMs, alert.apiserverMs), 2)) : '',
    ref ? x(round(ratio(v.apiserverMs, ref.apiserverMs), 2)) : '',
    String(v.bytes),
    String(v.storedBytes),
  ]);
}

function scaleRows(sc: ScaleResult): Row[] {
  const o = sc.operator;
  const i = sc.informer;
  return [
    [
      'scale',
      'pre-existing objects',
      `${sc.objects} (${sc.pods} Pods)`,
      `filled at ${sc.fillPerSecond}/s`,
      '',
      '',
      '',
    ],
    [
      'scale',
      'operator time to ready (s)',
      s(o.readySeconds),
      `${s(i.readySeconds)} informer`,
      x(ratio(o.readySeconds, i.readySeconds)),
      `≤ ${TARGETS.scaleReadyVsInformer.toFixed(1)}×`,
      met(ratio(o.readySeconds, i.readySeconds) <= TARGETS.scaleReadyVsInformer),
    ],
    [
      'scale',
      'operator peak RSS (MB)',
      String(o.peakRssMB),
      `${i.peakRssMB} informer`,
      x(sc.rssVsInformer),
      `≤ ${TARGETS.scaleRssMB} MB`,
      met(o.peakRssMB <= TARGETS.scaleRssMB),
    ],
    [
      'scale',
      'alerts raised / listed',
      `${o.alertsRaised} / ${o.alertsListed}`,
      '',
      '',
      '0',
      met(o.alertsRaised === 0 && o.alertsListed === 0),
    ],
    cpuRow('scale', o.cpuToReady, 'CPU seconds, spawn → ready', `informer ${i.cpuSecondsToReady.toFixed(1)}`),
  ];
}

function countsRow(scenario: string, c: LatencyResult['counts'], unseen: number): Row {
  const ok = c.missed === 0 && c.duplicates === 0 && c.unexpected === 0;
  const extra = c.unexpected ? `, ${c.unexpected} unexpected` : '';
  return [
    scenario,
    'missed / duplicate alerts',
    `${c.missed} / ${c.duplicates}${extra}`,
    `${c.expected} objects, ${unseen} unseen by watch`,
    '',
    '0 / 0',
    met(ok),
  ];
}

/** Where the CPU went: seconds per process over the window, against what the cores could give. */
function cpuRow(scenario: string, c: CpuUsage, figure = 'CPU seconds', reference = ''): Row {
  const parts = Object.entries(c.seconds).map(([role, v]) => `${role} ${v.toFixed(1)}`);
  const m = c.machine;
  parts.push(`other ${m.otherSeconds.toFixed(1)}`);
  const steal = m.stealSeconds > 0 ? `, steal ${m.stealSeconds.toFixed(1)}` : '';
  const window = `${c.wallSeconds} s × ${c.cores} cores${steal}`;
  return [scenario, figure, parts.join(', '), reference ? `${reference}; ${window}` : window, '', '', ''];
}

/** Aligned text columns: the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const header = rows[0] ?? [];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const s = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
const met = (ok: boolean): string => (ok ? 'yes' : 'NO');
