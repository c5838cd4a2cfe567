/**
 * `make bench`: measures Tripline against the local control plane (DESIGN §9) and prints a table,
 * writing the same figures as JSON plus an SVG latency chart next to it. Latency and burst share one
 * control plane and operator; scale gets a fresh control plane (the first one is stopped first, to
 * leave it the CPU). Benchmarks report, they do not assert: the exit code is non-zero only when the
 * run itself fails (a crash, an operator that died), never because a target was missed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import type { OperatorProcess } from '../../hack/operator-process.js';
import { runAnalyzeBench } from './analyze.js';
import { runBurst } from './burst.js';
import { latencyChart } from './chart.js';
import {
  applyDetections,
  benchClient,
  createNamespaces,
  installCrds,
  startCluster,
  startReadyOperator,
  stopOperator,
  TIMESTAMP_GAP_MS,
  waitDetectionsReady,
} from './cluster.js';
import { runCost } from './cost.js';
import { runLatency } from './latency.js';
import { runContext } from './machine.js';
import { type BenchOptions, parseOptions, UsageError } from './options.js';
import { progress } from './progress.js';
import { formatReport } from './report.js';
import { type BenchResults, TARGETS } from './results.js';
import { runScale } from './scale.js';
import { runTraffic } from './traffic.js';

/** What is running now, so an error or Ctrl-C can stop it. */
const live: { cp?: ControlPlane; op?: OperatorProcess } = {};

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Latency, burst and cost, on one control plane with one operator. */
async function runLiveScenarios(opts: BenchOptions, results: BenchResults): Promise<void> {
  const cp = await startCluster('cluster A');
  live.cp = cp;
  try {
    await installCrds(cp);
    const latencyNs = opts.only.includes('latency') ? names('lat', 5) : [];
    const burstNs = opts.only.includes('burst') ? names('burst', opts.burstNamespaces) : [];
    const client = benchClient(cp, 16, 'setup');
    await createNamespaces(client, [...latencyNs, ...burstNs]).finally(() => client.close());
    // The namespaces predate the detections, so they raise nothing and count for nothing.
    await sleep(TIMESTAMP_GAP_MS);
    await applyDetections(cp);
    progress('cluster A: starting the operator');
    live.op = await startReadyOperator(cp, opts.operatorArgs);
    await waitDetectionsReady(cp);
    // A new API server is busy for a while after start and after new CRDs (OpenAPI publishing, bootstrap
    // controllers); measuring in that window measures the API server's warm-up, not steady state.
    progress(`cluster A: operator ready; letting the control plane settle for ${opts.settleMs / 1000} s`);
    await sleep(opts.settleMs);
    const op = live.op;
    if (latencyNs.length) {
      const env = { cp, op, namespaces: latencyNs, count: opts.latencyCount, warmup: opts.latencyWarmup };
      results.latency = await runLatency({ ...env, rate: opts.rate });
      assertAlive(op, 'latency');
    }
    if (burstNs.length) {
      const env = { cp, op, namespaces: burstNs, count: opts.burst, concurrency: opts.burstConcurrency };
      results.burst = await runBurst(env);
      assertAlive(op, 'burst');
    }
    if (opts.only.includes('cost')) {
      // Last on this control plane: it stops the operator so that nothing else writes while it measures.
      const stop = async () => {
        assertAlive(op, 'cost');
        await stopOperator(op);
      };
      results.cost = await runCost({ cp, stopOperator: stop, count: opts.costCount });
    }
  } finally {
    await stopOperator(live.op);
    live.op = undefined;
    await cp.stop();
    live.cp = undefined;
  }
}

function assertAlive(op: OperatorProcess, scenario: string): void {
  if (!op.running()) throw new Error(`the operator died during ${scenario}:\n${op.logs().slice(-3000)}`);
}

/** Scale, on a fresh control plane. */
async function runScaleScenario(opts: BenchOptions, results: BenchResults): Promise<void> {
  const cp = await startCluster('cluster B');
  live.cp = cp;
  try {
    results.scale = await runScale({
      cp,
      count: opts.scale,
      namespaces: opts.scaleNamespaces,
      concurrency: opts.scaleConcurrency,
      operatorArgs: opts.operatorArgs,
      track: (op) => {
        live.op = op;
      },
    });
  } finally {
    await cp.stop();
    live.cp = undefined;
  }
}

async function writeOutputs(out: string, results: BenchResults): Promise<void> {
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  progress(`wrote ${out}`);
  const l = results.latency;
  if (!l) return;
  const svg = path.join(path.dirname(out), `${path.basename(out, path.extname(out))}.svg`);
  const m = results.machine;
  await writeFile(
    svg,
    latencyChart({
      floorMs: l.samples.floorMs,
      latencyMs: l.samples.latencyMs,
      title: 'Tripline: create acknowledged → AuditAlert seen by a watcher, against the floor',
      subtitle: [
        `${l.measured} creates of mixed kinds at ${l.ratePerSecond}/s · p99 ${l.latencyMs.p99} ms vs floor ${l.floorMs.p99} ms = ${l.p99Ratio}× (target ≤ ${TARGETS.latencyP99Ratio}×)`,
        `${results.date.slice(0, 10)} · commit ${results.commit.slice(0, 10)} · ${m.cpuModel}, ${m.cores} cores · Node ${m.nodeVersion}`,
      ],
    }),
  );
  progress(`wrote ${svg}`);
}

/** Ctrl-C / SIGTERM: kill what runs now; the exit hooks of hack/ stop the control planes and remove their dirs. */
function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping the operator and control plane`);
      live.op?.proc.kill('SIGKILL');
      process.exit(130);
    });
  }
}

async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(argv);
  } catch (err: unknown) {
    if (!(err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')))
      throw err;
    const message = (err as Error).message;
    if (!message) process.stdout.write(new UsageError('').usage);
    else process.stderr.write(`${message}\n${new UsageError('').usage}`);
    return message ? 2 : 0;
  }
  installSignalHandlers();
  const t0 = performance.now();
  const results: BenchResults = {
    ...runContext(repoRoot()),
    options: opts,
    durationSeconds: 0,
    targets: TARGETS,
  };
  progress(`benchmark: ${opts.only.join(', ')}${opts.quick ? ' (quick)' : ''}; results go to ${opts.out}`);
  let failure: unknown;
  try {
    if (opts.only.some((o) => o === 'latency' || o === 'burst' || o === 'cost'))
      await runLiveScenarios(opts, results);
    if (opts.only.includes('scale')) await runScaleScenario(opts, results);
    // No control plane: ingestion alone, in a process pinned to one core (last, on a quiet machine).
    if (opts.only.includes('traffic')) results.traffic = await runTraffic(opts.quick ? 100_000 : 300_000);
    // No control plane either: the offline CLI over one big stream, its own process and peak RSS.
    if (opts.only.includes('analyze')) results.analyze = await runAnalyzeBench(opts.analyzeCount);
  } catch (err: unknown) {
    failure = err;
  }
  results.durationSeconds = Math.round((performance.now() - t0) / 1000);
  await writeOutputs(path.resolve(opts.out), failure ? { ...results, error: String(failure) } : results);
  process.stdout.write(`\n${formatReport(results)}\n`);
  if (failure) throw failure;
  return 0;
}

main(process.argv.slice(2)).then(
  // exit() rather than exitCode: a lingering keep-alive socket must not keep a finished run waiting.
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
