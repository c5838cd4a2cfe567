import { qualifiedResource } from '../kube/resources.js';
import type { WhoCanQuestion } from './who-can.js';

/**
 * The who-can question of an alert, in one place for both who asks it: the enricher (from the
 * subject's resource as the detection watches it) and `kubectl tripline who-can` (from what the
 * alert kept of it in `evidence.whoCanSummary`, or from its subject and event through discovery).
 */

/** Verbs that do "the same thing" as the alert's event. */
const EVENT_VERBS: Readonly<Record<string, readonly string[]>> = {
  Created: ['create'],
  Updated: ['update', 'patch'],
  Deleted: ['delete'],
};

/**
 * Verbs that reach the same result another way, by resource: `bind` lets one grant a role one
 * does not hold, `escalate` lets one write a role with permissions one does not hold.
 */
const EQUIVALENT_VERBS: Readonly<Record<string, readonly string[]>> = {
  'rbac.authorization.k8s.io/clusterroles': ['bind', 'escalate'],
  'rbac.authorization.k8s.io/roles': ['bind', 'escalate'],
};

/** Whether an alert of this event has a who-can question (a create, update or delete). */
export const asksWhoCan = (event: string): boolean => Object.hasOwn(EVENT_VERBS, event);

/**
 * "Who may do what this event shows was done, there?", or undefined for events no verb describes
 * (traffic, actions). `namespace` is the subject's; absent for a cluster-scoped subject.
 */
export function questionFor(
  event: string,
  target: { group: string; resource: string },
  namespace?: string,
): WhoCanQuestion | undefined {
  const base = EVENT_VERBS[event];
  if (!base) return undefined;
  const { group, resource } = target;
  const extra = event === 'Deleted' ? [] : (EQUIVALENT_VERBS[`${group}/${resource}`] ?? []);
  const q: WhoCanQuestion = { verbs: [...base, ...extra], group, resource };
  if (namespace) q.namespace = namespace;
  return q;
}

/** `create ingresses.networking.k8s.io in namespace team-a`, `update/patch nodes cluster-wide`. */
export function questionText(q: WhoCanQuestion): string {
  const where = q.namespace ? `in namespace ${q.namespace}` : 'cluster-wide';
  return `${q.verbs.join('/')} ${qualifiedResource({ ...q, version: '' })} ${where}`;
}

/**
 * `evidence.whoCanSummary`: the question in words and in parts (so that the plugin asks exactly
 * it again: the alert names its subject's kind, not its resource), how many grants answer it and
 * how many the alert lists. A few dozen bytes.
 */
export interface WhoCanSummary {
  question: string;
  verbs: string[];
  /** API group, empty for the core group. */
  group: string;
  resource: string;
  namespace?: string;
  total: number;
  listed: number;
}

/** The summary of an answer to `q` of which `listed` grants are in the alert. */
export function whoCanSummary(q: WhoCanQuestion, total: number, listed: number): WhoCanSummary {
  return {
    question: questionText(q),
    verbs: [...q.verbs],
    group: q.group,
    resource: q.resource,
    ...(q.namespace ? { namespace: q.namespace } : {}),
    total,
    listed,
  };
}

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * The question kept in a whoCanSummary (evidence is free-form, so its shape is checked), or
 * undefined when it holds none: an alert of an older operator, or one whose evidence was trimmed.
 */
export function questionOfSummary(summary: unknown): WhoCanQuestion | undefined {
  if (typeof summary !== 'object' || summary === null) return undefined;
  const s = summary as Record<string, unknown>;
  const verbs = Array.isArray(s.verbs) && s.verbs.length > 0 && s.verbs.every(isString) ? s.verbs : undefined;
  if (!verbs || !isString(s.group) || !isString(s.resource) || !s.resource) return undefined;
  const q: WhoCanQuestion = { verbs: [...verbs], group: s.group, resource: s.resource };
  if (isString(s.namespace) && s.namespace) q.namespace = s.namespace;
  return q;
}

/** `7 more: kubectl tripline who-can NAME`: where the grants an alert leaves out are. */
export const morePointer = (alertName: string, omitted: number): string =>
  `${omitted} more: kubectl tripline who-can ${alertName}`;
