import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { API_VERSION, REPORTING_CONTROLLER } from '../api/constants.js';
import type { KubeApi } from '../kube/api.js';
import { classifyError, isAlreadyExists, isForbidden } from '../kube/errors.js';
import { toRfc3339 } from '../runtime/clock.js';
import { DeliveryError, Outbox } from './outbox.js';
import type { AlertNotice, NoticeType, Sink, SinkDeps, SinkEntry } from './sink.js';
import { describeCommand, noticeId } from './sink.js';

/**
 * Event reasons (CamelCase constants, STYLE 7) and types per notice. The raised Event goes on the
 * subject; the others on the AuditAlert. Failures are Warnings, as the Kubernetes event guide asks.
 */
export const EVENT_REASONS: Record<
  NoticeType,
  { reason: string; type: 'Normal' | 'Warning'; action: string }
> = {
  raised: { reason: 'AuditAlertRaised', type: 'Warning', action: 'Detect' },
  acknowledged: { reason: 'Acknowledged', type: 'Normal', action: 'Triage' },
  resolved: { reason: 'Resolved', type: 'Normal', action: 'Triage' },
  reopened: { reason: 'Reopened', type: 'Normal', action: 'Triage' },
  remediated: { reason: 'Remediated', type: 'Normal', action: 'Remediate' },
  remediationFailed: { reason: 'RemediationFailed', type: 'Warning', action: 'Remediate' },
  remediationRejected: { reason: 'RemediationRejected', type: 'Warning', action: 'Remediate' },
};

/** Events of cluster-scoped objects go here, as kubectl and client-go put them. */
const CLUSTER_EVENTS_NAMESPACE = 'default';
/** events.k8s.io/v1 limits `note` to 1 kB. */
const MAX_NOTE = 1024;

/** An events.k8s.io/v1 Event body. */
export interface EventBody {
  apiVersion: 'events.k8s.io/v1';
  kind: 'Event';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  type: 'Normal' | 'Warning';
  note: string;
  regarding: { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string };
  related?: { apiVersion: string; kind: string; name: string; uid?: string };
}

/**
 * The Event of a notice. Its name is derived from the notice's identity, so a retry, a restart or
 * the other replica creating it again gets 409 AlreadyExists instead of a second Event.
 */
export function eventFor(n: AlertNotice, instance: string): EventBody {
  const { reason, type, action } = EVENT_REASONS[n.type];
  const a = n.alert;
  const onSubject = n.type === 'raised';
  const alertRef = {
    apiVersion: API_VERSION,
    kind: 'AuditAlert',
    name: a.name,
    ...(a.uid ? { uid: a.uid } : {}),
  };
  const regarding = onSubject
    ? {
        apiVersion: a.subject.apiVersion,
        kind: a.subject.kind,
        name: a.subject.name,
        ...(a.subject.namespace ? { namespace: a.subject.namespace } : {}),
        ...(a.subject.uid ? { uid: a.subject.uid } : {}),
      }
    : alertRef;
  const namespace = (onSubject && a.subject.namespace) || CLUSTER_EVENTS_NAMESPACE;
  const hash = createHash('sha256').update(noticeId(n)).digest('hex').slice(0, 10);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: {
      name: `${a.name}.${hash}`,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'tripline', 'tripline.dev/alert': a.name },
    },
    eventTime: microTime(n.time),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: instance.slice(0, 128),
    action,
    reason,
    type,
    note: noteFor(n).slice(0, MAX_NOTE),
    regarding,
    ...(onSubject ? { related: alertRef } : {}),
  };
}

/** The human line of an Event: names and facts the operator wrote, never secret values. */
export function noteFor(n: AlertNotice): string {
  const a = n.alert;
  const by = n.by ? ` by ${n.by}` : '';
  switch (n.type) {
    case 'raised':
      return `AuditAlert ${a.name} raised by detection ${a.detection} (${a.severity}): ${a.summary}. See: ${describeCommand(a.name)}`;
    case 'acknowledged':
      return `Acknowledged${by}${a.assignee ? `, assigned to ${a.assignee}` : ''}`;
    case 'resolved':
      return `Resolved${by} as ${a.reason ?? 'unknown'}`;
    case 'reopened':
      return `Reopened${by}`;
    default:
      return `${n.action ?? 'Remediation'}: ${n.message ?? ''}`.trim();
  }
}

/** Kubernetes MicroTime (`2026-11-23T12:00:00.000000Z`). */
function microTime(rfc3339: string): string {
  const t = Date.parse(rfc3339);
  return (Number.isNaN(t) ? toRfc3339(Date.now()) : new Date(t).toISOString()).replace(
    /(\.\d{3})?Z$/,
    (_m, ms: string | undefined) => `${ms ?? '.000'}000Z`,
  );
}

async function createEvent(client: KubeApi, ev: EventBody): Promise<void> {
  const path = `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(ev.metadata.namespace)}/events`;
  try {
    await client.request('POST', path, { body: ev });
  } catch (err: unknown) {
    if (isAlreadyExists(err)) return; // created before (retry, restart, other replica): done
    throw new DeliveryError(`creating Event ${ev.metadata.name}`, {
      // Forbidden is not retried here: Events are best effort, and RBAC does not change between attempts.
      retryable: classifyError(err) === 'retry' && !isForbidden(err),
      cause: err,
    });
  }
}

/** Kubernetes Events: a Warning on the subject when an alert is raised, lifecycle Events on the alert. */
export function eventsSink(deps: SinkDeps): Sink {
  const instance = deps.settings.podName || hostname();
  const outbox = new Outbox<EventBody>({
    sink: 'events',
    capacity: deps.settings.notifyQueueSize,
    // A few in flight, at a bounded rate: Events share the API server with alert writes, and a burst
    // of alerts must not double its write load (a full queue drops Events, never alerts).
    concurrency: 2,
    rate: { perSecond: deps.settings.kubeEventsQps, burst: deps.settings.kubeEventsBurst },
    maxAttempts: deps.settings.notifyMaxAttempts,
    backoff: { baseMs: deps.settings.backoffBaseMs, maxMs: deps.settings.backoffMaxMs },
    deliver: async ([ev]) => {
      if (ev) await createEvent(deps.client, ev);
    },
    metrics: deps.metrics,
    log: deps.log,
  });
  return {
    id: 'events',
    notify: (n) => {
      const ev = eventFor(n, instance);
      outbox.push(ev.metadata.name, ev);
    },
    start: () => outbox.start(),
    stop: () => outbox.stop(),
  };
}

/** Registry entry (sinks.ts). */
export const EVENTS_SINK: SinkEntry = {
  id: 'events',
  enabled: (s) => s.kubeEvents,
  create: eventsSink,
};
