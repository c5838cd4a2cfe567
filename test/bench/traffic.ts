/**
 * The `traffic` scenario of `make bench`: access-log ingestion throughput (parse + sliding windows
 * + rules, lines per second on one core) and memory, measured in a child process pinned to one CPU
 * with taskset when available, so the figure is a one-core figure and its RSS is its own.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { progress } from './progress.js';

/** The target: at least this many lines per second on one core. */
export const TRAFFIC_TARGET_LINES_PER_SECOND = 50_000;

/** What the measuring process prints. */
export interface TrafficWorkerResult {
  /** Lines measured (the steady mix, three passes). */
  lines: number;
  /** Parse + window + rules, per CPU second of the process pinned to one core. */
  linesPerSecond: number;
  /** The same per wall-clock second (lower when other processes share the core). */
  linesPerWallSecond: number;
  nsPerLine: number;
  /** Ingress windows the steady mix kept. */
  ingresses: number;
  /** Heap and off-heap memory the windows hold after a full GC (the engine's own footprint). */
  retainedMB: number;
  /** Of the whole process, test data included. */
  rssMB: number;
  peakRssMB: number;
  /** The same lines POSTed as 1 MiB NDJSON bodies to the real endpoint (client in the same process). */
  http: { lines: number; linesPerSecond: number; linesPerWallSecond: number };
  /** Every line a new Ingress and a new source: memory stays bounded by the limits. */
  flood: {
    lines: number;
    linesPerSecond: number;
    windows: number;
    evictedIngresses: number;
    evictedSources: number;
    retainedMB: number;
    rssMB: number;
    peakRssMB: number;
  };
}

/** The traffic figures in bench-results JSON. */
export interface TrafficResult extends TrafficWorkerResult {
  /** CPU the worker was pinned to, or undefined without taskset. */
  pinnedCpu?: number;
  target: number;
}

const TASKSET = '/usr/bin/taskset';

/** Runs the measuring process and returns its figures. */
export async function runTraffic(lines: number): Promise<TrafficResult> {
  const worker = path.join(repoRoot(), 'dist/test/bench/traffic-worker.js');
  const pin = existsSync(TASKSET);
  const cmd = pin ? TASKSET : process.execPath;
  const node = ['--expose-gc', worker, String(lines)];
  const args = pin ? ['-c', '0', process.execPath, ...node] : node;
  progress(`traffic: measuring access-log ingestion, ${lines} lines per pass${pin ? ' on CPU 0' : ''}`);
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`traffic worker exited ${code}: ${stderr}`)),
    );
  });
  const r = JSON.parse(out.trim().split('\n').at(-1) as string) as TrafficWorkerResult;
  return { ...r, ...(pin ? { pinnedCpu: 0 } : {}), target: TRAFFIC_TARGET_LINES_PER_SECOND };
}

type Row = [string, string, string, string, string, string, string];

const n = (v: number): string => v.toLocaleString('en-US');

/** The rows of the report table (same columns as the other scenarios). */
export function trafficRows(t: TrafficResult): Row[] {
  const f = t.flood;
  return [
    [
      'traffic',
      'parse + window lines per CPU second (1 core)',
      n(t.linesPerSecond),
      `${t.nsPerLine} ns/line; ${n(t.linesPerWallSecond)}/s wall; ${t.ingresses} Ingresses`,
      `${(t.linesPerSecond / t.target).toFixed(2)}×`,
      `≥ ${n(t.target)}`,
      t.linesPerSecond >= t.target ? 'yes' : 'NO',
    ],
    [
      'traffic',
      'HTTP endpoint lines per CPU second',
      n(t.http.linesPerSecond),
      `NDJSON POSTs, client in the same process; ${n(t.http.linesPerWallSecond)}/s wall`,
      '',
      '',
      '',
    ],
    [
      'traffic',
      'window memory after GC (MB), steady',
      String(t.retainedMB),
      `${t.ingresses} Ingresses; process peak RSS ${t.peakRssMB} MB with the test data`,
      '',
      '',
      '',
    ],
    [
      'traffic',
      'flood: window memory after GC (MB)',
      String(f.retainedMB),
      `${n(f.lines)} lines, each a new Ingress: ${n(f.windows)} windows kept, ${n(f.evictedIngresses)} evicted`,
      '',
      'bounded',
      f.windows <= 5000 ? 'yes' : 'NO',
    ],
    [
      'traffic',
      'flood lines per CPU second',
      n(f.linesPerSecond),
      `process peak RSS ${f.peakRssMB} MB with the test data`,
      '',
      '',
      '',
    ],
  ];
}
