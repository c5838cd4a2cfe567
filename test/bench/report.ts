/** The printed table: every figure with its same-run reference, the ratio and the DESIGN §9 target. */

import { analyzeRows } from './analyze.js';
import type { CpuUsage } from './cpu.js';
import type { Scenario } from './options.js';
import type { BenchResults, BurstResult, CostResult, LatencyResult, ScaleResult } from './results.js';
import { TARGETS } from './results.js';
import { ratio, round } from './stats.js';
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

/** Formats the whole report: context lines, then the table. */
export function formatReport(r: BenchResults): string {
  const rows: Row[] = Object.values(scenarioRows(r)).flat();
  const m = r.machine;
  const head = [
    `Tripline benchmark, ${r.date}, commit ${r.commit.slice(0, 12)}${r.dirty ? ' (with uncommitted changes)' : ''}`,
    `${m.cpuModel}, ${m.cores} cores, ${m.memoryMB} MB, Node ${m.nodeVersion}, ${m.platform} ${m.kernel}; ran ${r.durationSeconds} s`,
    '',
  ];
  return [...head, ...table([HEADER, ...rows]), ...disturbances(r), ''].join('\n');
}

/** Share of the machine's CPU that went to other processes above which a scenario's figures are suspect. */
const DISTURBED_SHARE = 0.05;

/** Warnings for scenarios during which other processes took a noticeable share of the CPU. */
function disturbances(r: BenchResults): string[] {
  const windows: [string, CpuUsage | undefined][] = [
    ['latency', r.latency?.cpu],
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
  const r = (p: 'p50' | 'p95' | 'p99'): Row => [
    'latency',
    `${p} create ack → alert seen (ms)`,
    ms(l.latencyMs[p]),
    `${ms(l.floorMs[p])} floor`,
    x(ratio(l.latencyMs[p], l.floorMs[p])),
    p === 'p99' ? `≤ ${TARGETS.latencyP99Ratio}×` : '',
    p === 'p99' ? met(l.p99Ratio <= TARGETS.latencyP99Ratio) : '',
  ];
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
  return [
    [
      'burst',
      'all alerts exist (s)',
      s(b.alertSeconds),
      `${s(b.createSeconds)} creation`,
      x(b.ratio),
      `≤ ${TARGETS.burstRatio}×`,
      met(b.ratio <= TARGETS.burstRatio),
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
      'since start (latency and burst)',
      '',
      '',
      '',
    ],
    countsRow('burst', b.counts, b.objects - b.alertsSeen),
    cpuRow('burst', b.cpu),
  ];
}

function costRows(c: CostResult): Row[] {
  const ref = c.variants.find((v) => v.id === c.realistic);
  const alert = c.variants.find((v) => v.id === 'alert');
  const rows = c.variants.map((v, i): Row => {
    const vs = v.id.startsWith('no-') || v.id.startsWith('crd-') || v.id === 'required' ? alert : ref;
    return [
      'cost',
      `API-server CPU per create (ms): ${v.name}`,
      `${v.apiserverMs} (etcd ${v.etcdMs})`,
      `${i === 0 ? `${c.count} creates in ${c.rounds} rounds, ${c.inFlight} in flight; ` : ''}${v.bytes} bytes sent, ${v.storedBytes} stored`,
      !vs || vs === v
        ? ''
        : `${x(round(ratio(v.apiserverMs, vs.apiserverMs), 2))} ${vs === alert ? 'alert' : 'realistic'}`,
      '',
      '',
    ];
  });
  const s = c.sample;
  rows.push([
    'cost',
    'the raised alert: stored bytes',
    String(s.storedBytes),
    `${s.detection} on a ${s.subjectKind}; managedFields ${s.managedFieldsBytes}; spec JSON by part: ${Object.entries(
      s.parts,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
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
      `live heap ${m.heapBeforeMb} → ${m.heapAfterMb} MB with ${m.alerts} more alerts kept (watch cache)`,
      '',
      '',
      '',
    ]);
  return rows;
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
      '',
      '',
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

function table(rows: Row[]): string[] {
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: Row): string =>
    r
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join('  ')
      .trimEnd();
  return [line(rows[0] as Row), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const s = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
const met = (ok: boolean): string => (ok ? 'yes' : 'NO');
