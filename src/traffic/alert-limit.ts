/**
 * A bound on how many traffic alerts one detection creates: a token bucket per detection. When it
 * bites, the alerts beyond it are not created; instead ONE aggregate alert per detection and
 * limiting episode says how many were held back (updating an already open alert is never limited).
 */

import { isLabelValue } from '../alerts/build.js';
import { alertName } from '../alerts/name.js';
import { API_VERSION, LABELS, MANAGED_BY } from '../api/constants.js';
import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { TrafficSettings } from '../detections/traffic-settings.js';
import { TRAFFIC_LABELS } from './alert.js';

/** The rule label of the aggregate alert (not a rule id, so it never matches an episode lookup). */
export const RATE_LIMITED_RULE = 'alert-rate-limit';

interface Bucket {
  tokens: number;
  lastMs: number;
  /** Start of the limiting episode (first refusal after a quiet period), if one is running. */
  episodeMs?: number;
  lastRefusedMs: number;
}

/** What {@link AlertRateLimit.take} decided. */
export type LimitDecision =
  | { allowed: true }
  | {
      allowed: false /** Set on the first refusal of an episode: raise the aggregate alert. */;
      episodeMs?: number;
    };

/** Token buckets, one per detection (as many as the cluster's traffic detections): `perMinute` alerts, refilled continuously, burst of the same size. */
export class AlertRateLimit {
  readonly #perMinute: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(perMinute: number) {
    this.#perMinute = perMinute;
  }

  /** Takes one alert creation for `detection` at `nowMs`. */
  take(detection: string, nowMs: number): LimitDecision {
    let b = this.#buckets.get(detection);
    if (!b) {
      b = { tokens: this.#perMinute, lastMs: nowMs, lastRefusedMs: 0 };
      this.#buckets.set(detection, b);
    }
    b.tokens = Math.min(this.#perMinute, b.tokens + ((nowMs - b.lastMs) * this.#perMinute) / 60_000);
    b.lastMs = nowMs;
    // An episode ends after a full minute without a refusal.
    if (b.episodeMs !== undefined && nowMs - b.lastRefusedMs > 60_000) b.episodeMs = undefined;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    b.lastRefusedMs = nowMs;
    if (b.episodeMs !== undefined) return { allowed: false };
    b.episodeMs = nowMs;
    return { allowed: false, episodeMs: nowMs };
  }
}

/**
 * The aggregate alert of one limiting episode of a detection: its subject is the detection, its
 * summary says that traffic alerts were held back and where to look (the metric counts them).
 */
export function buildRateLimitedAlert(
  s: TrafficSettings,
  perMinute: number,
  episodeMs: number,
  detectedAt: Date,
): AuditAlert {
  const name = alertName(s.name, 'traffic/alert-rate-limit', String(episodeMs));
  const labels: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.severity]: 'High',
    [LABELS.subjectKind]: 'AuditDetection',
    [TRAFFIC_LABELS.rule]: RATE_LIMITED_RULE,
  };
  if (isLabelValue(s.name)) {
    labels[LABELS.detection] = s.name;
    labels[LABELS.subjectName] = s.name;
  }
  return {
    apiVersion: API_VERSION,
    kind: 'AuditAlert',
    metadata: { name, labels },
    spec: {
      detection: { name: s.name, generation: s.generation },
      severity: 'High',
      category: s.source.spec.category,
      event: 'TrafficAnomaly',
      summary: `Traffic detection ${s.name} fired more than ${perMinute} new alerts per minute; further alerts are held back (counted in tripline_traffic_alerts_total{action="suppressed"})`,
      changeKey: `${RATE_LIMITED_RULE}/${episodeMs}`,
      subject: { apiVersion: API_VERSION, kind: 'AuditDetection', name: s.name },
      actor: { source: ['accessLog'] },
      notes: [
        'Many Ingresses crossed a threshold at once (a broad attack, an outage behind every Ingress, or thresholds that are too low). Open alerts keep being updated; new ones resume when the rate drops.',
      ],
      risks: [],
      whoCan: [],
      detectedAt: detectedAt.toISOString(),
    },
  };
}
