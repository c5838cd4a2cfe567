import { createHash } from 'node:crypto';
import { API_VERSION, LABELS, REPORTING_CONTROLLER } from '../api/constants.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeApi } from '../kube/api.js';
import { isAlreadyExists } from '../kube/errors.js';
import { printable, truncateUtf8 } from '../subjects/read.js';
import { isLabelValue } from './build.js';

/** Reason of the Warning Event left on an AuditDetection whose alert the API server refused for good. */
export const ALERT_REFUSED_REASON = 'AlertRefused';
/** Events of cluster-scoped objects (AuditDetection) go here, as kubectl and client-go put them. */
const EVENTS_NAMESPACE = 'default';
/** events.k8s.io/v1 limits `note` to 1 kB. */
const MAX_NOTE = 1024;

/** What an alert refused for good was about. */
export interface RefusedAlert {
  detection: AuditDetection;
  /** The alert's event identity (subject uid plus change key): one Event per alert, however often retried. */
  id: string;
  subject: { kind?: string; namespace?: string; name?: string };
  event: string;
  err: unknown;
}

/** The message at the end of an error's `cause` chain: the API server's own words, when it answered. */
export function rootMessage(err: unknown): string {
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && cur.cause instanceof Error && depth < 10; depth++)
    cur = cur.cause;
  return cur instanceof Error ? cur.message : String(cur);
}

/**
 * The Warning Event on the AuditDetection for an alert the API server refused even in minimal form.
 * Named from the detection and the alert identity, so a repeat gets 409 instead of a second Event.
 */
export function refusedEvent(r: RefusedAlert, now: Date, instance: string): Record<string, unknown> {
  const name = r.detection.metadata?.name ?? '';
  const hash = createHash('sha256').update(`${name}\n${r.id}`).digest('hex').slice(0, 10);
  const s = r.subject;
  const where = s.namespace ? `${s.namespace}/${s.name ?? ''}` : (s.name ?? '');
  const note = printable(
    `AuditAlert for ${s.kind ?? 'object'} ${where} (${r.event}) refused by the API server even in minimal form; not retried: ${rootMessage(r.err)}`,
  );
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: {
      // A detection name may take 253 characters; the Event name must fit in as many with the hash.
      name: `${name.slice(0, 200).replace(/[^a-z0-9]+$/, '')}.${hash}`,
      namespace: EVENTS_NAMESPACE,
      labels: {
        'app.kubernetes.io/managed-by': 'tripline',
        ...(isLabelValue(name) ? { [LABELS.detection]: name } : {}),
      },
    },
    eventTime: now.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: instance.slice(0, 128),
    action: 'Raise',
    reason: ALERT_REFUSED_REASON,
    type: 'Warning',
    note: truncateUtf8(note, MAX_NOTE),
    regarding: {
      apiVersion: API_VERSION,
      kind: 'AuditDetection',
      name,
      ...(r.detection.metadata?.uid ? { uid: r.detection.metadata.uid } : {}),
    },
  };
}

/** Creates the {@link refusedEvent}; an Event created before (a repeat) counts as done. */
export async function recordRefused(
  client: KubeApi,
  r: RefusedAlert,
  now: Date,
  instance: string,
): Promise<void> {
  const body = refusedEvent(r, now, instance);
  try {
    await client.request('POST', `/apis/events.k8s.io/v1/namespaces/${EVENTS_NAMESPACE}/events`, { body });
  } catch (err: unknown) {
    if (isAlreadyExists(err)) return;
    throw new Error(
      `creating Event ${ALERT_REFUSED_REASON} on AuditDetection ${r.detection.metadata?.name}`,
      {
        cause: err,
      },
    );
  }
}
