import type { AlertSubject } from '../api/generated/audit-alert.js';
import type { KubeObject } from '../api/kube-object.js';
import type { KubeApi } from '../kube/api.js';
import { truncateUtf8 } from '../subjects/read.js';
import type { ResolvedSubject } from './alert.js';
import type { IngressRef } from './engine.js';
import type { HostIndex } from './host-index.js';
import { INGRESS_API_VERSION } from './host-index.js';

interface IngressList {
  items: KubeObject[] | null;
}

const INGRESSES = `/apis/${INGRESS_API_VERSION}`;
/** Ingresses read for the notes of an alert whose line named only a host. */
const MAX_HOST_MATCHES = 10;

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

async function byName(client: KubeApi, namespace: string, name: string): Promise<KubeObject | undefined> {
  const list = await client.request<IngressList>(
    'GET',
    `${INGRESSES}/namespaces/${encodeURIComponent(namespace)}/ingresses`,
    { query: { fieldSelector: `metadata.name=${name}` } },
  );
  return list.items?.[0];
}

/** The Ingresses routing `host`, from the index (never a LIST per alert), read by name. */
async function byHost(client: KubeApi, hosts: HostIndex | undefined, host: string): Promise<KubeObject[]> {
  const found: KubeObject[] = [];
  for (const ref of (hosts?.all(host) ?? []).slice(0, MAX_HOST_MATCHES)) {
    const ing = await byName(client, ref.namespace, ref.name);
    if (ing) found.push(ing);
  }
  return found;
}

/**
 * The Ingress an access log names, as an alert subject. Looked up by namespace and name (a list
 * with a field selector, so `list` on Ingresses is all the RBAC it takes), or by host when the log
 * names no Ingress (through the host index). When it is not found (deleted, or log fields that name no real Ingress) or
 * cannot be read, the alert is still raised with the names from the log and a note saying so:
 * traffic happened whatever the cluster holds now.
 */
export async function resolveIngress(
  client: KubeApi,
  ref: IngressRef,
  hosts?: HostIndex,
): Promise<ResolvedSubject> {
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
    const matches = await byHost(client, hosts, host);
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
