/**
 * Cost: what one create costs the API server, for a Pod and for an AuditAlert as the operator
 * writes it, measured on the same control plane in the same run. On 2 cores the API server is the
 * bottleneck of the latency and burst scenarios, so this is the figure that explains them.
 *
 * The operator raises one real alert (a Pod's) and is then stopped, so nothing else writes while
 * the same number of objects of each variant is created with a few requests in flight:
 * - `Pod`: the bulk Pod of the other scenarios;
 * - `ConfigMap`: the alert's spec as one string, the same bytes with no structure;
 * - `AuditAlert`: the alert exactly as raised (its spec, labels and a new name);
 * - `AuditAlert, required fields only`: without evidence, risks, whoCan, steps and notes.
 * The CPU of kube-apiserver and etcd comes from /proc over each variant's creates.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { alertName } from '../../src/alerts/name.js';
import { API_VERSION } from '../../src/api/constants.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import { isNotFound } from '../../src/kube/errors.js';
import { benchClient } from './cluster.js';
import { controlPlanePids, cpuMeter } from './cpu.js';
import { closedLoop } from './load.js';
import { KINDS } from './objects.js';
import { progress } from './progress.js';
import type { CostResult, CostVariant } from './results.js';
import { ratio, round } from './stats.js';
import { ALERTS_PATH } from './watcher.js';

/** What the cost scenario runs against. */
export interface CostEnv {
  cp: ControlPlane;
  /** Stops the operator once it raised the sample alert (nothing else may write while measuring). */
  stopOperator(): Promise<void>;
  /** Creates measured per variant. */
  count: number;
}

/** Creates in flight while measuring: enough to keep both cores busy, few enough not to queue. */
const IN_FLIGHT = 16;
/** Unmeasured creates before each variant (first use of a code path, caches). */
const WARMUP = 50;
const NAMESPACE = 'default';
const SAMPLE_WAIT_MS = 60_000;

type Client = ReturnType<typeof benchClient>;

interface Variant {
  name: string;
  collection: string;
  body(i: number): object;
}

/** Runs the cost scenario and returns its figures. */
export async function runCost(env: CostEnv): Promise<CostResult> {
  const client = benchClient(env.cp, IN_FLIGHT, 'cost');
  try {
    const sample = await raisedAlert(client);
    await env.stopOperator();
    const variants = variantsOf(sample.spec, sample.metadata?.labels ?? {});
    const measured: CostVariant[] = [];
    for (const v of variants) measured.push(await measure(env, client, v));
    const pod = measured[0] as CostVariant;
    const alert = measured[2] as CostVariant;
    return {
      count: env.count,
      inFlight: IN_FLIGHT,
      variants: measured,
      alertVsPod: round(ratio(alert.apiserverMs, pod.apiserverMs), 2),
    };
  } finally {
    client.close();
  }
}

/** A Pod raises its workload-created alert; that alert, as stored, is the sample. */
async function raisedAlert(client: Client): Promise<AuditAlert> {
  const pod = await client.request<KubeObject>('POST', KINDS.Pod.collection(NAMESPACE), {
    body: KINDS.Pod.body(`cost-sample-${Date.now()}`),
  });
  const path = `${ALERTS_PATH}/${alertName(KINDS.Pod.detection, pod.metadata.uid as string)}`;
  const deadline = performance.now() + SAMPLE_WAIT_MS;
  while (performance.now() < deadline) {
    try {
      return await client.request<AuditAlert>('GET', path);
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err;
    }
    await sleep(100);
  }
  throw new Error(`cost: no alert for the sample Pod within ${SAMPLE_WAIT_MS / 1000} s (${path})`);
}

function variantsOf(spec: AuditAlert['spec'], labels: Record<string, string>): Variant[] {
  const alert = (name: string, s: object) => ({
    apiVersion: API_VERSION,
    kind: 'AuditAlert',
    metadata: { name, labels },
    spec: s,
  });
  const { detection, severity, category, event, summary, subject, detectedAt } = spec;
  const required = { detection, severity, category, event, summary, subject, detectedAt };
  const text = JSON.stringify(spec);
  return [
    {
      name: 'Pod',
      collection: KINDS.Pod.collection(NAMESPACE),
      body: (i) => KINDS.Pod.body(`cost-pod-${i}`),
    },
    {
      name: 'ConfigMap (the alert spec as one string)',
      collection: `/api/v1/namespaces/${NAMESPACE}/configmaps`,
      body: (i) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cost-cm-${i}` },
        data: { spec: text },
      }),
    },
    { name: 'AuditAlert as raised', collection: ALERTS_PATH, body: (i) => alert(`cost-alert-${i}`, spec) },
    {
      name: 'AuditAlert, required fields only',
      collection: ALERTS_PATH,
      body: (i) => alert(`cost-minimal-${i}`, required),
    },
  ];
}

async function measure(env: CostEnv, client: Client, v: Variant): Promise<CostVariant> {
  const create = (i: number) =>
    client.request('POST', v.collection, { body: v.body(i) }).then(() => undefined);
  await closedLoop(WARMUP, IN_FLIGHT, (i) => create(env.count + i));
  const cpu = cpuMeter(controlPlanePids(env.cp.dir));
  const t0 = performance.now();
  await closedLoop(env.count, IN_FLIGHT, create);
  const wallMs = performance.now() - t0;
  const usage = cpu();
  const per = (role: string) => round(((usage.seconds[role] ?? 0) * 1000) / env.count, 2);
  const result = {
    name: v.name,
    bytes: JSON.stringify(v.body(0)).length,
    apiserverMs: per('apiserver'),
    etcdMs: per('etcd'),
    wallMs: round(wallMs / env.count, 2),
  };
  progress(`cost: ${JSON.stringify(result)}`);
  return result;
}
