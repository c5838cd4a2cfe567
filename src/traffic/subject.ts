import type { AlertSubject } from '../api/generated/audit-alert.js';
import type { KubeObject } from '../api/kube-object.js';
import type { KubeClient } from '../kube/client.js';
import { truncateUtf8 } from '../subjects/read.js';
import { INGRESS_API_VERSION, type ResolvedSubject } from './alert.js';
import type { IngressRef } from './engine.js';

interface IngressList {
  metadata?: { continue?: string };
  items: KubeObject[] | null;
}

const INGRESSES = `/apis/${INGRESS_API_VERSION}`;
/** Pages read when looking an Ingress up by host (an alert is rare; a huge cluster is not read whole). */
const MAX_PAGES = 20;
const PAGE = 500;

/** The AlertSubject of an Ingress as stored. */
function subjectOf(obj: KubeObject): AlertSubject {
  const m = obj.metadata;
  const s: AlertSubject = {
    apiVersion: INGRESS_API_VERSION,
    kind: 'Ingress',
    name: truncateUtf8(String(m.name ?? ''), 253),
  };
  if (m.namespace) s.namespace = truncateUtf8(m.namespace, 63);
  if (m.uid) s.uid = truncateUtf8(m.uid, 64);
  if (m.resourceVersion) s.resourceVersion = truncateUtf8(m.resourceVersion, 64);
  if (m.creationTimestamp) s.creationTimestamp = m.creationTimestamp;
  return s;
}

/** True when the Ingress routes `host` (exactly, or by a `*.` wildcard covering one label). */
export function routesHost(ing: KubeObject, host: string): boolean {
  const rules = (ing as { spec?: { rules?: Array<{ host?: unknown }> } }).spec?.rules;
  if (!Array.isArray(rules)) return false;
  return rules.some((r) => {
    const h = typeof r?.host === 'string' ? r.host.toLowerCase() : '';
    if (h === host) return true;
    if (!h.startsWith('*.')) return false;
    const dot = host.indexOf('.');
    return dot > 0 && host.slice(dot) === h.slice(1);
  });
}

async function byName(client: KubeClient, namespace: string, name: string): Promise<KubeObject | undefined> {
  const list = await client.request<IngressList>(
    'GET',
    `${INGRESSES}/namespaces/${encodeURIComponent(namespace)}/ingresses`,
    { query: { fieldSelector: `metadata.name=${name}` } },
  );
  return list.items?.[0];
}

async function byHost(client: KubeClient, host: string): Promise<KubeObject[]> {
  const found: KubeObject[] = [];
  let cont: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const list = await client.request<IngressList>('GET', `${INGRESSES}/ingresses`, {
      query: { limit: PAGE, continue: cont },
    });
    for (const ing of list.items ?? []) if (routesHost(ing, host)) found.push(ing);
    cont = list.metadata?.continue;
    if (!cont) break;
  }
  return found;
}

/**
 * The Ingress an access log names, as an alert subject. Looked up by namespace and name (a list
 * with a field selector, so `list` on Ingresses is all the RBAC it takes), or by host when the log
 * names no Ingress. When it is not found (deleted, or log fields that name no real Ingress) or
 * cannot be read, the alert is still raised with the names from the log and a note saying so:
 * traffic happened whatever the cluster holds now.
 */
export async function resolveIngress(client: KubeClient, ref: IngressRef): Promise<ResolvedSubject> {
  const fallback: AlertSubject = {
    apiVersion: INGRESS_API_VERSION,
    kind: 'Ingress',
    name: truncateUtf8(ref.ingress ?? ref.host ?? '', 253),
  };
  if (ref.namespace !== undefined) fallback.namespace = truncateUtf8(ref.namespace, 63);
  try {
    if (ref.namespace !== undefined && ref.ingress !== undefined) {
      const ing = await byName(client, ref.namespace, ref.ingress);
      if (ing) return { subject: subjectOf(ing), notes: [] };
      return {
        subject: fallback,
        notes: [
          `Ingress ${ref.namespace}/${ref.ingress} was not found when the alert was raised: it was deleted, or the access log names an Ingress that does not exist in this cluster`,
        ],
      };
    }
    const host = ref.host ?? '';
    const matches = await byHost(client, host);
    const first = matches[0];
    if (!first) {
      return {
        subject: fallback,
        notes: [
          `the access log names no Ingress, only the host ${host}, and no Ingress routes that host: the subject name is the host`,
        ],
      };
    }
    const notes = [`the access log names no Ingress; the subject is the Ingress that routes host ${host}`];
    if (matches.length > 1) {
      const others = matches.slice(1, 10).map((m) => `${m.metadata.namespace}/${m.metadata.name}`);
      notes.push(`other Ingresses also route host ${host}: ${others.join(', ')}`);
    }
    return { subject: subjectOf(first), notes };
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message.slice(0, 300) : 'unknown error';
    return {
      subject: fallback,
      notes: [`the Ingress could not be read (${why}); the subject is named from the access log`],
    };
  }
}
