/**
 * `make bench`: measures Tripline against the local control plane (DESIGN §9) and prints a table,
 * writing the same figures as JSON plus an SVG latency chart next to it. Latency and burst share one
 * control plane: they run first against the reference copier (copier.ts; the operator not running,
 * the detections not applied yet, so nothing created then is ever alerted), then against Tripline
 * (the copier stopped). Scale gets a fresh control plane (the first one is stopped first, to leave
 * it the CPU). Benchmarks report, they do not assert: the exit code is non-zero only when the run
 * itself fails (a crash, an operator that died), never because a target was missed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerSettings } from '../../hack/container.js';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import type { OperatorProcess } from '../../hack/operator-process.js';
import { OPERATOR_NODE_FLAGS } from '../../src/runtime/node-flags.js';
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
import {
  burstBesideCopier,
  COPIER_NAMESPACE,
  type CopierProcess,
  latencyBesideCopier,
  startCopier,
} from './copier.js';
import { runCost } from './cost.js';
import { runLatency } from './latency.js';
import { runContext } from './machine.js';
import { KINDS, watchPaths } from './objects.js';
import { type BenchOptions, parseOptions, UsageError } from './options.js';
import { progress } from './progress.js';
import { formatReport } from './report.js';
import type { BenchResults, BurstResult, LatencyResult } from './results.js';
import { TARGETS } from './results.js';
import { runScale } from './scale.js';
import type { Subject } from './subject.js';
import { runTraffic } from './traffic.js';

/** What is running now, so an error or Ctrl-C can stop it. */
const live: { cp?: ControlPlane; op?: OperatorProcess; copier?: CopierProcess } = {};

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** What the copier phase measured, to set beside Tripline's. */
interface CopierFigures {
  latency?: LatencyResult;
  burst?: { result: BurstResult; counters: Awaited<ReturnType<CopierProcess['stop']>> };
}

/**
 * The copier phase: latency and burst with the reference copier as the subject, before the
 * detections exist (objects created now predate them, so the operator started later never alerts
 * them). A fresh copier per scenario, so its counters and peak RSS are the scenario's own.
 */
async function runCopierPhase(
  cp: ControlPlane,
  opts: BenchOptions,
  latencyNs: string[],
  burstNs: string[],
): Promise<CopierFigures> {
  const out: CopierFigures = {};
  const paths = watchPaths(Object.values(KINDS));
  const start = async (): Promise<Subject> => {
    live.copier = await startCopier(cp, paths);
    return { name: 'copier', copier: live.copier };
  };
  const stop = async (subject: Subject, scenario: string) => {
    assertRunning(subject, scenario);
    const counters = await (live.copier as CopierProcess).stop();
    live.copier = undefined;
    progress(`copier: ${JSON.stringify(counters)}`);
    return counters;
  };
  if (latencyNs.length) {
    const subject = await start();
    const env = { cp, subject, prefix: 'copy-lat', namespaces: latencyNs, count: opts.latencyCount };
    out.latency = await runLatency({ ...env, warmup: opts.latencyWarmup, rate: opts.rate });
    await stop(subject, 'latency');
  }
  if (burstNs.length) {
    const subject = await start();
    const env = { cp, subject, prefix: 'copy-burst', namespaces: burstNs, count: opts.burst };
    const result = await runBurst({ ...env, concurrency: opts.burstConcurrency });
    out.burst = { result, counters: await stop(subject, 'burst') };
  }
  return out;
}

/** Latency, burst and cost, on one control plane: the copier phase, then one operator. */
async function runLiveScenarios(opts: BenchOptions, results: BenchResults): Promise<void> {
  const cp = await startCluster('cluster A');
  live.cp = cp;
  try {
    await installCrds(cp);
    const latencyNs = opts.only.includes('latency') ? names('lat', 5) : [];
    const burstNs = opts.only.includes('burst') ? names('burst', opts.burstNamespaces) : [];
    const copierNs = latencyNs.length || burstNs.length ? [COPIER_NAMESPACE] : [];
    const client = benchClient(cp, 16, 'setup');
    await createNamespaces(client, [...latencyNs, ...burstNs, ...copierNs]).finally(() => client.close());
    let copier: CopierFigures = {};
    if (copierNs.length) {
      progress(`cluster A: letting the control plane settle for ${opts.settleMs / 1000} s before the copier`);
      await sleep(opts.settleMs);
      copier = await runCopierPhase(cp, opts, latencyNs, burstNs);
    }
    // The namespaces and the copier phase's objects predate the detections, so they raise nothing.
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
    const subject: Subject = { name: 'tripline', op };
    if (latencyNs.length) {
      const env = { cp, subject, prefix: 'lat', namespaces: latencyNs, count: opts.latencyCount };
      const tripline = await runLatency({ ...env, warmup: opts.latencyWarmup, rate: opts.rate });
      results.latency = copier.latency ? latencyBesideCopier(tripline, copier.latency) : tripline;
      assertAlive(op, 'latency');
    }
    if (burstNs.length) {
      const env = { cp, subject, prefix: 'burst', namespaces: burstNs, count: opts.burst };
      const tripline = await runBurst({ ...env, concurrency: opts.burstConcurrency });
      const c = copier.burst;
      results.burst = c ? burstBesideCopier(tripline, c.result, c.counters) : tripline;
      assertAlive(op, 'burst');
    }
    if (opts.only.includes('cost')) {
      // Last on this control plane: it stops the operator so that nothing else writes while it measures.
      const stop = async () => {
        assertAlive(op, 'cost');
        await stopOperator(op);
      };
      results.cost = await runCost({ cp, stopOperator: stop, count: opts.costCount });
      results.stored = { bytesPerAlert: results.cost.sample.storedBytes };
    }
  } finally {
    await live.copier?.stop().catch(() => undefined);
    live.copier = undefined;
    await stopOperator(live.op);
    live.op = undefined;
    await cp.stop();
    live.cp = undefined;
  }
}

function assertRunning(s: Subject, scenario: string): void {
  if (s.name === 'copier' && !s.copier.running()) throw new Error(`the copier died during ${scenario}`);
  if (s.name === 'tripline') assertAlive(s.op, scenario);
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
  const c = l.copier;
  await writeFile(
    svg,
    latencyChart({
      floorMs: c ? c.samples.latencyMs : l.samples.floorMs,
      floorLabel: c ? 'reference copier: its record’s watch event' : undefined,
      latencyMs: l.samples.latencyMs,
      title: c
        ? 'Tripline: create acknowledged → AuditAlert seen by a watcher, against the reference copier'
        : 'Tripline: create acknowledged → AuditAlert seen by a watcher, against the floor',
      subtitle: [
        c
          ? `${l.measured} creates of mixed kinds at ${l.ratePerSecond}/s · p99 ${l.latencyMs.p99} ms vs copier ${c.latencyMs.p99} ms = ${l.vsCopier?.p99}× (target ≤ ${TARGETS.latencyP99VsCopier}×)`
          : `${l.measured} creates of mixed kinds at ${l.ratePerSecond}/s · p99 ${l.latencyMs.p99} ms vs floor ${l.floorMs.p99} ms = ${l.p99Ratio}×`,
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
      live.copier?.proc.kill('SIGKILL');
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
  const container = containerSettings(repoRoot());
  // The operator runs with OPERATOR_NODE_FLAGS (hack/operator-process.ts): the image's, or the figures lie.
  if (container.nodeFlags.join(' ') !== OPERATOR_NODE_FLAGS.join(' '))
    throw new Error(
      `the Dockerfile ENTRYPOINT's Node flags (${container.nodeFlags.join(' ')}) differ from src/runtime/node-flags.ts (${OPERATOR_NODE_FLAGS.join(' ')})`,
    );
  const results: BenchResults = {
    ...runContext(repoRoot()),
    options: opts,
    durationSeconds: 0,
    targets: TARGETS,
    container,
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
