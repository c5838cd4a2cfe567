import { SettingsError } from '../config/load.js';
import type { Logger } from '../observability/logger.js';
import { every, type Periodic } from '../runtime/periodic.js';
import { type Endpoint, endpoint } from './http.js';
import { MAX_OPEN_ALERTS } from './open-alerts.js';
import { Outbox } from './outbox.js';
import type { AlertView, Sink, SinkDeps, SinkEntry } from './sink.js';
import { describeCommand } from './sink.js';

/** Alerts per POST: Alertmanager takes a list, so re-sending many open alerts costs few requests. */
const BATCH = 64;

/** One alert as the Alertmanager v2 API takes it (`POST /api/v2/alerts`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

/**
 * Labels of an alert (documented in docs/notifications.md). All come from the alert's immutable spec, so the
 * fingerprint Alertmanager derives from them stays the same from firing to resolved. Empty values
 * are left out (an empty label is an absent label to Alertmanager). `cluster` is the operator's
 * `--cluster-name`, so one Alertmanager can route and group the alerts of a fleet.
 */
export function alertLabels(a: AlertView, cluster = ''): Record<string, string> {
  const labels: Record<string, string | undefined> = {
    alertname: a.detection,
    cluster,
    severity: a.severity.toLowerCase(),
    detection: a.detection,
    category: a.category,
    namespace: a.subject.namespace,
    subject_kind: a.subject.kind,
    subject_name: a.subject.name,
    tripline_alert: a.name,
  };
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => Boolean(e[1])));
}

/** Annotations: the summary, a description with the top risks, and the command that shows it all. */
export function alertAnnotations(a: AlertView): Record<string, string> {
  const where = a.subject.namespace ? ` in namespace ${a.subject.namespace}` : '';
  const risks = a.risks.map((r) => `- ${r.severity}: ${r.message}`).join('\n');
  return {
    summary: a.summary,
    description: `${a.event} ${a.subject.kind} ${a.subject.name}${where}, found by detection ${a.detection}.${risks ? `\nRisks:\n${risks}` : ''}`,
    runbook: describeCommand(a.name),
  };
}

/** The alert as sent: firing until now + TTL, or resolved now; `cluster` is `--cluster-name`. */
export function postable(
  a: AlertView,
  firing: boolean,
  now: Date,
  ttlMs: number,
  cluster = '',
): PostableAlert {
  return {
    labels: alertLabels(a, cluster),
    annotations: alertAnnotations(a),
    startsAt: a.detectedAt,
    endsAt: new Date(firing ? now.getTime() + ttlMs : now.getTime()).toISOString(),
  };
}

interface Item {
  alert: AlertView;
  firing: boolean;
}

/** The v2 alerts endpoint under a base URL that may carry a route prefix (`http://am:9093/am`). */
export function alertsUrl(base: string): URL {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
  return u;
}

/** Parses `alertmanagerUrls`; a bad URL stops start-up with a message naming the setting. */
export function parseUrls(list: string): URL[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s, i) => {
      try {
        return alertsUrl(s);
      } catch {
        // No cause: URL's error quotes the value, which may carry credentials.
        throw new SettingsError(`alertmanagerUrls: entry ${i + 1} is not a URL`);
      }
    });
}

/**
 * Alertmanager: an alert fires while the AuditAlert is not Resolved and is re-sent every
 * `alertmanagerResendSeconds` with endsAt = now + `alertmanagerTtlSeconds`, so Alertmanager keeps it
 * firing through failed re-sends but resolves it by itself if the operator is gone. Resolving the
 * AuditAlert (or deleting it) sends endsAt = now. Level-driven from the open-alert set: the first
 * list after a restart fires every open alert again, which Alertmanager merges.
 *
 * Every URL gets every alert (Alertmanager replicas deduplicate among themselves), each through its
 * own queue so one unreachable replica does not hold up the others.
 */
export function alertmanagerSink(deps: SinkDeps): Sink {
  const s = deps.settings;
  const urls = parseUrls(s.alertmanagerUrls);
  if (s.alertmanagerResendSeconds >= s.alertmanagerTtlSeconds) {
    throw new SettingsError('alertmanagerResendSeconds must be below alertmanagerTtlSeconds');
  }
  const ttlMs = s.alertmanagerTtlSeconds * 1000;
  const http = endpoint(s.notifyTimeoutSeconds * 1000);
  const depths = urls.map(() => 0);
  const outboxes = urls.map((url, i) => outboxFor(deps, http, url, i, depths, ttlMs));
  const push = (alert: AlertView, firing: boolean): void => {
    for (const o of outboxes) o.push(alert.name, { alert, firing });
  };
  let resend: Periodic | undefined;
  return {
    id: 'alertmanager',
    openChanged: (alert, open) => {
      if (deps.routed(alert)) push(alert, open);
    },
    start: () => {
      for (const o of outboxes) o.start();
      resend = every(
        s.alertmanagerResendSeconds * 1000,
        async () => {
          for (const a of deps.open.values()) if (deps.routed(a)) push(a, true);
        },
        deps.log,
        'alertmanager re-send',
      );
    },
    stop: async () => {
      await resend?.stop();
      await Promise.all(outboxes.map((o) => o.stop()));
      http.close();
    },
  };
}

function outboxFor(
  deps: SinkDeps,
  http: Endpoint,
  url: URL,
  index: number,
  depths: number[],
  ttlMs: number,
): Outbox<Item> {
  const log: Logger = deps.log.child({ target: index });
  return new Outbox<Item>({
    sink: 'alertmanager',
    // One entry per alert (keyed by name): bounded by the open-alert set, and a re-send of every
    // open alert at once must fit, or alerts beyond notifyQueueSize would never reach Alertmanager.
    capacity: Math.max(deps.settings.notifyQueueSize, MAX_OPEN_ALERTS),
    batchSize: BATCH,
    maxAttempts: deps.settings.notifyMaxAttempts,
    backoff: { baseMs: deps.settings.backoffBaseMs, maxMs: deps.settings.backoffMaxMs },
    deliver: async (items) => {
      const now = deps.clock.now();
      const cluster = deps.settings.clusterName;
      const body = items.map((it) => postable(it.alert, it.firing, now, ttlMs, cluster));
      await http.post(url, JSON.stringify(body));
    },
    metrics: {
      ...deps.metrics,
      // One gauge for the sink: the sum over its URLs.
      depth: (n) => {
        depths[index] = n;
        deps.metrics.depth(depths.reduce((x, y) => x + y, 0));
      },
    },
    log,
  });
}

/** Registry entry (sinks.ts). */
export const ALERTMANAGER_SINK: SinkEntry = {
  id: 'alertmanager',
  enabled: (s) => s.alertmanagerUrls.trim() !== '',
  minSeverity: (s) => s.alertmanagerMinSeverity,
  create: alertmanagerSink,
};
