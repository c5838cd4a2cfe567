/**
 * Command-line flags of `make bench` (`node dist/test/bench/run.js [flags]`). Every default is set
 * here and nowhere else; `--quick` swaps in sizes small enough for a smoke run of a few minutes.
 */
import { parseArgs } from 'node:util';

/** The scenarios, in the order they run. */
export const SCENARIOS = ['latency', 'burst', 'cost', 'scale', 'traffic', 'analyze'] as const;
/** One of {@link SCENARIOS}. */
export type Scenario = (typeof SCENARIOS)[number];

/** Validated benchmark settings. */
export interface BenchOptions {
  /** JSON output path; the SVG chart goes next to it with the same base name. */
  out: string;
  /** Whether `out` is the tracked record in {@link RECORD_DIR} that docs/performance.md is generated from. */
  record: boolean;
  quick: boolean;
  only: Scenario[];
  /** Latency: measured creates, after `latencyWarmup` unmeasured ones, at `rate` per second. */
  latencyCount: number;
  latencyWarmup: number;
  rate: number;
  /** Burst: objects, spread over `burstNamespaces`, with `burstConcurrency` creates in flight. */
  burst: number;
  burstNamespaces: number;
  burstConcurrency: number;
  /** Cost: creates measured per kind of object. */
  costCount: number;
  /** Scale: pre-existing objects over `scaleNamespaces`, created with `scaleConcurrency` in flight. */
  scale: number;
  scaleNamespaces: number;
  scaleConcurrency: number;
  /** Analyze: objects in the stream piped into `tripline analyze -f -`. */
  analyzeCount: number;
  /** Extra flags for every `tripline run` (to compare settings, e.g. `--workers 32`). */
  operatorArgs: string[];
  /** Quiet time after the operator is ready and before latency is measured, in ms. */
  settleMs: number;
}

const FULL = {
  latencyCount: 1000,
  latencyWarmup: 100,
  burst: 10_000,
  cost: 1000,
  scale: 100_000,
  analyze: 50_000,
};
const QUICK = { latencyCount: 200, latencyWarmup: 20, burst: 1000, cost: 300, scale: 5000, analyze: 5000 };

/** Where a run goes unless recorded: git-ignored, so a trial run never changes tracked files. */
export const DEFAULT_OUT = '.bench/latest.json';
/** The tracked results docs/performance.md is generated from (`make docs`). */
export const RECORD_DIR = 'bench-results';

/**
 * The tracked file a recorded run writes: `latest.json` for a run of every scenario, else one named
 * after the scenarios it ran (`analyze.json`), so a partial run never replaces the full one.
 */
export function recordPath(only: readonly Scenario[]): string {
  const all = SCENARIOS.every((s) => only.includes(s)) || only.length === 0;
  return `${RECORD_DIR}/${all ? 'latest' : only.join('-')}.json`;
}

const USAGE = `Usage: node dist/test/bench/run.js [flags]   (or: make bench BENCH_ARGS="...", make bench RECORD=1)
  --out PATH            JSON results (default ${DEFAULT_OUT}, git-ignored); the SVG chart is written next to it
  --record              write the tracked ${RECORD_DIR}/latest.json (a subset of scenarios: ${RECORD_DIR}/<scenarios>.json),
                        which docs/performance.md is generated from (make docs); not with --quick or --out
  --quick               small sizes for a smoke run (a few minutes)
  --only LIST           comma-separated subset of ${SCENARIOS.join(',')}
  --latency-count N     measured creates of the latency scenario (default ${FULL.latencyCount}; quick ${QUICK.latencyCount})
  --latency-warmup N    unmeasured creates before them (default ${FULL.latencyWarmup}; quick ${QUICK.latencyWarmup})
  --rate N              creates per second in the latency scenario, open loop (default 100)
  --burst N             objects created as fast as possible (default ${FULL.burst}; quick ${QUICK.burst})
  --burst-concurrency N creates in flight in the burst (default 64)
  --cost-count N        creates per kind of object in the cost scenario (default ${FULL.cost}; quick ${QUICK.cost})
  --scale N             pre-existing objects for the scale scenario (default ${FULL.scale}; quick ${QUICK.scale})
  --scale-concurrency N creates in flight while filling the scale cluster (default 100)
  --analyze N           objects streamed into tripline analyze -f - (default ${FULL.analyze}; quick ${QUICK.analyze})
  --operator-args="..." extra flags for every \`tripline run\`, e.g. --operator-args="--workers 32"
`;

/** Thrown for bad flags; run.ts prints the message with the usage text and exits 2. */
export class UsageError extends Error {
  /** The usage text to print after the message. */
  readonly usage = USAGE;
}

/** Parses argv (without node and script) into {@link BenchOptions}; `--help` throws a UsageError with no message. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      out: { type: 'string' },
      record: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      only: { type: 'string', default: SCENARIOS.join(',') },
      'latency-count': { type: 'string' },
      'latency-warmup': { type: 'string' },
      rate: { type: 'string', default: '100' },
      burst: { type: 'string' },
      'burst-concurrency': { type: 'string', default: '64' },
      'cost-count': { type: 'string' },
      scale: { type: 'string' },
      'scale-concurrency': { type: 'string', default: '100' },
      analyze: { type: 'string' },
      'operator-args': { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new UsageError('');
  const sizes = values.quick ? QUICK : FULL;
  const only = parseOnly(values.only);
  if (values.record && values.quick)
    throw new UsageError('--record: a --quick run is a smoke run, not a record');
  if (values.record && values.out !== undefined)
    throw new UsageError('--record chooses the output path: drop --out');
  return {
    out: values.record ? recordPath(only) : (values.out ?? DEFAULT_OUT),
    record: values.record,
    quick: values.quick,
    only,
    latencyCount: count('latency-count', values['latency-count'], sizes.latencyCount, 1),
    latencyWarmup: count('latency-warmup', values['latency-warmup'], sizes.latencyWarmup, 0),
    rate: count('rate', values.rate, 100, 1),
    burst: count('burst', values.burst, sizes.burst, 1),
    burstNamespaces: 20,
    burstConcurrency: count('burst-concurrency', values['burst-concurrency'], 64, 1),
    costCount: count('cost-count', values['cost-count'], sizes.cost, 1),
    scale: count('scale', values.scale, sizes.scale, 1),
    scaleNamespaces: 100,
    scaleConcurrency: count('scale-concurrency', values['scale-concurrency'], 100, 1),
    analyzeCount: count('analyze', values.analyze, sizes.analyze, 1),
    operatorArgs: values['operator-args'].split(/\s+/).filter(Boolean),
    settleMs: values.quick ? 3000 : 10_000,
  };
}

function parseOnly(list: string): Scenario[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(SCENARIOS as readonly string[]).includes(n)) {
      throw new UsageError(`--only: unknown scenario "${n}" (known: ${SCENARIOS.join(', ')})`);
    }
  }
  return SCENARIOS.filter((s) => names.includes(s));
}

function count(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${flag}: expected an integer >= ${min}, got "${raw}"`);
  return n;
}
