/**
 * The figures of docs/performance.md, from the recorded runs in bench-results/ (`make bench
 * RECORD=1`): never typed by hand. Each scenario comes from the newest recorded run that measured it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RECORD_DIR, SCENARIOS, type Scenario } from '../../test/bench/options.js';
import { HEADER, type Row, scenarioRows } from '../../test/bench/report.js';
import type { BenchResults } from '../../test/bench/results.js';
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
