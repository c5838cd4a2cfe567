import type { Enricher, EnrichInput, Enrichment } from '../alerts/enrich.js';
import type { WhoCanEntry } from '../api/generated/audit-alert.js';
import type { KubeObject } from '../api/kube-object.js';
import type { KubeApi } from '../kube/api.js';
import { isForbidden, isNotFound } from '../kube/errors.js';
import { truncateUtf8 } from '../subjects/read.js';
import { WORKLOAD_KINDS } from '../subjects/workload/analyse.js';
import { bindingEnricher } from './binding-enricher.js';
import { describeBinding } from './describe.js';
import { morePointer, questionFor, whoCanSummary } from './question.js';
import type { RbacView } from './rbac-index.js';
import { analyseServiceAccount, type ServiceAccountRef, tokenMount } from './service-account.js';
import { gapNotes } from './state.js';
import { SUPERUSER_GROUP, type WhoCanQuestion, whoCan } from './who-can.js';

/** What the RBAC enrichers need. */
export interface RbacEnricherDeps {
  index: RbacView;
  /** Reads ServiceAccounts (their `automountServiceAccountToken`). */
  client: KubeApi;
  /** Longest whoCan list in an alert; the rest is counted and one `kubectl tripline who-can` away. */
  whoCanLimit: number;
  /** How long after the index's start an alert waits for its first sync (later ones never wait). */
  syncWaitMs: number;
}

/** maxLength of `whoCan[].name` and `whoCan[].via` in the AuditAlert CRD. */
const LIMITS = { name: 512, via: 1024 } as const;

/** The note when the index has not listed everything yet: no answer rather than a wrong one. */
export const NOT_SYNCED_NOTE = 'rbac index not synced yet; RBAC facts left out';

/** The who-can question of an alert, or undefined for events no verb describes (traffic). */
export function questionOf(input: EnrichInput): WhoCanQuestion | undefined {
  return questionFor(input.alert.spec.event, input.resource, input.subject.metadata.namespace);
}

/**
 * Who else may do what the alert's subject shows was done, there: every User, Group and
 * ServiceAccount that RBAC allows the same verb on the same resource in the same namespace (or
 * cluster-wide), with the binding and role that grant it. For Roles and ClusterRoles also who may
 * bind or escalate them.
 */
export function whoCanEnricher(deps: RbacEnricherDeps): Enricher {
  return {
    name: 'who-can',
    async enrich(input): Promise<Enrichment | undefined> {
      const q = questionOf(input);
      if (!q) return undefined;
      if (!(await deps.index.whenSynced(deps.syncWaitMs))) return { notes: [`who-can: ${NOT_SYNCED_NOTE}`] };
      const answer = whoCan(deps.index.state, q, deps.whoCanLimit);
      const entries = answer.grants.map(
        (g): WhoCanEntry => ({
          kind: g.subject.kind,
          // The CRD bounds both; a longer user name is cut rather than failing the alert's write.
          name: truncateUtf8(g.subject.name, LIMITS.name),
          ...(g.subject.namespace ? { namespace: g.subject.namespace } : {}),
          via: truncateUtf8(describeBinding(g.binding), LIMITS.via),
          verbs: g.verbs,
        }),
      );
      const notes = [
        `who-can: members of group ${SUPERUSER_GROUP} can do this too; they bypass RBAC, so they are not listed`,
        ...gapNotes('who-can', deps.index.state),
      ];
      const omitted = answer.total - entries.length;
      if (omitted > 0)
        notes.push(
          `who-can: ${entries.length} of ${answer.total} grants listed, most specific first; ${morePointer(input.alert.metadata.name ?? 'NAME', omitted)}`,
        );
      return {
        whoCan: entries,
        evidence: { whoCanSummary: whoCanSummary(q, answer.total, entries.length) },
        notes,
      };
    },
  };
}

/** Reads a field path of unknown JSON. */
function at(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const key of path)
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

/** The pod spec of a workload subject, or undefined when the subject is not a workload. */
function podSpecOf(input: EnrichInput): Record<string, unknown> | undefined {
  const path = WORKLOAD_KINDS[input.subject.kind ?? ''];
  if (!path || !WORKLOAD_GROUPS.has(input.resource.group)) return undefined;
  const spec = at(input.subject, path);
  return spec && typeof spec === 'object' ? (spec as Record<string, unknown>) : undefined;
}

/** Groups whose {@link WORKLOAD_KINDS} are the built-in workloads (not a CRD's kind of the same name). */
const WORKLOAD_GROUPS = new Set(['', 'apps', 'batch', 'extensions']);

const hasProjectedToken = (spec: Record<string, unknown>): boolean =>
  (Array.isArray(spec.volumes) ? spec.volumes : []).some((v) => {
    const sources = at(v, ['projected', 'sources']);
    return Array.isArray(sources) && sources.some((s) => at(s, ['serviceAccountToken']) !== undefined);
  });

/** The ServiceAccount's own automount setting; a note instead when it cannot be read. */
async function accountAutomount(client: KubeApi, sa: ServiceAccountRef): Promise<AutomountAnswer> {
  const path = `/api/v1/namespaces/${encodeURIComponent(sa.namespace)}/serviceaccounts/${encodeURIComponent(sa.name)}`;
  try {
    const obj = await client.request<KubeObject>('GET', path);
    return typeof obj.automountServiceAccountToken === 'boolean'
      ? { value: obj.automountServiceAccountToken }
      : {};
  } catch (err: unknown) {
    const definite = isNotFound(err) || isForbidden(err);
    const why = isNotFound(err)
      ? 'does not exist (yet)'
      : isForbidden(err)
        ? 'is not readable (forbidden)'
        : 'could not be read';
    return {
      note: `service-account: ServiceAccount ${sa.namespace}/${sa.name} ${why}; token automount taken as true`,
      transient: !definite,
    };
  }
}

/** A ServiceAccount's automount setting, or why it is unknown. */
interface AutomountAnswer {
  value?: boolean;
  note?: string;
  /** The read failed in a way that may pass (5xx, network): not worth remembering. */
  transient?: boolean;
}

/** How long a ServiceAccount's automount setting is reused: a burst of Pods shares one read. */
const AUTOMOUNT_TTL_MS = 30_000;
/** How long "does not exist" and "forbidden" are reused: a burst shares them, a new account shows soon. */
const AUTOMOUNT_MISSING_TTL_MS = 5_000;
/** Most ServiceAccounts remembered (oldest forgotten first). */
const AUTOMOUNT_CACHE_SIZE = 1000;

/**
 * {@link accountAutomount} with a short-lived cache of answers (and of reads in flight), so that
 * 10,000 new Pods of one Deployment cost one ServiceAccount read, not 10,000. "Missing" and
 * "forbidden" are kept briefly; transient failures are not kept.
 */
function cachedAutomount(
  client: KubeApi,
  now: () => number = Date.now,
): (sa: ServiceAccountRef) => Promise<AutomountAnswer> {
  const cache = new Map<string, { at: number; ttlMs: number; answer: Promise<AutomountAnswer> }>();
  return (sa) => {
    const key = `${sa.namespace}/${sa.name}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at < hit.ttlMs) return hit.answer;
    const answer = accountAutomount(client, sa);
    const entry = { at: now(), ttlMs: AUTOMOUNT_TTL_MS, answer };
    cache.delete(key);
    cache.set(key, entry);
    if (cache.size > AUTOMOUNT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    void answer.then((a) => {
      if (a.transient && cache.get(key) === entry) cache.delete(key);
      else if (a.note !== undefined) entry.ttlMs = AUTOMOUNT_MISSING_TTL_MS;
    });
    return answer;
  };
}

/**
 * What the new workload may do: the effective RBAC permissions of its pod's service account
 * (`spec.serviceAccountName`, else `default`) in its namespace, as `evidence.serviceAccount`, with
 * risks (`serviceaccount.*`) for reading Secrets, exec, creating workloads, bind/escalate,
 * impersonation and cluster-admin, each naming the binding that grants it.
 */
export function serviceAccountEnricher(deps: RbacEnricherDeps): Enricher {
  const automount = cachedAutomount(deps.client);
  return {
    name: 'service-account',
    async enrich(input): Promise<Enrichment | undefined> {
      const namespace = input.subject.metadata.namespace;
      const spec = podSpecOf(input);
      if (!spec || !namespace || input.alert.spec.event === 'Deleted') return undefined;
      const name =
        (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName) ||
        (typeof spec.serviceAccount === 'string' && spec.serviceAccount) ||
        'default';
      const sa = { namespace, name };
      const podAutomount =
        typeof spec.automountServiceAccountToken === 'boolean'
          ? spec.automountServiceAccountToken
          : undefined;
      const own = podAutomount === undefined ? await automount(sa) : {};
      const notes = own.note ? [own.note] : [];
      if (!(await deps.index.whenSynced(deps.syncWaitMs)))
        return { notes: [...notes, `service-account: ${NOT_SYNCED_NOTE}`] };
      const token = tokenMount(podAutomount, own.value, hasProjectedToken(spec));
      const analysis = analyseServiceAccount(deps.index.state, sa, token);
      notes.push(...gapNotes('service-account', deps.index.state));
      return { evidence: { serviceAccount: analysis.evidence }, risks: analysis.risks, notes };
    },
  };
}

/** The RBAC enrichers, in the order they appear in alerts. */
export const rbacEnrichers = (deps: RbacEnricherDeps): Enricher[] => [
  whoCanEnricher(deps),
  serviceAccountEnricher(deps),
  bindingEnricher({ index: deps.index, syncWaitMs: deps.syncWaitMs, notSyncedNote: NOT_SYNCED_NOTE }),
];
