import { FIELD_MANAGER, LABELS, MANAGED_BY, SEVERITIES } from '../api/constants.js';
import type { KubeApi } from '../kube/api.js';
import { classifyError, isForbidden, isNotFound } from '../kube/errors.js';
import { every, type Periodic } from '../runtime/periodic.js';
import { MAX_OPEN_ALERTS } from './open-alerts.js';
import { DeliveryError, Outbox } from './outbox.js';
import type { AlertView, Sink, SinkDeps, SinkEntry } from './sink.js';

/** A report API: the namespaced kind for namespaced subjects, the cluster kind for the others. */
export interface ReportApi {
  group: string;
  version: string;
  namespaced: { resource: string; kind: string };
  cluster: { resource: string; kind: string };
}

/** The report APIs Policy Reporter reads, in order of preference. */
export const REPORT_APIS: readonly ReportApi[] = [
  {
    group: 'wgpolicyk8s.io',
    version: 'v1alpha2',
    namespaced: { resource: 'policyreports', kind: 'PolicyReport' },
    cluster: { resource: 'clusterpolicyreports', kind: 'ClusterPolicyReport' },
  },
  {
    group: 'openreports.io',
    version: 'v1alpha1',
    namespaced: { resource: 'reports', kind: 'Report' },
    cluster: { resource: 'clusterreports', kind: 'ClusterReport' },
  },
];

/** Name of Tripline's report in each namespace, and of its cluster report. */
export const REPORT_NAME = 'tripline';
/** `source` of every result: how Policy Reporter groups Tripline's findings. */
export const REPORT_SOURCE = 'tripline';
/** Annotation saying how many results did not fit (`policyReportMaxResults`). */
export const OMITTED_ANNOTATION = 'tripline.dev/results-omitted';
/** Severities whose alerts are `fail` results; the others are `warn`. */
const FAILING = new Set(['Critical', 'High', 'Medium']);

const rank = (s: string): number => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);

/**
 * One result of an open alert (wgpolicyk8s.io and openreports.io share the shape); `cluster`
 * (`--cluster-name`) is a property, for Policy Reporter setups that gather several clusters.
 */
export function resultFor(a: AlertView, cluster = ''): Record<string, unknown> {
  const t = Date.parse(a.detectedAt);
  return {
    source: REPORT_SOURCE,
    policy: a.detection,
    rule: a.risks[0]?.id ?? a.detection,
    category: a.category,
    severity: a.severity.toLowerCase(),
    result: FAILING.has(a.severity) ? 'fail' : 'warn',
    scored: true,
    message: a.summary,
    timestamp: { seconds: Number.isNaN(t) ? 0 : Math.floor(t / 1000), nanos: 0 },
    resources: [
      {
        apiVersion: a.subject.apiVersion,
        kind: a.subject.kind,
        name: a.subject.name,
        ...(a.subject.namespace ? { namespace: a.subject.namespace } : {}),
        ...(a.subject.uid ? { uid: a.subject.uid } : {}),
      },
    ],
    properties: {
      alert: a.name,
      state: a.state,
      event: a.event,
      ...(cluster ? { cluster } : {}),
      ...(a.assignee ? { assignee: a.assignee } : {}),
    },
  };
}

/**
 * The whole report of one namespace ("" = the cluster report) from its open alerts: the most
 * severe, then newest, `max` of them; the summary counts what the report holds.
 */
export function reportFor(
  api: ReportApi,
  namespace: string,
  alerts: AlertView[],
  max: number,
  cluster = '',
): object {
  const sorted = [...alerts].sort(
    (x, y) => rank(x.severity) - rank(y.severity) || y.detectedAt.localeCompare(x.detectedAt),
  );
  const results = sorted.slice(0, max).map((a) => resultFor(a, cluster));
  const fail = results.filter((r) => r.result === 'fail').length;
  const kind = namespace ? api.namespaced.kind : api.cluster.kind;
  const omitted = sorted.length - results.length;
  return {
    apiVersion: `${api.group}/${api.version}`,
    kind,
    metadata: {
      name: REPORT_NAME,
      ...(namespace ? { namespace } : {}),
      labels: { [LABELS.managedBy]: MANAGED_BY, ...(cluster ? { [LABELS.cluster]: cluster } : {}) },
      annotations: { [OMITTED_ANNOTATION]: String(omitted) },
    },
    summary: { pass: 0, fail, warn: results.length - fail, error: 0, skip: 0 },
    results,
  };
}

/** The path of Tripline's report in a namespace ("" = the cluster report). */
export function reportPath(api: ReportApi, namespace: string): string {
  const base = `/apis/${api.group}/${api.version}`;
  if (!namespace) return `${base}/${api.cluster.resource}/${REPORT_NAME}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${api.namespaced.resource}/${REPORT_NAME}`;
}

/** The first report API the API server serves (both kinds), or undefined. */
export async function discoverReportApi(client: KubeApi): Promise<ReportApi | undefined> {
  for (const api of REPORT_APIS) {
    try {
      const list = await client.request<{ resources?: { name: string }[] }>(
        'GET',
        `/apis/${api.group}/${api.version}`,
      );
      const names = new Set((list.resources ?? []).map((r) => r.name));
      if (names.has(api.namespaced.resource) && names.has(api.cluster.resource)) return api;
    } catch (err: unknown) {
      if (!isNotFound(err)) throw new Error(`discovering ${api.group}/${api.version}`, { cause: err });
    }
  }
  return undefined;
}

/**
 * PolicyReports (or openreports.io Reports) so Policy Reporter shows Tripline: one report per
 * namespace with a result per open alert there, and a cluster report for cluster-scoped subjects.
 * Level-driven: a namespace's report is rewritten (server-side apply) from the open-alert set when
 * an alert there opens, changes state or is resolved, and deleted when nothing is open. The CRDs are
 * looked for at start and every `policyReportDiscoverySeconds`.
 */
export function policyReportSink(deps: SinkDeps): Sink {
  const s = deps.settings;
  let api: ReportApi | undefined;
  const outbox = new Outbox<string>({
    sink: 'policyreport',
    // One entry per namespace: never more than there are open alerts.
    capacity: Math.max(s.notifyQueueSize, MAX_OPEN_ALERTS),
    maxAttempts: s.notifyMaxAttempts,
    backoff: { baseMs: s.backoffBaseMs, maxMs: s.backoffMaxMs },
    // A burst of alerts in one namespace becomes one write of its report.
    settleMs: 1000,
    deliver: async ([ns]) => {
      if (ns !== undefined && api) await reconcile(deps, api, ns);
    },
    metrics: deps.metrics,
    log: deps.log,
  });
  const enqueue = (ns: string): void => {
    if (api) outbox.push(ns, ns);
  };
  const discover = async (): Promise<void> => {
    const found = await discoverReportApi(deps.client);
    if (found !== api && found) {
      deps.log.info('Found report API, writing reports', { group: found.group, version: found.version });
    } else if (found !== api) {
      deps.log.warn('Report API gone, not writing reports', {});
    } else if (!found && s.policyReports === 'on') {
      deps.log.warn('No report API found (policyReports is on)', {});
    }
    const fresh = found !== undefined && found !== api;
    api = found;
    if (fresh) for (const a of deps.open.values()) enqueue(a.subject.namespace ?? '');
    if (api && deps.open.synced) for (const ns of await staleReports(deps, api)) enqueue(ns);
  };
  let timer: Periodic | undefined;
  return {
    id: 'policyreport',
    openChanged: (alert) => enqueue(alert.subject.namespace ?? ''),
    start: () => {
      outbox.start();
      discover().catch((err: unknown) => deps.log.warn('Report API discovery failed', { err }));
      timer = every(s.policyReportDiscoverySeconds * 1000, discover, deps.log, 'report discovery');
    },
    stop: async () => {
      await timer?.stop();
      await outbox.stop();
    },
  };
}

/** Namespaces holding a Tripline report but no open alert (alerts resolved or deleted while away). */
async function staleReports(deps: SinkDeps, api: ReportApi): Promise<string[]> {
  const out: string[] = [];
  const base = `/apis/${api.group}/${api.version}`;
  for (const resource of [api.namespaced.resource, api.cluster.resource]) {
    const list = await deps.client.request<{ items: { metadata: { namespace?: string } }[] | null }>(
      'GET',
      `${base}/${resource}`,
      { query: { labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` } },
    );
    for (const r of list.items ?? []) {
      const ns = r.metadata.namespace ?? '';
      if (deps.open.inNamespace(ns).length === 0) out.push(ns);
    }
  }
  return out;
}

async function reconcile(deps: SinkDeps, api: ReportApi, namespace: string): Promise<void> {
  const alerts = deps.open.inNamespace(namespace).filter((a) => deps.routed(a));
  const path = reportPath(api, namespace);
  try {
    if (alerts.length === 0) {
      // Until every alert is listed, an empty namespace may only look empty: keep its report.
      if (!deps.open.synced) return;
      await deps.client.request('DELETE', path);
      return;
    }
    const body = reportFor(
      api,
      namespace,
      alerts,
      deps.settings.policyReportMaxResults,
      deps.settings.clusterName,
    );
    await deps.client.request('PATCH', path, {
      query: { fieldManager: FIELD_MANAGER, force: true },
      body,
      contentType: 'application/apply-patch+yaml',
    });
  } catch (err: unknown) {
    if (alerts.length === 0 && isNotFound(err)) return; // already gone
    // Forbidden is not retried here: the PolicyReport CRD or its RBAC is missing, as a rule for good.
    const retryable = classifyError(err) === 'retry' && !isForbidden(err);
    throw new DeliveryError(`writing report ${namespace || '(cluster)'}/${REPORT_NAME}`, {
      retryable,
      cause: err,
    });
  }
}

/** Registry entry (sinks.ts). */
export const POLICY_REPORT_SINK: SinkEntry = {
  id: 'policyreport',
  enabled: (s) => s.policyReports !== 'off',
  create: policyReportSink,
};
