import { ALERTS_PATH } from '../api/constants.js';
import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import { parseDuration } from '../api/time.js';
import type { KubeApi } from '../kube/api.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import { resolvedAt } from './transitions.js';

/** Resolved alerts are kept this long when their detection says nothing (DESIGN §2.1: 30 days). */
export const DEFAULT_RESOLVED_TTL_MS = 720 * 3_600_000;

/** When a resolved alert expires, or undefined when it never does (not resolved). */
export function expiresAt(alert: AuditAlert, detection: AuditDetection | undefined): Date | undefined {
  const at = resolvedAt(alert);
  if (!at) return undefined;
  const ttl = parseDuration(detection?.spec.retention?.resolvedTTL ?? '') ?? DEFAULT_RESOLVED_TTL_MS;
  return new Date(at.getTime() + ttl);
}

/**
 * Deletes resolved alerts whose TTL has passed; open and acknowledged alerts never expire. Runs as
 * a periodic sweep over a server-side filtered, paginated list, so memory does not grow with the
 * number of alerts kept. Each delete carries the resourceVersion it was decided on: an alert
 * reopened meanwhile is not deleted.
 */
export async function sweepExpired(deps: {
  client: KubeApi;
  clock: Clock;
  log: Logger;
  detection(name: string): AuditDetection | undefined;
}): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await deps.client.request<{ items: AuditAlert[]; metadata: { continue?: string } }>(
      'GET',
      ALERTS_PATH,
      {
        query: { fieldSelector: 'status.state=Resolved', limit: 500, continue: token },
      },
    );
    for (const a of page.items) {
      const exp = expiresAt(a, deps.detection(a.spec.detection.name));
      if (exp && exp <= deps.clock.now() && (await remove(deps.client, a))) {
        deleted++;
        deps.log.info('Deleted expired AuditAlert', {
          alert: a.metadata?.name,
          expiredAt: exp.toISOString(),
        });
      }
    }
    token = page.metadata.continue || undefined;
  } while (token);
  return deleted;
}

async function remove(client: KubeApi, a: AuditAlert): Promise<boolean> {
  try {
    await client.request('DELETE', `${ALERTS_PATH}/${encodeURIComponent(a.metadata?.name as string)}`, {
      body: {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        preconditions: { resourceVersion: a.metadata?.resourceVersion },
      },
    });
    return true;
  } catch (err: unknown) {
    if (isNotFound(err) || isConflict(err)) return false; // gone already, or changed (e.g. reopened) since listed
    throw new Error(`deleting expired AuditAlert ${a.metadata?.name}`, { cause: err });
  }
}
