import type { KubeApi } from './api.js';

/** A group/version/resource, `group` empty for the core group. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** What discovery says about a resource. */
export interface ResourceInfo extends GroupVersionResource {
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

/** `apps/v1` or `v1`. */
export const apiVersionOf = (gvr: Pick<GroupVersionResource, 'group' | 'version'>): string =>
  gvr.group ? `${gvr.group}/${gvr.version}` : gvr.version;

/** A stable string key, e.g. `apps/v1/deployments` or `core/v1/pods`. */
export const gvrKey = (gvr: GroupVersionResource): string =>
  `${gvr.group || 'core'}/${gvr.version}/${gvr.resource}`;

/** The plural as kubectl accepts it fully qualified: `deployments.apps`, `pods`. */
export const qualifiedResource = (gvr: GroupVersionResource): string =>
  gvr.group ? `${gvr.resource}.${gvr.group}` : gvr.resource;

/** The cluster-wide collection path: `/apis/apps/v1/deployments`, `/api/v1/pods`. */
export function collectionPath(gvr: GroupVersionResource): string {
  const base = gvr.group ? `/apis/${gvr.group}/${gvr.version}` : `/api/${gvr.version}`;
  return `${base}/${gvr.resource}`;
}

/** The path of one object. */
export function objectPath(
  gvr: GroupVersionResource,
  namespaced: boolean,
  name: string,
  namespace?: string,
): string {
  const base = gvr.group ? `/apis/${gvr.group}/${gvr.version}` : `/api/${gvr.version}`;
  const ns = namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${gvr.resource}/${encodeURIComponent(name)}`;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
}

/**
 * Resolves resources through API discovery, one request per group/version, cached for the life of
 * the process (a CRD installed later is found because misses are not cached).
 */
export class Discovery {
  readonly #client: KubeApi;
  readonly #cache = new Map<string, ApiResourceList>();

  constructor(client: KubeApi) {
    this.#client = client;
  }

  /** Finds the resource of a kind (e.g. `apps/v1` + `Deployment` → deployments). */
  async resolveKind(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const probe = { group: group as string, version: version as string, resource: '' };
    const list = await this.#list(probe);
    const found = list.resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) throw new Error(`the API server does not serve kind ${kind} in ${apiVersion}`);
    return { ...probe, resource: found.name, kind, namespaced: found.namespaced, verbs: found.verbs };
  }

  /** Looks a resource up; throws with a readable message when the API server does not serve it. */
  async resolve(gvr: GroupVersionResource): Promise<ResourceInfo> {
    const gv = apiVersionOf(gvr);
    const list = await this.#list(gvr);
    const found = list.resources.find((r) => r.name === gvr.resource);
    if (!found) {
      this.#cache.delete(gv);
      throw new Error(`the API server does not serve resource ${gvr.resource} in ${gv}`);
    }
    return { ...gvr, kind: found.kind, namespaced: found.namespaced, verbs: found.verbs };
  }

  async #list(gvr: Pick<GroupVersionResource, 'group' | 'version'>): Promise<ApiResourceList> {
    const gv = apiVersionOf(gvr);
    const cached = this.#cache.get(gv);
    if (cached) return cached;
    try {
      const list = await this.#client.request<ApiResourceList>(
        'GET',
        gvr.group ? `/apis/${gv}` : `/api/${gv}`,
      );
      this.#cache.set(gv, list);
      return list;
    } catch (err: unknown) {
      throw new Error(`the API server does not serve ${gv}`, { cause: err });
    }
  }
}

/**
 * Resources read as metadata only: Secret values must never enter the operator's memory, alerts or
 * logs (DESIGN §4, §10), so the API server is asked for PartialObjectMetadata.
 */
export function isMetadataOnly(r: Pick<GroupVersionResource, 'group' | 'resource'>): boolean {
  return r.group === '' && r.resource === 'secrets';
}
