/**
 * Cost: what one create costs the API server and etcd, for the object an alert is about and for the
 * AuditAlert as the operator raises it, then for that alert with each of its parts removed in turn
 * (the ablation of issue 19), all on the same control plane in the same run. On 2 cores the API
 * server is the bottleneck of the latency and burst scenarios, so this is the figure that explains
 * them, and the ablation says which part of the alert to reshape.
 *
 * The operator raises one real alert (for a Deployment as `kubectl apply` creates it) and is then
 * stopped, so nothing else writes while each variant is created `count` times with a few requests in
 * flight. The CPU of kube-apiserver and etcd comes from /proc over each variant's creates. Schema
 * features (CEL rules, defaults, formats) are ablated with copies of the AuditAlert CRD in groups of
 * their own (`<variant>.bench.tripline.dev`), installed when the scenario starts, so the copies are
 * identical to the shipped CRD but for what each one removes. managedFields cannot be ablated on a
 * create (`managedFields: [{}]` only drops earlier managers; the create's own entry is always
 * recorded), so their size in the stored alert is reported instead.
 *
 * The variants are measured in rounds, each round creating `count / ROUNDS` of every variant in turn,
 * and a variant's figure is the median of its rounds. One garbage collection of the API server's
 * heap (hundreds of MB: its watch cache keeps recent events, deleted objects included) costs about
 * as much CPU as a whole round of one variant, and lands on whichever variant runs at that moment;
 * the median leaves those rounds out, for every variant alike (their mean is recorded too).
 *
 * Also measured: the bytes etcd stores for each variant's first object and for the raised alert
 * itself, and the API server's live heap before and after 2,000 alerts as raised are created and
 * kept (its watch cache keeps every object decoded): with etcd's bytes, what retained alerts cost.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { etcdValueBytes } from '../../hack/controlplane/etcd.js';
import { request } from '../../hack/controlplane/http.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { alertName } from '../../src/alerts/name.js';
import { ALERTS_PATH, API_VERSION, GROUP, VERSION } from '../../src/api/constants.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import { isNotFound } from '../../src/kube/errors.js';
import { benchClient } from './cluster.js';
import { controlPlanePids, cpuMeter } from './cpu.js';
import { closedLoop } from './load.js';
import { KINDS } from './objects.js';
import { progress } from './progress.js';
import { appliedDeployment, CONTROLLER_MANAGER, controlledPod, KUBECTL_APPLY } from './realistic.js';
import type { CostResult, CostVariant } from './results.js';
import { ratio, round, summarize } from './stats.js';

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
/** After the CRD copies are established the API server republishes OpenAPI for a while. */
const CRD_SETTLE_MS = 10_000;
/** Rounds over all variants (see the module comment). */
const ROUNDS = 10;
/** Pause after a round's delete, so its watch-cache work is not counted in the next variant's round. */
const AFTER_DELETE_MS = 150;

type Client = ReturnType<typeof benchClient>;
type Spec = AuditAlert['spec'];

/** A copy of the AuditAlert CRD without some schema features, in a group of its own. */
interface CrdCopy {
  /** First label of the group: `<id>.bench.tripline.dev`. */
  id: string;
  strip: readonly string[];
  /** Replace the spec's schema with `x-kubernetes-preserve-unknown-fields` (no structure at all). */
  schemaless?: boolean;
  /** Drop the selectable fields (field selectors on spec fields). */
  noSelectable?: boolean;
  /** Spec lists whose items keep no schema (`x-kubernetes-preserve-unknown-fields`): nothing per item to prune or validate. */
  looseItems?: readonly string[];
}

const CRD_COPIES: readonly CrdCopy[] = [
  { id: 'nocel', strip: ['x-kubernetes-validations'] },
  { id: 'nodefault', strip: ['default'] },
  { id: 'noformat', strip: ['format'] },
  { id: 'noselect', strip: [], noSelectable: true },
  { id: 'plain', strip: ['x-kubernetes-validations', 'default', 'format'], noSelectable: true },
  { id: 'looselists', strip: [], looseItems: ['investigation', 'resolution', 'risks', 'whoCan'] },
  { id: 'schemaless', strip: [], schemaless: true, noSelectable: true },
];

const copyGroup = (c: CrdCopy): string => `${c.id}.bench.${GROUP}`;
const copyPath = (c: CrdCopy): string => `/apis/${copyGroup(c)}/${VERSION}/auditalerts`;

interface Variant {
  /** Stable id, used by the report and the ADR's table. */
  id: string;
  name: string;
  collection: string;
  body(i: number): object;
  /** The etcd key of the object `body(0)` creates. */
  etcdKey: string;
  /** Query parameters of the create (the field manager of the object's real creator). */
  query?: Record<string, string>;
}

/** Runs the cost scenario and returns its figures. */
export async function runCost(env: CostEnv): Promise<CostResult> {
  const client = benchClient(env.cp, IN_FLIGHT, 'cost');
  try {
    await installCrdCopies(client);
    const sample = await raisedAlert(client);
    await env.stopOperator();
    const sampleBytes = await etcdValueBytes(
      env.cp.etcdUrl,
      `/registry/${GROUP}/auditalerts/${sample.metadata?.name}`,
    );
    const variants = variantsOf(sample);
    const perRound = Math.max(1, Math.round(env.count / ROUNDS));
    const totals = new Map<string, Totals[]>();
    for (const v of variants) await warmUp(client, v);
    for (let round = 0; round < ROUNDS; round++) {
      progress(
        `cost: round ${round + 1} of ${ROUNDS}, ${perRound} creates of each of ${variants.length} variants`,
      );
      for (const v of variants) {
        addTotals(totals, v.id, await measure(env, client, v, round * perRound, perRound));
        await deleteRound(client, v);
        await sleep(AFTER_DELETE_MS);
      }
      progress(`cost: round ${round + 1} done; kube-apiserver live heap ${await apiserverHeapMb(env.cp)} MB`);
    }
    const measured: CostVariant[] = [];
    for (const v of variants) measured.push(await variantFigures(env, v, totals.get(v.id) as Totals[]));
    const memory = await keptAlertsMemory(env.cp, client, variants.find((v) => v.id === 'alert') as Variant);
    const by = (id: string) => measured.find((m) => m.id === id) as CostVariant;
    const alert = by('alert');
    return {
      count: perRound * ROUNDS,
      rounds: ROUNDS,
      inFlight: IN_FLIGHT,
      variants: measured,
      alertVsPod: round(ratio(alert.apiserverMs, by('pod').apiserverMs), 2),
      alertVsRealistic: round(ratio(alert.apiserverMs, by('deployment').apiserverMs), 2),
      realistic: 'deployment',
      sample: {
        detection: sample.spec.detection.name,
        subjectKind: sample.spec.subject.kind,
        requestBytes: JSON.stringify(sample.spec).length,
        storedBytes: sampleBytes ?? 0,
        managedFieldsBytes: JSON.stringify(sample.metadata?.managedFields ?? []).length,
        parts: partSizes(sample.spec),
        alert: sample,
      },
      apiserverMemory: memory,
    };
  } finally {
    client.close();
  }
}

/** A Deployment as `kubectl apply` creates it raises its workload-created alert; that alert, as stored, is the sample. */
async function raisedAlert(client: Client): Promise<AuditAlert> {
  const name = `cost-sample-${Date.now()}`;
  const dep = await client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, {
    body: appliedDeployment(name, NAMESPACE),
    query: { fieldManager: KUBECTL_APPLY },
  });
  const path = `${ALERTS_PATH}/${alertName('workload-created', dep.metadata.uid as string)}`;
  const deadline = performance.now() + SAMPLE_WAIT_MS;
  while (performance.now() < deadline) {
    try {
      return await client.request<AuditAlert>('GET', path);
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err;
    }
    await sleep(100);
  }
  throw new Error(`cost: no alert for the sample Deployment within ${SAMPLE_WAIT_MS / 1000} s (${path})`);
}

/** The parts of the spec the ablation removes, each with what it removes. */
const PARTS: readonly { id: string; name: string; keys: readonly (keyof Spec)[] }[] = [
  { id: 'steps', name: 'without steps (investigation, resolution)', keys: ['investigation', 'resolution'] },
  { id: 'evidence', name: 'without evidence', keys: ['evidence'] },
  { id: 'risks', name: 'without risks', keys: ['risks'] },
  { id: 'whoCan', name: 'without whoCan', keys: ['whoCan'] },
  { id: 'actor', name: 'without actor', keys: ['actor'] },
  { id: 'notes', name: 'without notes', keys: ['notes'] },
];

/** Bytes of each part of the sample's spec as JSON, the ones the ablation removes and the rest. */
function partSizes(spec: Spec): Record<string, number> {
  const out: Record<string, number> = {};
  const rest: Record<string, unknown> = { ...spec };
  for (const p of PARTS) {
    out[p.id] = p.keys.reduce((n, k) => n + (spec[k] === undefined ? 0 : JSON.stringify(spec[k]).length), 0);
    for (const k of p.keys) delete rest[k];
  }
  out.rest = JSON.stringify(rest).length;
  return out;
}

function variantsOf(sample: AuditAlert): Variant[] {
  const spec = sample.spec;
  const labels = sample.metadata?.labels ?? {};
  const alertBody = (apiVersion: string, name: string, s: object) => ({
    apiVersion,
    kind: 'AuditAlert',
    metadata: { name, labels },
    spec: s,
  });
  const alert = (id: string, name: string, s: object): Variant => ({
    id,
    name: `AuditAlert ${name}`,
    collection: ALERTS_PATH,
    body: (i) => alertBody(API_VERSION, `cost-${id.toLowerCase()}-${i}`, s),
    etcdKey: `/registry/${GROUP}/auditalerts/cost-${id.toLowerCase()}-0`,
  });
  const without = (keys: readonly (keyof Spec)[]) =>
    Object.fromEntries(Object.entries(spec).filter(([k]) => !keys.includes(k as keyof Spec)));
  const { detection, severity, category, event, summary, subject, detectedAt } = spec;
  const required = { detection, severity, category, event, summary, subject, detectedAt };
  const copies = CRD_COPIES.map(
    (c): Variant => ({
      id: `crd-${c.id}`,
      name: `AuditAlert as raised, CRD ${copyLabel(c)}`,
      collection: copyPath(c),
      body: (i) => alertBody(`${copyGroup(c)}/${VERSION}`, `cost-${c.id}-${i}`, spec),
      etcdKey: `/registry/${copyGroup(c)}/auditalerts/cost-${c.id}-0`,
    }),
  );
  return [
    builtIn('deployment', 'Deployment as kubectl apply creates it', '/apis/apps/v1', 'deployments', {
      body: (name) => appliedDeployment(name, NAMESPACE),
      query: { fieldManager: KUBECTL_APPLY },
    }),
    builtIn('pod-controlled', 'Pod as its ReplicaSet makes it', '/api/v1', 'pods', {
      body: (name) => controlledPod(name, NAMESPACE),
      query: { fieldManager: CONTROLLER_MANAGER },
    }),
    builtIn('pod', 'Pod, minimal (the other scenarios’)', '/api/v1', 'pods', { body: KINDS.Pod.body }),
    builtIn('configmap', 'ConfigMap (the alert spec as one string)', '/api/v1', 'configmaps', {
      body: (name) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name },
        data: { spec: JSON.stringify(spec) },
      }),
    }),
    alert('alert', 'as raised', spec),
    ...PARTS.filter((p) => p.keys.some((k) => spec[k] !== undefined)).map((p) =>
      alert(`no-${p.id}`, p.name, without(p.keys)),
    ),
    ...copies,
    alert('required', 'required fields only', required),
  ];
}

/** A variant of a built-in kind in {@link NAMESPACE}: objects `cost-<id>-<i>`, stored under `/registry/<resource>/`. */
function builtIn(
  id: string,
  name: string,
  apiPath: string,
  resource: string,
  v: { body: (name: string) => object; query?: Record<string, string> },
): Variant {
  return {
    id,
    name,
    collection: `${apiPath}/namespaces/${NAMESPACE}/${resource}`,
    body: (i) => v.body(`cost-${id}-${i}`),
    etcdKey: `/registry/${resource}/${NAMESPACE}/cost-${id}-0`,
    query: v.query,
  };
}

const copyLabel = (c: CrdCopy): string => {
  if (c.schemaless) return 'with no schema for spec (preserve-unknown-fields) and no selectable fields';
  if (c.looseItems) return `with no schema for the items of ${c.looseItems.join(', ')}`;
  const parts = c.strip.map((s) => (s === 'x-kubernetes-validations' ? 'CEL rules' : `${s}s`));
  if (c.noSelectable) parts.push('selectable fields');
  return `without ${parts.join(', ')}`;
};

/** Installs the CRD copies of {@link CRD_COPIES} and waits until each is Established. */
async function installCrdCopies(client: Client): Promise<void> {
  const crd = YAML.parse(readFileSync(path.join(repoRoot(), 'crds', `${GROUP}_auditalerts.yaml`), 'utf8'));
  for (const c of CRD_COPIES) {
    const copy = structuredClone(crd);
    copy.metadata = { name: `auditalerts.${copyGroup(c)}` };
    copy.spec.group = copyGroup(c);
    for (const v of copy.spec.versions) {
      const schema = v.schema.openAPIV3Schema;
      if (c.schemaless)
        schema.properties.spec = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      stripKeywords(schema, c.strip);
      if (c.noSelectable) delete v.selectableFields;
    }
    await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: copy });
  }
  for (const c of CRD_COPIES) await waitEstablished(client, `auditalerts.${copyGroup(c)}`);
  progress(`cost: ${CRD_COPIES.length} CRD copies established; letting the API server settle`);
  await sleep(CRD_SETTLE_MS);
}

/**
 * Removes schema keywords from a structural schema and every schema below it. Only schema nodes are
 * touched: a property that happens to be named like a keyword (`default`, `format`) is kept.
 */
export function stripKeywords(schema: Record<string, unknown>, keywords: readonly string[]): void {
  for (const k of keywords) delete schema[k];
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  for (const child of Object.values(props ?? {})) stripKeywords(child, keywords);
  for (const k of ['items', 'additionalProperties', 'not']) {
    const child = schema[k];
    if (child && typeof child === 'object') stripKeywords(child as Record<string, unknown>, keywords);
  }
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    for (const child of (schema[k] as Record<string, unknown>[] | undefined) ?? [])
      stripKeywords(child, keywords);
  }
}

async function waitEstablished(client: Client, name: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const crd = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
      'GET',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await sleep(200);
  }
  throw new Error(`cost: CRD ${name} not Established within 30 s`);
}

/**
 * kube-apiserver's Go heap in use, in MB, from its own metrics: what the objects it keeps (the watch
 * cache decodes every stored object) cost it, less noisy than its RSS.
 */
async function apiserverHeapMb(cp: ControlPlane): Promise<number> {
  // A heap profile with gc=1 makes the Go runtime collect first: what is left in use is live.
  await apiserverGet(cp, '/debug/pprof/heap?gc=1');
  return round(metric(await apiserverGet(cp, '/metrics'), 'go_memstats_heap_alloc_bytes') / 2 ** 20, 1);
}

/** A text answer of kube-apiserver (metrics, profiles), read with the admin's client certificate. */
async function apiserverGet(cp: ControlPlane, path: string): Promise<string> {
  const a = cp.access;
  const res = await request(`${cp.server}${path}`, {
    tls: { ca: String(a.ca), cert: String(a.cert), key: String(a.key) },
    timeoutMs: 30_000,
  });
  if (res.status !== 200) throw new Error(`cost: kube-apiserver ${path} answered ${res.status}`);
  return res.body;
}

/** The value of an unlabelled metric in Prometheus text. */
function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  if (!m) throw new Error(`cost: kube-apiserver /metrics has no ${name}`);
  return Number(m[1]);
}

/** Alerts kept to measure what the API server's heap holds per alert. */
const KEPT_ALERTS = 2000;

/** The API server's live heap before and after {@link KEPT_ALERTS} alerts as raised are created and kept. */
async function keptAlertsMemory(
  cp: ControlPlane,
  client: Client,
  alert: Variant,
): Promise<CostResult['apiserverMemory']> {
  const before = await apiserverHeapMb(cp);
  const create = createOf(client, alert);
  await closedLoop(KEPT_ALERTS, IN_FLIGHT, (i) => create(2_000_000 + i));
  const after = await apiserverHeapMb(cp);
  await deleteRound(client, alert);
  return { alerts: KEPT_ALERTS, heapBeforeMb: before, heapAfterMb: after };
}

interface Totals {
  creates: number;
  apiserverSeconds: number;
  etcdSeconds: number;
  wallMs: number;
  /** kube-apiserver's garbage-collector CPU and heap bytes allocated over the round (its Go runtime's own counters). */
  gcSeconds: number;
  allocBytes: number;
}

/** Counters of kube-apiserver's Go runtime, from its /metrics. */
interface GoCounters {
  gcSeconds: number;
  allocBytes: number;
}

async function goCounters(cp: ControlPlane): Promise<GoCounters> {
  const text = await apiserverGet(cp, '/metrics');
  return {
    gcSeconds: metric(text, 'go_cpu_classes_gc_total_cpu_seconds_total'),
    allocBytes: metric(text, 'go_gc_heap_allocs_bytes_total'),
  };
}

function addTotals(all: Map<string, Totals[]>, id: string, t: Totals): void {
  all.set(id, [...(all.get(id) ?? []), t]);
}

/** On every measured object but the variant's first: each round's objects are deleted after it. */
const COST_LABEL = 'bench.tripline.dev/cost';

const labelled = (body: object, id: string): object => {
  const b = body as { metadata: { labels?: Record<string, string> } };
  return { ...b, metadata: { ...b.metadata, labels: { ...b.metadata.labels, [COST_LABEL]: id } } };
};

const createOf = (client: Client, v: Variant) => (i: number) =>
  client
    .request('POST', v.collection, { body: i === 0 ? v.body(0) : labelled(v.body(i), v.id), query: v.query })
    .then(() => undefined);

/**
 * Deletes what a round of the variant created, so the API server's heap (its watch cache holds every
 * object) stays the same size from round to round: otherwise each garbage collection costs more than
 * the one before and lands, whole, on whichever variant runs at that moment.
 */
async function deleteRound(client: Client, v: Variant): Promise<void> {
  await client.request('DELETE', v.collection, { query: { labelSelector: `${COST_LABEL}=${v.id}` } });
}

/** Creates the variant's first object alone (so its stored size is the variant's), then a few unmeasured ones. */
async function warmUp(client: Client, v: Variant): Promise<void> {
  const create = createOf(client, v);
  await create(0);
  await closedLoop(WARMUP, IN_FLIGHT, (i) => create(1_000_000 + i));
}

/** One round of one variant: `n` creates numbered from `from + 1`, with the CPU they cost. */
async function measure(env: CostEnv, client: Client, v: Variant, from: number, n: number): Promise<Totals> {
  const create = createOf(client, v);
  const go0 = await goCounters(env.cp);
  const cpu = cpuMeter(controlPlanePids(env.cp.dir));
  const t0 = performance.now();
  await closedLoop(n, IN_FLIGHT, (i) => create(from + i + 1));
  const wallMs = performance.now() - t0;
  const usage = cpu();
  const go1 = await goCounters(env.cp);
  return {
    creates: n,
    apiserverSeconds: usage.seconds.apiserver ?? 0,
    etcdSeconds: usage.seconds.etcd ?? 0,
    wallMs,
    gcSeconds: go1.gcSeconds - go0.gcSeconds,
    allocBytes: go1.allocBytes - go0.allocBytes,
  };
}

async function variantFigures(env: CostEnv, v: Variant, rounds: Totals[]): Promise<CostVariant> {
  const perCreate = (pick: (t: Totals) => number) =>
    summarize(rounds.map((t) => (pick(t) * 1000) / t.creates));
  const apiserver = perCreate((t) => t.apiserverSeconds);
  const creates = rounds.reduce((n, t) => n + t.creates, 0);
  const result: CostVariant = {
    id: v.id,
    name: v.name,
    bytes: JSON.stringify(v.body(0)).length,
    storedBytes: (await etcdValueBytes(env.cp.etcdUrl, v.etcdKey)) ?? 0,
    apiserverMs: round(apiserver.p50, 2),
    apiserverMeanMs: round(apiserver.mean, 2),
    // Collections end in whichever round they end in: the mean spreads them, the median would say 0.
    apiserverGcMs: round(perCreate((t) => t.gcSeconds).mean, 2),
    allocKB: round(summarize(rounds.map((t) => t.allocBytes / 1024 / t.creates)).p50, 1),
    etcdMs: round(perCreate((t) => t.etcdSeconds).p50, 2),
    wallMs: round(rounds.reduce((n, t) => n + t.wallMs, 0) / creates, 2),
  };
  progress(`cost: ${JSON.stringify(result)}`);
  return result;
}
