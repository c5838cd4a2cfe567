/**
 * Which Ingress routes a Host, from an index refreshed by a periodic paged LIST (never a LIST per
 * log line or per alert). A line that names no Ingress is counted in the window of the Ingress its
 * Host maps to; a Host that maps to none (a client can send any) opens no window: see engine.ts.
 */
import type { KubeObject } from '../api/kube-object.js';
import type { KubeApi } from '../kube/api.js';

/** The apiVersion of the Ingress subjects. */
export const INGRESS_API_VERSION = 'networking.k8s.io/v1';

/** An Ingress by namespace and name. */
export interface IngressName {
  namespace: string;
  name: string;
}

/** What the engine asks of the index. */
export interface HostLookup {
  /** The Ingress that routes `host` (lower case, no port), or undefined. */
  lookup(host: string): IngressName | undefined;
}

/** Maps nothing: every Host is unmatched (tests, and the time before the first list). */
export const NO_HOSTS: HostLookup = { lookup: () => undefined };

/** Hosts kept (exact and wildcard together); beyond it the rest of a huge cluster is left out. */
export const MAX_HOSTS = 50_000;
/** Pages of the refresh LIST, and their size: at most 20 × 500 Ingresses are read. */
const MAX_PAGES = 20;
const PAGE = 500;

interface IngressList {
  metadata?: { continue?: string };
  items: KubeObject[] | null;
}

function hostsOf(ing: KubeObject): string[] {
  const rules = (ing as { spec?: { rules?: Array<{ host?: unknown }> } }).spec?.rules;
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((r) => (typeof r?.host === 'string' && r.host !== '' ? [r.host.toLowerCase()] : []));
}

/** Host → Ingresses, exact and `*.` wildcard (covering one label), bounded by {@link MAX_HOSTS}. */
export class HostIndex implements HostLookup {
  #exact = new Map<string, IngressName[]>();
  #wild = new Map<string, IngressName[]>();
  /** Hosts left out because the index was full. */
  dropped = 0;

  /** Replaces the index with the hosts of these Ingresses. */
  replace(ingresses: readonly KubeObject[]): void {
    const exact = new Map<string, IngressName[]>();
    const wild = new Map<string, IngressName[]>();
    let dropped = 0;
    const sorted = [...ingresses].sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace}/${b.metadata.name}`,
      ),
    );
    for (const ing of sorted) {
      const ref = { namespace: ing.metadata.namespace ?? '', name: ing.metadata.name ?? '' };
      for (const h of hostsOf(ing)) {
        const [map, key] = h.startsWith('*.') ? [wild, h.slice(1)] : [exact, h];
        const list = map.get(key);
        if (list) {
          if (!list.some((r) => r.namespace === ref.namespace && r.name === ref.name)) list.push(ref);
        } else if (exact.size + wild.size < MAX_HOSTS) map.set(key, [ref]);
        else dropped++;
      }
    }
    this.#exact = exact;
    this.#wild = wild;
    this.dropped = dropped;
  }

  /** Every Ingress routing `host`: exact matches first, then the wildcard ones. */
  all(host: string): IngressName[] {
    const dot = host.indexOf('.');
    const wild = dot > 0 ? this.#wild.get(host.slice(dot)) : undefined;
    return [...(this.#exact.get(host) ?? []), ...(wild ?? [])];
  }

  lookup(host: string): IngressName | undefined {
    return this.all(host)[0];
  }

  /** Hosts held. */
  get size(): number {
    return this.#exact.size + this.#wild.size;
  }

  /** Lists every Ingress (paged, bounded) and replaces the index. */
  async refresh(client: KubeApi): Promise<void> {
    const all: KubeObject[] = [];
    let cont: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const list = await client.request<IngressList>('GET', `/apis/${INGRESS_API_VERSION}/ingresses`, {
        query: { limit: PAGE, continue: cont },
      });
      all.push(...(list.items ?? []));
      cont = list.metadata?.continue;
      if (!cont) break;
    }
    this.replace(all);
  }
}
