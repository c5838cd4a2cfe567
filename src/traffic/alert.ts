/**
 * Traffic alerts as data: the deterministic name of an episode, labels to find it again, and the
 * AuditAlert raised when a rule fires (its spec keeps the window that raised it, immutable like
 * every alert). The aggregates merged into its status while the condition lasts are in status.ts.
 */
import { createHash } from 'node:crypto';
import { isLabelValue } from '../alerts/build.js';
import { ALERT_LIMITS, fitNotes, fitSteps } from '../alerts/limits.js';
import { alertName } from '../alerts/name.js';
import { API_VERSION, LABELS, MANAGED_BY } from '../api/constants.js';
import type { AlertSubject, AuditAlert, AuditAlertSpec } from '../api/generated/audit-alert.js';
import { hostRange } from '../detections/address.js';
import { renderSteps, type TemplateValues } from '../detections/steps.js';
import type { TrafficSettings } from '../detections/traffic-settings.js';
import { toRfc3339 } from '../runtime/clock.js';
import { compact, truncateUtf8 } from '../subjects/read.js';
import type { IngressRef, TrafficEvent } from './engine.js';
import { INGRESS_API_VERSION } from './host-index.js';
import type { Finding, RuleId } from './rules.js';
import type { SourceCount, WindowReport } from './window.js';

/** Labels that find the alerts of one (detection, Ingress, rule), besides `tripline.dev/detection`. */
export const TRAFFIC_LABELS = {
  rule: 'tripline.dev/traffic-rule',
  /** 10 hex of sha256 of the Ingress key: label values are limited to 63 characters. */
  target: 'tripline.dev/traffic-target',
  episode: 'tripline.dev/traffic-episode',
} as const;

/** What the cluster said about the Ingress named in the log when the alert was raised. */
export interface ResolvedSubject {
  subject: AlertSubject;
  /** Set when the Ingress was not found or could not be read. */
  notes: string[];
}

/** 10 hex of sha256: a label-safe stand-in for an Ingress key of any length. */
export function targetHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 10);
}

/**
 * The alert name of one episode: `<detection>-<hash(detection/traffic/<key>/<rule>/<episode>)>`.
 * The same episode always gets the same name, so two replicas, or a restart, never raise it twice.
 */
export function trafficAlertName(detection: string, key: string, rule: RuleId, episode: number): string {
  return alertName(detection, `traffic/${key}`, `${rule}/${episode}`);
}

/** The label selector listing every episode of one (detection, Ingress, rule). */
export function episodeSelector(detection: string, key: string, rule: RuleId): string {
  return `${LABELS.detection}=${detection},${TRAFFIC_LABELS.rule}=${rule},${TRAFFIC_LABELS.target}=${targetHash(key)}`;
}

/** `ingress/shop/web` → `shop/web`; `host/a.example.com` → `host a.example.com`. */
export function describeTarget(t: IngressRef): string {
  return t.namespace !== undefined && t.ingress !== undefined
    ? `${t.namespace}/${t.ingress}`
    : `host ${t.host ?? '?'}`;
}

/** `60000` → `60s`, `150000` → `2m30s`, `600000` → `10m` (as a detection would write it). */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
}

/** The addresses an alert is about: disallowed ones for that rule, else the busiest. */
function subjectSources(rule: RuleId, w: WindowReport): SourceCount[] {
  return rule === 'disallowed-source' ? w.disallowedSources : w.sources;
}

const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The `{{traffic.*}}` and subject values of one alert. */
export function templateValues(e: TrafficEvent, subject: AlertSubject, name: string): TemplateValues {
  const sources = subjectSources(e.rule.id, e.window).map((s) => s.address);
  const values: TemplateValues = {
    name: subject.name,
    kind: 'Ingress',
    resource: 'ingresses.networking.k8s.io',
    apiVersion: INGRESS_API_VERSION,
    detection: e.detection.name,
    alert: name,
    'traffic.rule': e.rule.id,
    'traffic.reason': e.finding?.reason ?? '',
    'traffic.host': e.target.host ?? '',
    'traffic.service': e.target.service ?? '',
    'traffic.window': formatDuration(e.detection.windowMs),
    'traffic.topSources': sources.join(','),
    'traffic.sourceRanges': sources.map(hostRange).join(','),
    'traffic.sourcesPattern': sources.map(regexEscape).join('|'),
    'traffic.allowedRanges': (e.detection.allow?.ranges ?? []).map((c) => c.text).join(','),
  };
  if (subject.namespace) values.namespace = subject.namespace;
  if (subject.uid) values.uid = subject.uid;
  return values;
}

function windowEvidence(s: TrafficSettings, w: TrafficEvent['window']): Record<string, unknown> {
  const [, c1, c2, c3, c4, c5] = w.classes;
  const out: Record<string, unknown> = {
    start: toRfc3339(w.startMs),
    end: toRfc3339(w.endMs),
    length: formatDuration(s.windowMs),
    requests: w.requests,
    statusClasses: { '1xx': c1, '2xx': c2, '3xx': c3, '4xx': c4, '5xx': c5 },
  };
  if (s.allow) out.disallowed = w.disallowed;
  if (w.baseline !== undefined) out.baseline = Math.round(w.baseline * 10) / 10;
  return out;
}

function observed(f: Finding): Record<string, unknown> {
  const out: Record<string, unknown> = { matched: f.matched };
  if (f.ratio !== undefined) out.ratio = Math.round(f.ratio * 1000) / 1000;
  if (f.trigger !== undefined) out.trigger = f.trigger;
  return out;
}

/** `spec.evidence.traffic`: the window that raised the alert, and the thresholds it crossed. */
function evidence(e: TrafficEvent, f: Finding): Record<string, unknown> {
  const t = e.target;
  const ingress = compact({ namespace: t.namespace, name: t.ingress, host: t.host, service: t.service });
  const ev: Record<string, unknown> = {
    rule: e.rule.id,
    reason: f.reason,
    ingress,
    clientAddress: e.detection.clientAddress,
    window: windowEvidence(e.detection, e.window),
    threshold: f.threshold,
    observed: observed(f),
    topSources: e.window.sources,
    statusCodes: e.window.codes.map(([code, count]) => ({ code, count })),
  };
  if (e.detection.allow) ev.disallowedSources = e.window.disallowedSources;
  return { traffic: ev };
}

function labels(
  detection: string,
  e: TrafficEvent,
  spec: AuditAlertSpec,
  episode: number,
): Record<string, string> {
  const out: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.severity]: spec.severity,
    [LABELS.subjectKind]: 'Ingress',
    [TRAFFIC_LABELS.rule]: e.rule.id,
    [TRAFFIC_LABELS.target]: targetHash(e.target.key),
    [TRAFFIC_LABELS.episode]: String(episode),
  };
  // Only values the API server accepts as label values.
  for (const [k, v] of [
    [LABELS.detection, detection],
    [LABELS.subjectNamespace, spec.subject.namespace],
    [LABELS.subjectName, spec.subject.name],
  ] as const)
    if (v && isLabelValue(v)) out[k] = v;
  return out;
}

/** Everything {@link buildTrafficAlert} reads. */
export interface TrafficAlertInput {
  /** A `fired` event. */
  event: TrafficEvent;
  finding: Finding;
  episode: number;
  subject: ResolvedSubject;
  detectedAt: Date;
}

/**
 * The AuditAlert for a rule that fired on an Ingress: deterministic episode name, the standard
 * labels plus the traffic ones, the raising window as evidence, the busiest sources the rule is
 * about as `actor.sourceIPs`, and the detection's and the rule's steps with the real names.
 */
export function buildTrafficAlert(input: TrafficAlertInput): AuditAlert {
  const { event: e, finding: f } = input;
  const s = e.detection;
  const rs = e.rule.settings(s);
  const name = trafficAlertName(s.name, e.target.key, e.rule.id, input.episode);
  const values = templateValues(e, input.subject.subject, name);
  const ips = subjectSources(e.rule.id, e.window)
    .slice(0, ALERT_LIMITS.sourceIPs)
    .map((x) => truncateUtf8(x.address, ALERT_LIMITS.sourceIP));
  const spec: AuditAlertSpec = {
    detection: { name: s.name, generation: s.generation },
    severity: rs.severity,
    category: s.source.spec.category,
    event: 'TrafficAnomaly',
    summary: truncateUtf8(
      e.rule.summary(describeTarget(e.target), f, formatDuration(s.windowMs)),
      ALERT_LIMITS.summary,
    ),
    changeKey: `${e.rule.id}/${input.episode}`,
    subject: input.subject.subject,
    actor: { ...(ips.length > 0 ? { sourceIPs: ips } : {}), source: ['accessLog'] },
    evidence: evidence(e, f),
    notes: fitNotes(input.subject.notes),
    risks: [
      {
        id: `traffic-${e.rule.id}`,
        severity: rs.severity,
        message: truncateUtf8(f.reason, ALERT_LIMITS.riskMessage),
      },
    ],
    whoCan: [],
    investigation: fitSteps(
      renderSteps([...(s.source.spec.investigation ?? []), ...rs.investigation], values),
    ),
    resolution: fitSteps(renderSteps([...(s.source.spec.resolution ?? []), ...rs.resolution], values)),
    detectedAt: input.detectedAt.toISOString(),
  };
  return {
    apiVersion: API_VERSION,
    kind: 'AuditAlert',
    metadata: { name, labels: labels(s.name, e, spec, input.episode) },
    spec,
  };
}
