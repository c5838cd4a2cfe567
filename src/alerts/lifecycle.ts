import { condition } from '../api/conditions.js';
import { ALERTS_PATH, API_VERSION, FIELD_MANAGER, REMEDIATION_REQUEST } from '../api/constants.js';
import type { AlertHistoryEntry, AuditAlert, Condition } from '../api/generated/audit-alert.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeApi } from '../kube/api.js';
import type { Backoff } from '../kube/backoff.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import {
  type ObservedType,
  ResilientWatch,
  type ResilientWatchOptions,
  WatchOwner,
} from '../kube/list-watch.js';
import type { Discovery } from '../kube/resources.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import { type QueueEvents, type ReconcileResult, WorkQueue } from '../runtime/queue.js';
import {
  execute,
  pendingAction,
  type RemediationOutcome,
  rejection,
  requester,
  subjectResource,
} from './remediation.js';
import { ALERT_CONDITIONS, reconcileStatus, type StatusPatch, touched } from './transitions.js';

/** What the lifecycle controller needs. */
export interface LifecycleDeps {
  client: KubeApi;
  discovery: Discovery;
  clock: Clock;
  log: Logger;
  /** The current AuditDetection of that name, if any. */
  detection(name: string): AuditDetection | undefined;
  /** Who moved `alert` to state `to` (at or after `since`), when request attribution knows (src/actors). */
  changedBy?(alert: string, to: string, since?: Date): string | undefined;
  /** Told what the watch sees and what was recorded (notifications); must not throw or wait. */
  hooks?: LifecycleHooks;
}

/** What the lifecycle controller tells others (src/notify): its watch's view, and recorded changes. */
export interface LifecycleHooks {
  /** Every alert the watch hands over (listed, added, modified, deleted). */
  observed?(type: ObservedType, alert: AuditAlert): void;
  /** A complete list of alerts ended. */
  listed?(): void;
  /** A state change (the history entry appended) and/or a remediation outcome, once written. */
  recorded?(
    alert: AuditAlert,
    change: { entry?: AlertHistoryEntry; remediation?: RemediationOutcome & { action: string } },
  ): void;
}

/** Settings of the lifecycle controller. */
export interface LifecycleOptions {
  watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>;
  backoff: Backoff;
  concurrency: number;
  /** Queue hooks (metrics: depth, terminal errors). */
  queueEvents?: QueueEvents;
}

/**
 * The loop over AuditAlerts (DESIGN §5): records every state change people make in
 * `status.history`, keeps the Acknowledged/Resolved/SubjectPresent/Remediated conditions, and
 * executes remediation requests the alert's detection allows. Writes carry the resourceVersion they
 * were computed from, so a concurrent human patch is never overwritten (409 → re-read, retry).
 */
export class LifecycleController extends WatchOwner {
  readonly #deps: LifecycleDeps;
  readonly #log: Logger;
  protected readonly watch: ResilientWatch;
  readonly #queue: WorkQueue<AuditAlert | undefined>;
  readonly #gone = new Set<string>();

  constructor(opts: LifecycleOptions, deps: LifecycleDeps) {
    super();
    this.#deps = deps;
    this.#log = deps.log.child({ controller: 'lifecycle' });
    this.#queue = new WorkQueue(
      { name: 'lifecycle', concurrency: opts.concurrency, backoff: opts.backoff, events: opts.queueEvents },
      (k, a) => this.#reconcile(k, a),
      this.#log,
    );
    this.watch = new ResilientWatch(
      deps.client,
      { ...opts.watch, path: ALERTS_PATH, apiVersion: API_VERSION, kind: 'AuditAlert' },
      {
        onObject: (type, obj) => {
          deps.hooks?.observed?.(type, obj as unknown as AuditAlert);
          if (type !== 'DELETED') this.#queue.add(obj.metadata.name as string, obj as unknown as AuditAlert);
        },
        onSynced: () => deps.hooks?.listed?.(),
      },
      this.#log,
    );
  }

  /** Stops watching and waits for in-flight work. */
  override async stop(): Promise<void> {
    await super.stop();
    await this.#queue.shutdown();
  }

  /** The subject of this alert was deleted: flip SubjectPresent to False (the alert stays). */
  subjectDeleted(alertName: string): void {
    if (this.#gone.size > 10_000) this.#gone.clear(); // bounded; a missed flip is cosmetic, not a lost alert
    this.#gone.add(alertName);
    this.#queue.add(alertName, undefined);
  }

  async #reconcile(name: string, observed: AuditAlert | undefined): Promise<ReconcileResult> {
    let alert = observed ?? (await this.#get(name));
    for (let attempt = 0; alert && attempt < 5; attempt++) {
      try {
        await this.#converge(alert);
        this.#gone.delete(name);
        return undefined;
      } catch (err: unknown) {
        if (!isConflict(err)) throw err;
        alert = await this.#get(name); // someone patched it meanwhile: recompute from what is there now
      }
    }
    if (alert) throw new Error(`status of AuditAlert ${name} kept changing under the operator`);
    return undefined;
  }

  async #converge(alert: AuditAlert): Promise<void> {
    const name = alert.metadata?.name as string;
    const action = pendingAction(alert);
    const outcome = action ? await this.#remediate(alert, action) : undefined;
    const asker = action ? this.#deps.changedBy?.(name, `${REMEDIATION_REQUEST}${action}`) : undefined;
    const working = outcome ? withOutcome(alert, outcome, asker) : alert;
    const extra = this.#extraConditions(working, name, outcome);
    const patch = reconcileStatus(working, this.#deps.clock.now(), extra);
    if (patch) attributeChange(patch, working, (to, since) => this.#deps.changedBy?.(name, to, since));
    if (!patch && !outcome) return;
    const status: Record<string, unknown> = { ...(patch ?? {}) };
    if (outcome) {
      status.remediation = working.status?.remediation;
      if (outcome.result === 'Succeeded') Object.assign(status, { state: 'Resolved', reason: 'Remediated' });
    }
    await this.#deps.client.request('PATCH', `${ALERTS_PATH}/${encodeURIComponent(name)}/status`, {
      query: { fieldManager: FIELD_MANAGER },
      body: { metadata: { resourceVersion: alert.metadata?.resourceVersion }, status },
      contentType: 'application/merge-patch+json',
    });
    if (outcome) this.#log.info('Recorded remediation', { alert: name, action, result: outcome.result });
    const last = patch?.history?.at(-1);
    const entry =
      last && JSON.stringify(last) !== JSON.stringify(alert.status?.history?.at(-1)) ? last : undefined;
    if (entry || outcome) {
      const written = { ...working, status: { ...working.status, ...status } } as AuditAlert;
      this.#deps.hooks?.recorded?.(written, {
        ...(entry ? { entry } : {}),
        ...(outcome && action ? { remediation: { ...outcome, action } } : {}),
      });
    }
  }

  #extraConditions(alert: AuditAlert, name: string, outcome: RemediationOutcome | undefined): Condition[] {
    const out: Condition[] = [];
    const present = alert.status?.conditions?.find((c) => c.type === ALERT_CONDITIONS.subjectPresent);
    if (
      this.#gone.has(name) ||
      (outcome?.result === 'Succeeded' && alert.status?.remediation?.action === 'DeleteSubject')
    ) {
      out.push(
        condition(
          ALERT_CONDITIONS.subjectPresent,
          false,
          'Deleted',
          'the subject was deleted; this alert keeps its evidence',
        ),
      );
    } else if (!present && touched(alert)) {
      out.push(condition(ALERT_CONDITIONS.subjectPresent, true, 'Present', ''));
    }
    if (outcome) {
      out.push(
        condition(
          ALERT_CONDITIONS.remediated,
          outcome.result === 'Succeeded',
          outcome.result,
          outcome.message,
        ),
      );
    }
    return out;
  }

  async #remediate(alert: AuditAlert, action: string): Promise<RemediationOutcome> {
    const detection = this.#deps.detection(alert.spec.detection.name);
    const resource = detection ? await subjectResource(this.#deps.discovery, alert) : undefined;
    const refused = rejection(alert, action, detection, resource);
    if (refused) {
      this.#log.warn('Refused remediation', { alert: alert.metadata?.name, action, reason: refused });
      return { result: 'Rejected', message: refused };
    }
    return await execute(this.#deps.client, this.#deps.discovery, alert, action);
  }

  async #get(name: string): Promise<AuditAlert | undefined> {
    try {
      return await this.#deps.client.request<AuditAlert>('GET', `${ALERTS_PATH}/${encodeURIComponent(name)}`);
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw new Error(`reading AuditAlert ${name}`, { cause: err });
    }
  }
}

/**
 * `alert` with the remediation outcome merged in; the requester is the user the admission webhook
 * saw asking (`asker`) or, without it, the field manager of the request.
 */
function withOutcome(alert: AuditAlert, outcome: RemediationOutcome, asker?: string): AuditAlert {
  const st = { ...(alert.status ?? {}) };
  const requestedBy = asker ?? requester(alert);
  st.remediation = { ...st.remediation, ...outcome, ...(requestedBy ? { requestedBy } : {}) };
  if (outcome.result === 'Succeeded') Object.assign(st, { state: 'Resolved', reason: 'Remediated' });
  return { ...alert, status: st };
}

/** Fills `by` of the history entry this patch appends, from request attribution (the admission webhook). */
function attributeChange(
  patch: StatusPatch,
  before: AuditAlert,
  changedBy: (to: string, since?: Date) => string | undefined,
): void {
  const history = patch.history ?? [];
  const added = history.at(-1);
  if (!added || added.by || (before.status?.history ?? []).includes(added)) return;
  const previous = history.at(-2)?.time;
  const by = changedBy(added.to, previous ? new Date(previous) : undefined);
  if (by) added.by = by;
}
