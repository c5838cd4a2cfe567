import { ALERTS_PATH, FIELD_MANAGER } from '../api/constants.js';
import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { KubeApi } from '../kube/api.js';
import { ACCEPT_METADATA } from '../kube/client.js';
import { isAlreadyExists, isConflict, isInvalid, isNotFound, isTooLarge } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import { minimalAlert, type TrimLevel, trimEvidence } from './trim.js';

/** What happened to a write: the alert was created now, or it already existed (raised before). */
export type WriteOutcome = 'created' | 'exists';

/**
 * Creates an alert idempotently. The name is deterministic, so 409 AlreadyExists means the alert
 * was raised before (by this process, an earlier one, or the other replica) and counts as success.
 * A write refused as too large (413, etcd's "request is too large") is retried with evidence
 * trimmed step by step (trim.ts levels 1 to 3). A write refused as invalid (422), or still too
 * large at the last level, is retried once in its minimal form (trim.ts `minimalAlert`, with a
 * note saying so). Every other error, and a minimal form refused too, is thrown with the API
 * answer as `cause`: kube/errors.ts `classifyError` tells the caller whether to retry (429, 5xx,
 * network) or give up (422, 413: terminal).
 */
export async function createAlert(client: KubeApi, alert: AuditAlert, log: Logger): Promise<WriteOutcome> {
  let attempt: AuditAlert = alert;
  let trimLevel = 0;
  let reduced = false;
  for (;;) {
    try {
      // The answer is not read: metadata only spares the API server encoding the whole alert back.
      await client.request('POST', ALERTS_PATH, {
        query: { fieldManager: FIELD_MANAGER },
        body: attempt,
        accept: ACCEPT_METADATA,
      });
      return 'created';
    } catch (err: unknown) {
      if (isAlreadyExists(err)) return 'exists';
      const name = alert.metadata?.name;
      if (isTooLarge(err) && trimLevel < 3 && !reduced) {
        trimLevel++;
        // `trimLevel`, never `level`: a `level` field would replace the log line's own level.
        log.warn('AuditAlert too large, trimming evidence', { alert: name, trimLevel, err });
        attempt = trimEvidence(alert, trimLevel as TrimLevel);
        continue;
      }
      if ((isInvalid(err) || isTooLarge(err)) && !reduced) {
        reduced = true;
        log.warn('AuditAlert refused, retrying in minimal form', { alert: name, err });
        attempt = minimalAlert(alert, err instanceof Error ? err.message : String(err));
        continue;
      }
      throw new Error(`creating AuditAlert ${name}${reduced ? ' (minimal form)' : ''}`, { cause: err });
    }
  }
}

/** How often {@link mergeOpenAlertStatus} re-reads an alert whose resourceVersion moved. */
const STATUS_MERGE_ATTEMPTS = 5;

/**
 * Merges `status` fields into an open episode alert (traffic, actions) under a resourceVersion
 * guard: reads the alert, asks `merge` for the fields from what is stored, patches with the
 * resourceVersion read, and re-reads on conflict, so counts added by another writer are never lost.
 * 'closed' when the alert is gone or Resolved: the caller's next occurrence starts a new episode.
 */
export async function mergeOpenAlertStatus(
  client: KubeApi,
  name: string,
  merge: (stored: AuditAlert) => Record<string, unknown>,
): Promise<'written' | 'closed'> {
  const path = `${ALERTS_PATH}/${encodeURIComponent(name)}`;
  for (let attempt = 0; attempt < STATUS_MERGE_ATTEMPTS; attempt++) {
    let alert: AuditAlert;
    try {
      alert = await client.request<AuditAlert>('GET', path);
    } catch (err: unknown) {
      if (isNotFound(err)) return 'closed'; // deleted (retention, or by hand): the next one starts over
      throw new Error(`reading AuditAlert ${name}`, { cause: err });
    }
    if (alert.status?.state === 'Resolved') return 'closed';
    try {
      await client.request('PATCH', `${path}/status`, {
        query: { fieldManager: FIELD_MANAGER },
        body: { metadata: { resourceVersion: alert.metadata?.resourceVersion }, status: merge(alert) },
        contentType: 'application/merge-patch+json',
      });
      return 'written';
    } catch (err: unknown) {
      if (!isConflict(err)) throw new Error(`updating status of AuditAlert ${name}`, { cause: err });
    }
  }
  throw new Error(`status of AuditAlert ${name} kept changing under its writers`);
}
