import type { AuditAlert } from '../../api/generated/audit-alert.js';
import type { KubeObject } from '../../api/kube-object.js';
import type { KubeApi } from '../../kube/api.js';
import { ApiError, isForbidden } from '../../kube/errors.js';
import { collectionPath, qualifiedResource } from '../../kube/resources.js';
import { describeBinding } from '../../rbac/describe.js';
import { asksWhoCan, questionFor, questionOfSummary, questionText } from '../../rbac/question.js';
import { RBAC_RESOURCES } from '../../rbac/rbac-index.js';
import { RbacState } from '../../rbac/state.js';
import { SUPERUSER_GROUP, type WhoCanAnswer, type WhoCanQuestion, whoCan } from '../../rbac/who-can.js';
import { PluginError, serverMessage } from './errors.js';
import { alignColumns } from './table.js';
import { terminalSafe } from './terminal.js';

/** Objects per page of the RBAC lists. */
const PAGE_SIZE = 500;

/** Resolves a subject's kind to its resource, as API discovery does. */
export interface KindResolver {
  resolveKind(apiVersion: string, kind: string): Promise<{ group: string; resource: string }>;
}

/**
 * The alert's who-can question: the one its `evidence.whoCanSummary` keeps, else (an alert of an
 * older operator, or with trimmed evidence) rebuilt from its event, its subject's kind resolved
 * through discovery, and its namespace, the way the operator's enricher builds it.
 */
export async function alertQuestion(alert: AuditAlert, kinds: KindResolver): Promise<WhoCanQuestion> {
  const kept = questionOfSummary(alert.spec.evidence?.whoCanSummary);
  if (kept) return kept;
  const { event, subject } = alert.spec;
  const name = alert.metadata.name ?? '';
  if (!asksWhoCan(event))
    throw new PluginError(
      `error: alert ${name} has no who-can question: its event ${event} is not a create, update or delete of an object`,
    );
  let target: { group: string; resource: string };
  try {
    target = await kinds.resolveKind(subject.apiVersion, subject.kind);
  } catch (err: unknown) {
    throw new PluginError(
      `error: alert ${name} keeps no who-can question (evidence.whoCanSummary), and its subject's kind ${subject.kind} (${subject.apiVersion}) cannot be resolved: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return questionFor(event, target, subject.namespace) as WhoCanQuestion;
}

/**
 * Roles, ClusterRoles, RoleBindings and ClusterRoleBindings of the whole cluster, listed page by
 * page with the caller's credentials into the same {@link RbacState} the operator's index keeps.
 * A refused list names itself and what who-can needs.
 */
export async function readRbac(client: KubeApi): Promise<RbacState> {
  const state = new RbacState();
  for (const { kind, gvr } of RBAC_RESOURCES) {
    let cont: string | undefined;
    do {
      let page: { items?: KubeObject[]; metadata?: { continue?: string } };
      try {
        page = await client.request('GET', collectionPath(gvr), {
          query: { limit: PAGE_SIZE, continue: cont },
        });
      } catch (err: unknown) {
        if (!isForbidden(err)) throw err;
        const what = qualifiedResource(gvr);
        const said = err instanceof ApiError ? serverMessage(err) : String(err);
        throw new PluginError(
          `Error from server (Forbidden): ${said}\nwho-can lists Roles, ClusterRoles, RoleBindings and ClusterRoleBindings of the whole cluster with your credentials; the list of ${what} was refused: it needs list on ${what} cluster-wide`,
          { cause: err },
        );
      }
      for (const obj of page.items ?? []) state.put(kind, obj);
      cont = page.metadata?.continue || undefined;
    } while (cont);
  }
  return state;
}

/** The full answer: every grant, in the order the alert lists its first ones. */
export const fullAnswer = (state: RbacState, q: WhoCanQuestion): WhoCanAnswer =>
  whoCan(state, q, Number.MAX_SAFE_INTEGER);

/** `-o json`: the question, the count and every grant in the shape of the alert's `spec.whoCan`. */
export function whoCanJson(alertName: string, q: WhoCanQuestion, answer: WhoCanAnswer): string {
  const doc = {
    alert: alertName,
    question: questionText(q),
    verbs: q.verbs,
    group: q.group,
    resource: q.resource,
    ...(q.namespace ? { namespace: q.namespace } : {}),
    total: answer.total,
    whoCan: answer.grants.map((g) => ({
      kind: g.subject.kind,
      name: g.subject.name,
      ...(g.subject.namespace ? { namespace: g.subject.namespace } : {}),
      via: describeBinding(g.binding),
      verbs: g.verbs,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const HEADER = ['KIND', 'NAME', 'NAMESPACE', 'VERBS', 'VIA'];

/**
 * The answer as a title line and a kubectl-style table: one row per (subject, binding), most
 * specific first. Names come from the cluster's RBAC objects, so every cell is made terminal-safe.
 */
export function whoCanTable(alertName: string, q: WhoCanQuestion, answer: WhoCanAnswer): string {
  const n = answer.total;
  const title = terminalSafe(
    `Who can ${questionText(q)} (alert ${alertName}), by RBAC as it is now: ${n} grant${n === 1 ? '' : 's'}; members of group ${SUPERUSER_GROUP} can too (they bypass RBAC) and are not listed`,
  );
  if (n === 0) return `${title}\n`;
  const rows = answer.grants.map((g) =>
    terminalSafe([
      g.subject.kind,
      g.subject.name,
      g.subject.namespace ?? '',
      g.verbs.join(','),
      describeBinding(g.binding),
    ]),
  );
  return `${title}\n\n${alignColumns([HEADER, ...rows])}\n`;
}
