/**
 * The figures of docs/performance.md, from the recorded runs in bench-results/ (`make bench
 * RECORD=1`): never typed by hand. Each scenario comes from the newest recorded run that measured it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RECORD_DIR, SCENARIOS, type Scenario } from '../../test/bench/options.js';
import {
  ABLATION_HEADER,
  ablationRows,
  COPIER_HEADER,
  copierRows,
  HEADER,
  type Row,
  scenarioRows,
  TARGETS_HEADER,
  targetRows,
} from '../../test/bench/report.js';
import type { BenchResults } from '../../test/bench/results.js';
import type { TargetInput } from '../../test/bench/targets.js';
import { table } from './markdown.js';

interface Recorded {
  file: string;
  run: BenchResults;
}

/** Every recorded run, oldest first. */
function recordedRuns(root: string): Recorded[] {
  const dir = path.join(root, RECORD_DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({
      file: `${RECORD_DIR}/${f}`,
      run: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as BenchResults,
    }))
    .sort((a, b) => a.run.date.localeCompare(b.run.date) || a.file.localeCompare(b.file));
}

/** For each scenario, the newest recorded run that measured it. */
function newestByScenario(runs: Recorded[]): Array<[Scenario, Recorded, Row[]]> {
  const out: Array<[Scenario, Recorded, Row[]]> = [];
  for (const s of SCENARIOS) {
    for (const r of [...runs].reverse()) {
      const rows = scenarioRows(r.run)[s];
      if (rows) {
        out.push([s, r, rows]);
        break;
      }
    }
  }
  return out;
}

const day = (iso: string): string => iso.slice(0, 10);

/** The runs the figures come from: when, on what, which code, which scenarios. */
export function benchRunsTable(root: string): string {
  const used = new Set(newestByScenario(recordedRuns(root)).map(([, r]) => r.file));
  const rows = recordedRuns(root)
    .filter((r) => used.has(r.file))
    .map(({ file, run }) => {
      const m = run.machine;
      const flags = run.options.operatorArgs.length
        ? run.options.operatorArgs.join(' ')
        : 'none (as installed)';
      return [
        `[\`${path.basename(file)}\`](../${file})`,
        day(run.date),
        `\`${run.commit.slice(0, 7)}\`${run.dirty ? ' (with uncommitted changes)' : ''}`,
        `${m.cpuModel}, ${m.cores} cores, ${Math.round(m.memoryMB / 1024)} GB, Node ${m.nodeVersion}`,
        run.options.only.join(', '),
        flags,
        `${run.durationSeconds} s${run.error ? `; failed: ${run.error}` : ''}`,
      ];
    });
  return table(['run', 'date', 'commit', 'machine', 'scenarios', 'extra operator flags', 'took'], rows);
}

/** The report table of `make bench`, each scenario from its newest recorded run. */
export function benchResultsTable(root: string): string {
  const rows = newestByScenario(recordedRuns(root)).flatMap(([, r, scenarioRows]) =>
    scenarioRows.map((row) => [...row, path.basename(r.file)]),
  );
  return table([...HEADER, 'run'], rows);
}

/** The newest recorded run that has `key`, if any. */
function newestWith<K extends keyof BenchResults>(runs: Recorded[], key: K): Recorded | undefined {
  return [...runs].reverse().find((r) => r.run[key] !== undefined);
}

/** Each figure the targets read, from the newest recorded run that has it, and the runs used. */
function newestFigures(root: string): { input: TargetInput; files: string[] } {
  const runs = recordedRuns(root);
  const keys = ['latency', 'burst', 'cost', 'stored', 'scale', 'container'] as const;
  const input: Record<string, unknown> = {};
  const files = new Set<string>();
  for (const k of keys) {
    const r = newestWith(runs, k);
    if (!r) continue;
    input[k] = r.run[k];
    if (k !== 'container') files.add(path.basename(r.file));
  }
  return { input: input as TargetInput, files: [...files].sort() };
}

/** Tripline and the reference copier side by side, from the newest recorded run that measured each. */
export function benchCopierTable(root: string): string {
  const runs = recordedRuns(root);
  const latency = newestWith(runs, 'latency');
  const burst = newestWith(runs, 'burst');
  const rows = copierRows({ latency: latency?.run.latency, burst: burst?.run.burst });
  if (rows.length === 0)
    return '_No recorded run measured the reference copier yet (`make bench RECORD=1`)._';
  return table(COPIER_HEADER, rows);
}

/** Every DESIGN §9 target: measured, met or NOT MET, from the newest recorded figures (docs/performance.md). */
export function benchTargetsTable(root: string): string {
  return table(TARGETS_HEADER, targetRows(newestFigures(root).input));
}

/** The README's block: the targets table and where its figures come from (links from the repository root). */
export function benchHeadline(root: string): string {
  const { input, files } = newestFigures(root);
  const from = files.map((f) => `[\`${f}\`](${RECORD_DIR}/${f})`).join(', ');
  return [
    table(TARGETS_HEADER, targetRows(input)),
    '',
    `Generated by \`make docs\` from ${from || 'no recorded run'} (\`make bench RECORD=1\`); every figure and its same-run reference: [docs/performance.md](docs/performance.md).`,
  ].join('\n');
}

/** The ablation of the alert's cost from the newest recorded run that measured it (ADR 27). */
export function benchAblationTable(root: string): string {
  const cost = newestWith(recordedRuns(root), 'cost');
  const rows = ablationRows(cost?.run.cost);
  if (!cost || rows.length === 0)
    return '_No recorded run measured the ablation yet (`make bench RECORD=1`)._';
  const c = cost.run.cost;
  return [
    table([...ABLATION_HEADER], rows),
    '',
    `From [\`${cost.file}\`](../../${cost.file}) (${cost.run.date.slice(0, 10)}, commit \`${cost.run.commit.slice(0, 7)}\`): ${c?.count} creates of each variant in ${c?.rounds} rounds, ${c?.inFlight} in flight; CPU of kube-apiserver and etcd from /proc.`,
  ].join('\n');
}
