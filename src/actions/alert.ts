/**
 * Action alerts as data: the AuditAlert that opens an episode (its spec keeps the request that
 * opened it, immutable like every alert; what follows is added to status.action, see episode.ts).
 */
import { isLabelValue } from '../alerts/build.js';
import { ALERT_LIMITS, fitNotes, fitSteps } from '../alerts/limits.js';
import type { Severity } from '../api/constants.js';
import { API_VERSION, LABELS, MANAGED_BY } from '../api/constants.js';
import type { AlertActor, AuditAlert, AuditAlertSpec } from '../api/generated/audit-alert.js';
import type { CompiledDetection } from '../detections/compile.js';
import { renderSteps, type TemplateValues } from '../detections/steps.js';
import { truncateUtf8 } from '../subjects/read.js';
import { ACTION_LABELS, actionAlertName, type EpisodeKey, labelHash } from './episode.js';
import { type ActionEvent, requestDetails } from './events.js';

const API_VERSIONS: Readonly<Record<ActionEvent['target']['kind'], string>> = {
  Pod: 'v1',
  ServiceAccount: 'v1',
  Secret: 'v1',
};

/** `ns/name`, or `all Secrets in ns` for a list or watch. */
function describeTarget(e: ActionEvent): string {
  const t = e.target;
  if (!t.name) return t.namespace ? `all Secrets in namespace ${t.namespace}` : 'Secrets in all namespaces';
  return `${t.kind} ${t.namespace}/${t.name}`;
}

/** One line a human understands. */
export function actionSummary(e: ActionEvent): string {
  const who = e.user.username;
  const where = describeTarget(e);
  const container = e.container ? ` (container ${e.container})` : '';
  switch (e.type) {
    case 'Exec':
      return `${who} ran ${e.command ? `\`${e.command}\`` : 'a command'} in ${where}${container}`;
    case 'Attach':
      return `${who} attached to ${where}${container}`;
    case 'PortForward':
      return `${who} forwarded ${e.ports?.length ? `port ${e.ports.join(', ')}` : 'ports'} of ${where}`;
    case 'TokenRequest': {
      const aud = e.audiences?.length ? ` for audience ${e.audiences.join(', ')}` : '';
      const exp = e.expirationSeconds !== undefined ? `, valid ${e.expirationSeconds}s` : '';
      return `${who} requested a token of ${where}${aud}${exp}`;
    }
    case 'SecretRead':
      return `${who} read (${e.verb}) ${where}`;
  }
}

/** `spec.evidence.action`: the request that opened the episode, bounded by the parser. */
function evidence(e: ActionEvent): Record<string, unknown> {
  const { event, resource, ...asked } = requestDetails(e);
  return { action: { event, resource, target: { ...e.target }, requestID: e.id, ...asked } };
}

function actor(e: ActionEvent): AlertActor {
  const a: AlertActor = {
    username: e.user.username,
    groups: e.user.groups,
    source: [e.type === 'SecretRead' ? 'audit' : 'admission'],
  };
  if (e.user.uid) a.uid = e.user.uid;
  if (e.sourceIPs?.length) a.sourceIPs = e.sourceIPs;
  if (e.userAgent) a.userAgent = e.userAgent;
  return a;
}

/** The `{{...}}` values of one alert. */
export function templateValues(d: CompiledDetection, e: ActionEvent, name: string): TemplateValues {
  const values: TemplateValues = {
    name: e.target.name,
    kind: e.target.kind,
    resource: `${e.target.kind.toLowerCase()}s`,
    apiVersion: API_VERSIONS[e.target.kind],
    detection: d.name,
    alert: name,
    'action.event': e.type,
    'action.user': e.user.username,
    'action.container': e.container ?? '',
    'action.command': e.command ?? '',
    'action.ports': (e.ports ?? []).join(','),
    'action.audiences': (e.audiences ?? []).join(','),
    'action.userLabel': labelHash(e.user.username),
  };
  if (e.target.namespace) values.namespace = e.target.namespace;
  if (e.target.kind === 'ServiceAccount') values.serviceAccount = e.target.name;
  return values;
}

/** Everything {@link buildActionAlert} reads. */
export interface ActionAlertInput {
  detection: CompiledDetection;
  key: EpisodeKey;
  episode: number;
  event: ActionEvent;
  severity: Severity;
  notes: string[];
  detectedAt: Date;
}

/**
 * The AuditAlert opening an episode: deterministic name, the standard labels plus the episode
 * ones, the request as evidence, its user as actor, the detection's steps with the real names.
 */
export function buildActionAlert(input: ActionAlertInput): AuditAlert {
  const { detection: d, event: e } = input;
  const name = actionAlertName(input.key, input.episode);
  const values = templateValues(d, e, name);
  const subject: AuditAlertSpec['subject'] = {
    apiVersion: API_VERSIONS[e.target.kind],
    kind: e.target.kind,
    name: e.target.name || '*',
  };
  if (e.target.namespace) subject.namespace = e.target.namespace;
  const spec: AuditAlertSpec = {
    detection: { name: d.name, generation: d.generation },
    severity: input.severity,
    category: d.source.spec.category,
    event: e.type,
    summary: truncateUtf8(actionSummary(e), ALERT_LIMITS.summary),
    changeKey: `action/${input.episode}`,
    subject,
    actor: actor(e),
    evidence: evidence(e),
    notes: fitNotes(input.notes),
    risks: [],
    whoCan: [],
    investigation: fitSteps(renderSteps(d.source.spec.investigation ?? [], values)),
    resolution: fitSteps(renderSteps(d.source.spec.resolution ?? [], values)),
    detectedAt: input.detectedAt.toISOString(),
  };
  const labels: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.severity]: spec.severity,
    [LABELS.subjectKind]: e.target.kind,
    [ACTION_LABELS.user]: labelHash(input.key.username),
    [ACTION_LABELS.target]: labelHash(input.key.target),
    [ACTION_LABELS.episode]: String(input.episode),
  };
  for (const [k, v] of [
    [LABELS.detection, d.name],
    [LABELS.subjectNamespace, e.target.namespace],
    [LABELS.subjectName, e.target.name],
  ] as const)
    if (v && isLabelValue(v)) labels[k] = v;
  return { apiVersion: API_VERSION, kind: 'AuditAlert', metadata: { name, labels }, spec };
}
