/**
 * The memory reference of the scale scenario, run as its own Node process: a plain
 * `@kubernetes/client-node` informer (`makeInformer`, i.e. a `ListWatch` with an unpaginated list
 * function) on Pods across all namespaces, as a typical TypeScript operator would write it. It waits
 * until its cache holds every Pod, stays idle as long as the operator was left idle, then prints one
 * JSON line: `{"readyMs":…,"cpuSeconds":…,"objects":…,"peakRssMB":…,"rssMB":…}` (readyMs and
 * cpuSeconds count from process start to ready, like the operator's spawn → ready).
 *
 * Usage: node dist/test/bench/informer-ref.js KUBECONFIG EXPECTED_PODS IDLE_MS
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { residentMemory } from './memory.js';

const PROGRESS_MS = 5000;
const TIMEOUT_MS = 20 * 60_000;

async function main(argv: string[]): Promise<void> {
  const [kubeconfig, expectedRaw, idleRaw] = argv;
  const expected = Number(expectedRaw);
  const idleMs = Number(idleRaw ?? 5000);
  if (!kubeconfig || !Number.isInteger(expected))
    throw new Error('usage: informer-ref.js KUBECONFIG EXPECTED_PODS IDLE_MS');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
  let failure: unknown;
  let added = 0;
  informer.on('add', () => {
    added++;
  });
  informer.on('error', (err: unknown) => {
    // A plain ListWatch stops on errors; the reference has no figure then, so the parent reports it.
    failure = err;
  });
  const report = setInterval(
    () => process.stderr.write(`informer cache holds ${added}/${expected} Pods\n`),
    PROGRESS_MS,
  );
  try {
    // start() resolves after the (unpaginated) list is in the cache and the watch is opening.
    await informer.start();
    await waitForCache(
      () => added,
      expected,
      () => failure,
    );
  } finally {
    clearInterval(report);
  }
  const readyMs = performance.now();
  const cpu = process.cpuUsage();
  await sleep(idleMs);
  const mem = residentMemory(process.pid);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const out = {
    readyMs,
    cpuSeconds,
    objects: informer.list().length,
    peakRssMB: mem.peakMB,
    rssMB: mem.currentMB,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await informer.stop();
}

async function waitForCache(count: () => number, expected: number, failed: () => unknown): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (count() < expected) {
    const err = failed();
    if (err) throw new Error('informer failed', { cause: err });
    if (performance.now() > deadline)
      throw new Error(`cache holds ${count()}/${expected} Pods after ${TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('informer-ref failed:', err);
    process.exit(1);
  },
);
