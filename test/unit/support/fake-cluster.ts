import { PassThrough, type Readable } from 'node:stream';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { KubeApi } from '../../../src/kube/api.js';
import type { RequestOptions } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/errors.js';
import { jsonPatch, matchesFields, matchesLabels, mergePatch, PatchError } from './fake-cluster-ops.js';

/** A resource the fake API server serves (what discovery would list). */
export interface FakeResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  /** A `status` subresource (default true): writes to the object keep status, status writes keep the rest. */
  status?: boolean;
  /** A `scale` subresource (`spec.replicas`). */
  scale?: boolean;
}

const r = (
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  more = {},
) => ({
  group,
  version,
  resource,
  kind,
  namespaced,
  ...more,
});

/** What the fake serves unless told otherwise: the kinds the operator's tests touch. */
export const DEFAULT_RESOURCES: FakeResource[] = [
  r('', 'v1', 'namespaces', 'Namespace', false),
  r('', 'v1', 'pods', 'Pod', true),
  r('', 'v1', 'secrets', 'Secret', true, { status: false }),
  r('', 'v1', 'configmaps', 'ConfigMap', true, { status: false }),
  r('', 'v1', 'services', 'Service', true),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { status: false }),
  r('apps', 'v1', 'deployments', 'Deployment', true, { scale: true }),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, { scale: true }),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true),
  r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, { status: false }),
  r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, { status: false }),
  r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, { status: false }),
  r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, { status: false }),
  r('events.k8s.io', 'v1', 'events', 'Event', true, { status: false }),
  r('coordination.k8s.io', 'v1', 'leases', 'Lease', true, { status: false }),
  r('tripline.dev', 'v1alpha1', 'auditalerts', 'AuditAlert', false),
  r('tripline.dev', 'v1alpha1', 'auditdetections', 'AuditDetection', false),
];

/** The kind of request, as Kubernetes authorization names it. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** One request the fake answered, in order: what tests assert (sample-controller style). */
export interface Action {
  verb: Verb;
  method: string;
  path: string;
  /** `auditalerts.tripline.dev`, `pods`; the path for discovery (`/apis/apps/v1`). */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: Record<string, string>;
  body?: unknown;
  /** The Accept header asked for, when not the default JSON. */
  accept?: string;
  /** The HTTP status answered (0: a network failure was injected). */
  code: number;
}

/** A failure to answer instead of serving: the next `times` requests that match get it. */
export interface Fault extends ActionMatch {
  /** HTTP status; 0 is a connection failure (no answer). */
  status: number;
  reason?: string;
  message?: string;
  retryAfterSeconds?: number;
  /** How many matching requests fail (default 1; Infinity: until {@link FakeCluster.clearFaults}). */
  times?: number;
}

/** Any typed object (generated CRD types included) for the test-side helpers; its apiVersion and kind pick the resource. */
export type AnyObject = { apiVersion?: string; kind?: string; metadata?: object };

/** Options of {@link FakeCluster}. */
export interface FakeClusterOptions {
  resources?: FakeResource[];
  /** Time of creationTimestamp and managedFields (default: the system clock). */
  now?: () => Date;
  /**
   * False: answer full objects even when the Accept header asks for PartialObjectMetadata, as a
   * server (or proxy) that ignores it would; the reader must still keep only metadata.
   */
  honourMetadataAccept?: boolean;
  /** The API server's clock minus the local one, as {@link KubeApi.serverOffsetMs} reports it (default 0). */
  serverOffsetMs?: number;
}

/** Which requests a {@link Fault} or a {@link FakeCluster.before} hook applies to. */
export interface ActionMatch {
  verb?: Verb;
  /** Matched against the resource (`auditalerts.tripline.dev`, `pods`). */
  resource?: string;
  name?: string;
  subresource?: string;
}

interface Target {
  res: FakeResource;
  namespace?: string;
  name?: string;
  subresource?: string;
}

interface Watcher {
  res: FakeResource;
  namespace?: string;
  metadataOnly: boolean;
  bookmarks: boolean;
  stream: PassThrough;
}

interface LoggedEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  res: FakeResource;
  object: KubeObject;
}

type Obj = KubeObject & Record<string, unknown>;

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** `resource.group`, as kubectl and error messages spell it. */
const qualified = (res: FakeResource): string => (res.group ? `${res.resource}.${res.group}` : res.resource);
const apiVersion = (res: FakeResource): string => (res.group ? `${res.group}/${res.version}` : res.version);
const keyOf = (res: FakeResource, ns: string | undefined, name: string): string =>
  `${qualified(res)}|${ns ?? ''}|${name}`;

/**
 * One in-memory API server behind the cluster port ({@link KubeApi}; docs/adr/0023), for unit
 * tests of everything that lists, watches and writes. It keeps objects by resource, namespace and
 * name; stamps monotonic resourceVersions, uids, generations and creation times; answers with the
 * real server's Status errors (404 NotFound, 409 AlreadyExists/Conflict, 410 Expired, 422 Invalid);
 * serves lists (paged, with label and field selectors, metadata-only on request), watches (from a
 * resourceVersion, with bookmarks and an in-stream 410 when the history is compacted), and status
 * and scale subresources. Every request is recorded as an {@link Action}; faults are injected per
 * verb and resource. Test-side writes ({@link put}, {@link remove}) are not recorded: they are
 * "someone else" changing the cluster, and reach open watches like any write.
 */
export class FakeCluster implements KubeApi {
  readonly actions: Action[] = [];
  readonly #resources: FakeResource[];
  readonly #now: () => Date;
  readonly #honourMetadata: boolean;
  readonly #offsetMs: number;
  #hooks: { match: ActionMatch; run: (a: Action) => void; left: number }[] = [];
  readonly #objects = new Map<string, Obj>();
  readonly #log: LoggedEvent[] = [];
  readonly #watchers = new Set<Watcher>();
  #faults: (Fault & { left: number })[] = [];
  #rv = 100;
  #compacted = 0;
  #uid = 0;

  constructor(opts: FakeClusterOptions = {}) {
    this.#resources = [...(opts.resources ?? DEFAULT_RESOURCES)];
    this.#now = opts.now ?? (() => new Date());
    this.#honourMetadata = opts.honourMetadataAccept ?? true;
    this.#offsetMs = opts.serverOffsetMs ?? 0;
  }

  /** The API server's clock minus the local one (the `serverOffsetMs` option). */
  serverOffsetMs(): number {
    return this.#offsetMs;
  }

  // ---- the port -------------------------------------------------------------------------------

  /** Serves one request (see the class comment); errors reject with {@link ApiError}. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    await new Promise((resolve) => setImmediate(resolve)); // answers come later, as over a socket
    const action = this.#record(method, path, opts);
    if (action.query.watch) throw new Error('FakeCluster: watches go through stream()');
    try {
      this.#admit(action);
      const out = this.#serve(action, opts);
      action.code ||= action.verb === 'create' ? 201 : 200;
      return structuredClone(out) as T;
    } catch (err: unknown) {
      if (err instanceof ApiError) action.code = err.status;
      throw err;
    }
  }

  /** Opens a watch: newline-delimited JSON WatchEvents from the resourceVersion asked for. */
  async stream(path: string, opts: RequestOptions): Promise<Readable> {
    await new Promise((resolve) => setImmediate(resolve));
    const action = this.#record('GET', path, opts);
    try {
      this.#admit(action);
      const stream = this.#watch(action, opts);
      action.code = 200;
      return stream;
    } catch (err: unknown) {
      if (err instanceof ApiError) action.code = err.status;
      throw err;
    }
  }

  // ---- what tests assert ----------------------------------------------------------------------

  /**
   * The actions as short strings, `verb resource [namespace/]name[/subresource]`, with ` -> code`
   * when the answer was an error: `create auditalerts.tripline.dev a1`,
   * `patch auditdetections.tripline.dev d/status -> 409`. `only` keeps some verbs.
   */
  verbs(only?: readonly Verb[]): string[] {
    return this.actions.filter((a) => !only || only.includes(a.verb)).map(describe);
  }

  /** The writes only (create, update, patch, delete), as {@link verbs} spells them. */
  writes(): string[] {
    return this.verbs(['create', 'update', 'patch', 'delete', 'deletecollection']);
  }

  /** Forgets the actions recorded so far (e.g. after a test's setup). */
  clearActions(): void {
    this.actions.length = 0;
  }

  // ---- what tests control ---------------------------------------------------------------------

  /** Makes the next matching requests fail (see {@link Fault}). */
  fail(fault: Fault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Removes every pending fault. */
  clearFaults(): void {
    this.#faults = [];
  }

  /**
   * Runs `run` when a matching request arrives, before it is served (client-go's reactors): how a
   * test makes another client act at an exact moment, e.g. `put` the object a create is about to
   * create, so the create meets a real 409 AlreadyExists. `times` as for {@link Fault}.
   */
  before(match: ActionMatch, run: (a: Action) => void, times = 1): void {
    this.#hooks.push({ match, run, left: times });
  }

  /**
   * Starts serving a resource, as the API server does once its CRD is established: discovery of
   * its group/version lists it from now on.
   */
  serve(res: FakeResource): void {
    if (!this.#resources.some((x) => apiVersion(x) === apiVersion(res) && x.resource === res.resource))
      this.#resources.push(res);
  }

  /**
   * Creates or replaces an object as another client would (not recorded), keeping the status,
   * uid and creationTimestamp it carries; open watches see ADDED or MODIFIED.
   */
  put<T extends AnyObject>(given: T): Obj {
    const obj = given as KubeObject;
    const res = this.#resourceOfKind(obj);
    const ns = res.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
    const name = obj.metadata?.name as string;
    const before = this.#objects.get(keyOf(res, ns, name));
    const stored = structuredClone(obj) as Obj;
    stored.apiVersion = apiVersion(res);
    stored.kind = res.kind;
    stored.metadata = {
      ...stored.metadata,
      ...(ns ? { namespace: ns } : {}),
      uid: obj.metadata?.uid ?? before?.metadata.uid ?? this.#newUid(),
      creationTimestamp:
        obj.metadata?.creationTimestamp ?? before?.metadata.creationTimestamp ?? this.#timestamp(),
      generation: obj.metadata?.generation ?? before?.metadata.generation ?? 1,
    };
    this.#store(res, stored, before ? 'MODIFIED' : 'ADDED');
    return structuredClone(stored);
  }

  /** Deletes an object as another client would (not recorded); open watches see DELETED. */
  remove<T extends AnyObject>(given: T): void {
    const ref = given as KubeObject;
    const res = this.#resourceOfKind(ref);
    const key = keyOf(
      res,
      res.namespaced ? ref.metadata?.namespace : undefined,
      ref.metadata?.name as string,
    );
    const stored = this.#objects.get(key);
    if (!stored) throw new Error(`FakeCluster: nothing to remove at ${key}`);
    this.#objects.delete(key);
    this.#emit('DELETED', res, {
      ...stored,
      metadata: { ...stored.metadata, resourceVersion: this.#nextRv() },
    });
  }

  /** The stored object (a copy), or undefined. */
  get<T extends AnyObject>(given: T): Obj | undefined {
    const ref = given as KubeObject;
    const res = this.#resourceOfKind(ref);
    const ns = res.namespaced ? ref.metadata?.namespace : undefined;
    const found = this.#objects.get(keyOf(res, ns, ref.metadata?.name as string));
    return found && structuredClone(found);
  }

  /** Every stored object of a kind (copies), in name order. */
  list(apiVersionOfKind: string, kind: string): Obj[] {
    const res = this.#resourceOfKind({ apiVersion: apiVersionOfKind, kind });
    return this.#matching(res, undefined, {}).map((o) => structuredClone(o));
  }

  /** The current resourceVersion (the last one handed out). */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Open watches, of one resource (`auditalerts.tripline.dev`) or of all. */
  openWatches(resource?: string): number {
    return [...this.#watchers].filter((w) => !resource || qualified(w.res) === resource).length;
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that allows bookmarks. */
  bookmark(): void {
    for (const w of this.#watchers) {
      if (!w.bookmarks) continue;
      const object = {
        apiVersion: apiVersion(w.res),
        kind: w.res.kind,
        metadata: { resourceVersion: this.resourceVersion },
      };
      w.stream.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  /** Forgets the event history: a watch or continue token from before now gets 410 Expired. */
  compact(): void {
    this.#compacted = this.#rv;
    this.#log.length = 0;
  }

  /** Ends every open watch as the server does when its timeout passes. */
  closeWatches(): void {
    for (const w of this.#watchers) w.stream.end();
    this.#watchers.clear();
  }

  /**
   * Ends every open watch with an in-stream ERROR event 410 Expired (the API server does so when a
   * watcher falls too far behind), and compacts so resuming from the last seen version fails too.
   */
  expireWatches(): void {
    this.compact();
    for (const w of this.#watchers) {
      w.stream.end(`${JSON.stringify({ type: 'ERROR', object: expiredStatus(this.#rv) })}\n`);
    }
    this.#watchers.clear();
  }

  // ---- serving --------------------------------------------------------------------------------

  #record(method: string, rawPath: string, opts: RequestOptions): Action {
    const [path = '', rawQuery] = rawPath.split('?');
    const query: Record<string, string> = Object.fromEntries(new URLSearchParams(rawQuery ?? ''));
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) query[k] = String(v);
    const t = this.#target(path);
    const verb = t.groupVersion ? 'get' : verbOf(method, t, query);
    // A create names its object in the body: the action names it as sample-controller's do.
    const created = verb === 'create' ? (opts.body as KubeObject | undefined)?.metadata?.name : undefined;
    const action: Action = {
      verb,
      method,
      path,
      resource: t.res ? qualified(t.res) : (t.requested ?? path),
      ...(t.namespace ? { namespace: t.namespace } : {}),
      ...(t.name || created ? { name: t.name ?? created } : {}),
      ...(t.subresource ? { subresource: t.subresource } : {}),
      query,
      ...(opts.body !== undefined ? { body: structuredClone(opts.body) } : {}),
      ...(opts.accept ? { accept: opts.accept } : {}),
      code: 0,
    };
    this.actions.push(action);
    return action;
  }

  /** Throws the injected fault the action matches, or 404 for a resource not served. */
  #admit(a: Action): void {
    this.#runHooks(a);
    this.#injectFault(a);
    const t = this.#target(a.path);
    if (!t.res && !t.discovery)
      throw apiError(a, 404, 'the server could not find the requested resource', 'NotFound');
  }

  /** Runs the {@link before} hooks the action matches, in the order they were added. */
  #runHooks(a: Action): void {
    for (const h of [...this.#hooks]) {
      if (!matches(h.match, a)) continue;
      if (--h.left <= 0) this.#hooks = this.#hooks.filter((x) => x !== h);
      h.run(a);
    }
  }

  #injectFault(a: Action): void {
    const f = this.#faults.find((f) => matches(f, a));
    if (!f) return;
    if (--f.left <= 0) this.#faults = this.#faults.filter((x) => x !== f);
    if (f.status === 0) {
      throw new ApiError(`${a.method} ${a.path} failed`, {
        status: 0,
        cause: new Error('connect ECONNREFUSED'),
      });
    }
    throw apiError(a, f.status, f.message ?? 'injected by the test', f.reason, f.retryAfterSeconds);
  }

  /** Parses `/api/v1[/namespaces/ns]/resource[/name[/sub]]` and `/apis/group/version/...`. */
  #target(
    path: string,
  ): Partial<Target> & { discovery?: FakeResource[]; groupVersion?: boolean; requested?: string } {
    const parts = path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const [root, ...rest] = parts;
    const group = root === 'apis' ? (rest.shift() ?? '') : '';
    const version = rest.shift() ?? '';
    if (rest.length === 0) {
      const served = this.#resources.filter((x) => x.group === group && x.version === version);
      return { groupVersion: true, ...(served.length > 0 ? { discovery: served } : { requested: path }) };
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2] as string)) {
      namespace = rest[1];
      rest.splice(0, 2);
    }
    const [resource, name, subresource] = rest;
    const res = this.#resources.find(
      (x) => x.group === group && x.version === version && x.resource === resource,
    );
    const requested = group ? `${resource}.${group}` : resource;
    return { ...(res ? { res } : { requested }), namespace, name, subresource };
  }

  #serve(a: Action, opts: RequestOptions): unknown {
    const t = this.#target(a.path);
    if (t.discovery) return discoveryList(t.discovery);
    const target = t as Target;
    const metadataOnly = this.#metadataOnly(opts);
    switch (a.verb) {
      case 'list':
        return this.#list(a, target, metadataOnly);
      case 'get':
        return shape(this.#read(a, target), target, metadataOnly);
      case 'create':
        return shape(this.#create(a, target, opts.body as Obj), target, metadataOnly);
      case 'update':
      case 'patch':
        if (isApply(opts) && !target.subresource && !this.#objects.has(keyOfTarget(target))) {
          // Server-side apply creates what does not exist yet (201).
          const body = opts.body as Obj;
          a.code = 201;
          return shape(
            this.#create(a, target, { ...body, metadata: { ...body.metadata, name: target.name } } as Obj),
            target,
            metadataOnly,
          );
        }
        return shape(this.#write(a, target, opts), target, metadataOnly);
      case 'delete':
        return shape(this.#delete(a, target, opts.body as DeleteOptions | undefined), target, metadataOnly);
      default:
        throw apiError(a, 405, `${a.verb} is not modelled by the fake`, 'MethodNotAllowed');
    }
  }

  #list(a: Action, t: Target, metadataOnly: boolean): unknown {
    let after = '';
    let rv = this.#rv;
    if (a.query.continue) {
      const token = JSON.parse(Buffer.from(a.query.continue, 'base64url').toString()) as {
        rv: number;
        after: string;
      };
      if (token.rv < this.#compacted)
        throw apiError(a, 410, 'The provided continue parameter is too old', 'Expired');
      ({ after, rv } = token);
    }
    const all = this.#matching(t.res, t.namespace, a.query).filter((o) => sortKey(o) > after);
    const limit = Number(a.query.limit) || all.length;
    const page = all.slice(0, limit);
    const last = page.at(-1);
    const more = all.length > limit && last;
    const metadata = {
      resourceVersion: String(rv),
      ...(more
        ? { continue: Buffer.from(JSON.stringify({ rv, after: sortKey(last) })).toString('base64url') }
        : {}),
    };
    if (metadataOnly) {
      const items = page.map((o) => ({ metadata: structuredClone(o.metadata) }));
      return {
        apiVersion: 'meta.k8s.io/v1',
        kind: 'PartialObjectMetadataList',
        metadata,
        items: items.length ? items : null,
      };
    }
    // Items of a list carry no apiVersion/kind: the list does.
    const items = page.map(({ apiVersion: _v, kind: _k, ...rest }) => rest);
    return { apiVersion: apiVersion(t.res), kind: `${t.res.kind}List`, metadata, items };
  }

  #matching(res: FakeResource, namespace: string | undefined, query: Record<string, string>): Obj[] {
    const prefix = `${qualified(res)}|${namespace ?? ''}`;
    return [...this.#objects.entries()]
      .filter(([k]) =>
        namespace === undefined ? k.startsWith(`${qualified(res)}|`) : k.startsWith(`${prefix}|`),
      )
      .map(([, o]) => o)
      .filter((o) => !query.labelSelector || matchesLabels(o.metadata.labels, query.labelSelector))
      .filter((o) => !query.fieldSelector || matchesFields(o, query.fieldSelector))
      .sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : 1));
  }

  #read(a: Action, t: Target): Obj {
    const found = this.#objects.get(keyOf(t.res, t.namespace, t.name as string));
    if (!found) throw apiError(a, 404, `${qualified(t.res)} "${t.name}" not found`, 'NotFound');
    return found;
  }

  #create(a: Action, t: Target, body: Obj): Obj {
    if (t.res.namespaced && !t.namespace)
      throw apiError(a, 404, 'the server could not find the requested resource');
    const name =
      body?.metadata?.name ??
      (body?.metadata?.generateName ? `${body.metadata.generateName}${this.#uid + 1}` : undefined);
    if (!name) throw apiError(a, 422, 'name or generateName is required', 'Invalid');
    if (this.#objects.has(keyOf(t.res, t.namespace, name)))
      throw apiError(a, 409, `${qualified(t.res)} "${name}" already exists`, 'AlreadyExists');
    const stored = structuredClone(body);
    if (t.res.status !== false) delete stored.status;
    stored.apiVersion = apiVersion(t.res);
    stored.kind = t.res.kind;
    stored.metadata = {
      ...stored.metadata,
      name,
      ...(t.namespace ? { namespace: t.namespace } : {}),
      uid: this.#newUid(),
      generation: 1,
      creationTimestamp: this.#timestamp(),
      ...this.#managedFields(a, undefined),
    };
    this.#store(t.res, stored, 'ADDED');
    return stored;
  }

  /** PUT and PATCH, on the object or its status or scale subresource. */
  #write(a: Action, t: Target, opts: RequestOptions): Obj {
    const before = this.#read(a, t);
    const view = t.subresource === 'scale' ? toScale(before) : before;
    const proposed = this.#proposed(a, view, opts) as Obj;
    const wantRv = proposed.metadata?.resourceVersion;
    if (wantRv !== undefined && wantRv !== view.metadata.resourceVersion)
      throw conflict(
        a,
        t,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    if (proposed.metadata?.uid !== undefined && proposed.metadata.uid !== before.metadata.uid)
      throw conflict(
        a,
        t,
        `Precondition failed: UID in precondition: ${proposed.metadata.uid}, UID in object meta: ${before.metadata.uid}`,
      );
    const next = this.#merged(t, before, proposed);
    const same =
      JSON.stringify({ ...next, metadata: { ...next.metadata, managedFields: undefined } }) ===
      JSON.stringify({ ...before, metadata: { ...before.metadata, managedFields: undefined } });
    if (same) return t.subresource === 'scale' ? toScale(before) : before;
    next.metadata = { ...next.metadata, ...this.#managedFields(a, before) };
    if (
      next.metadata.deletionTimestamp &&
      ((next.metadata as { finalizers?: string[] }).finalizers ?? []).length === 0
    ) {
      this.#objects.delete(keyOf(t.res, t.namespace, t.name as string));
      this.#emit('DELETED', t.res, {
        ...next,
        metadata: { ...next.metadata, resourceVersion: this.#nextRv() },
      });
      return next;
    }
    this.#store(t.res, next, 'MODIFIED');
    return t.subresource === 'scale' ? toScale(next) : next;
  }

  /** What the request asks the object (or its scale) to become. */
  #proposed(a: Action, view: Obj, opts: RequestOptions): unknown {
    if (a.verb === 'update') return opts.body;
    const type = opts.contentType ?? 'application/merge-patch+json';
    try {
      if (type === 'application/json-patch+json') return jsonPatch(view, opts.body as never);
    } catch (err: unknown) {
      if (err instanceof PatchError) throw apiError(a, 422, err.message, 'Invalid');
      throw err;
    }
    // merge-patch, strategic-merge-patch and apply-patch alike: see ADR 0023 for what is not modelled.
    const patch = opts.body as Obj;
    const merged = mergePatch(view, patch) as Obj;
    // A resourceVersion or uid in the patch is a precondition, not a value to take.
    merged.metadata = {
      ...merged.metadata,
      resourceVersion: patch?.metadata?.resourceVersion,
      uid: patch?.metadata?.uid,
    } as Obj['metadata'];
    return merged;
  }

  /** The stored object after a write: a status write keeps all but status, an object write keeps status. */
  #merged(t: Target, before: Obj, proposed: Obj): Obj {
    if (t.subresource === 'scale') {
      const replicas = (proposed.spec as { replicas?: number } | undefined)?.replicas;
      return { ...structuredClone(before), spec: { ...(before.spec as object), replicas } };
    }
    const next = structuredClone(before);
    if (t.subresource === 'status') {
      next.status = structuredClone(proposed.status);
      return next;
    }
    const { metadata, status: _s, ...content } = proposed;
    for (const k of Object.keys(next))
      if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) delete next[k];
    Object.assign(next, structuredClone(content), { apiVersion: before.apiVersion, kind: before.kind });
    if (t.res.status === false) next.status = structuredClone(proposed.status);
    const keep = [
      'name',
      'namespace',
      'uid',
      'creationTimestamp',
      'generation',
      'deletionTimestamp',
      'resourceVersion',
    ];
    next.metadata = {
      ...structuredClone(metadata ?? {}),
      ...Object.fromEntries(keep.map((k) => [k, (before.metadata as Record<string, unknown>)[k]])),
    };
    const specChanged = JSON.stringify(contentOf(next)) !== JSON.stringify(contentOf(before));
    if (specChanged) next.metadata.generation = (before.metadata.generation ?? 1) + 1;
    if (next.metadata.deletionTimestamp === undefined) delete next.metadata.deletionTimestamp;
    return next;
  }

  #delete(a: Action, t: Target, options: DeleteOptions | undefined): Obj {
    const before = this.#read(a, t);
    const pre = options?.preconditions ?? {};
    if (pre.uid !== undefined && pre.uid !== before.metadata.uid)
      throw conflict(
        a,
        t,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${before.metadata.uid}`,
      );
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== before.metadata.resourceVersion)
      throw conflict(
        a,
        t,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${before.metadata.resourceVersion}`,
      );
    if (((before.metadata as { finalizers?: string[] }).finalizers ?? []).length > 0) {
      const next = structuredClone(before);
      next.metadata.deletionTimestamp ??= this.#timestamp();
      this.#store(t.res, next, 'MODIFIED');
      return next;
    }
    this.#objects.delete(keyOf(t.res, t.namespace, t.name as string));
    const gone = { ...before, metadata: { ...before.metadata, resourceVersion: this.#nextRv() } };
    this.#emit('DELETED', t.res, gone);
    return gone;
  }

  #watch(a: Action, opts: RequestOptions): Readable {
    const t = this.#target(a.path) as Target;
    const stream = new PassThrough();
    const from = a.query.resourceVersion;
    const w: Watcher = {
      res: t.res,
      ...(t.namespace ? { namespace: t.namespace } : {}),
      metadataOnly: this.#metadataOnly(opts),
      bookmarks: a.query.allowWatchBookmarks === 'true',
      stream,
    };
    if (from !== undefined && from !== '0' && Number(from) < this.#compacted) {
      // As the real server does: 200, then one ERROR event, then the end of the stream.
      stream.end(
        `${JSON.stringify({ type: 'ERROR', object: expiredStatus(Number(from), this.#compacted) })}\n`,
      );
      return stream;
    }
    if (from === undefined || from === '0') {
      for (const o of this.#matching(t.res, t.namespace, a.query)) this.#send(w, 'ADDED', o);
    } else {
      for (const e of this.#log)
        if (e.rv > Number(from) && this.#wants(w, e.res, e.object)) this.#send(w, e.type, e.object);
    }
    this.#watchers.add(w);
    const end = (): void => {
      this.#watchers.delete(w);
      // As an aborted response does: the reader sees an error, not a clean end.
      stream.destroy(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
    };
    if (opts.signal?.aborted) end();
    else opts.signal?.addEventListener('abort', end, { once: true });
    stream.on('close', () => this.#watchers.delete(w));
    return stream;
  }

  #metadataOnly(opts: RequestOptions): boolean {
    return this.#honourMetadata && opts.accept?.includes('as=PartialObjectMetadata') === true;
  }

  #wants(w: Watcher, res: FakeResource, o: KubeObject): boolean {
    return w.res === res && (!w.namespace || o.metadata.namespace === w.namespace);
  }

  #send(w: Watcher, type: string, o: KubeObject): void {
    const object = w.metadataOnly
      ? { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: o.metadata }
      : o;
    w.stream.write(`${JSON.stringify({ type, object })}\n`);
  }

  #store(res: FakeResource, obj: Obj, type: 'ADDED' | 'MODIFIED'): void {
    obj.metadata.resourceVersion = this.#nextRv();
    this.#objects.set(keyOf(res, obj.metadata.namespace, obj.metadata.name as string), obj);
    this.#emit(type, res, obj);
  }

  #emit(type: LoggedEvent['type'], res: FakeResource, obj: KubeObject): void {
    const object = structuredClone(obj);
    this.#log.push({ rv: this.#rv, type, res, object });
    for (const w of this.#watchers) if (this.#wants(w, res, object)) this.#send(w, type, object);
  }

  #resourceOfKind(ref: Pick<KubeObject, 'apiVersion' | 'kind'>): FakeResource {
    const found = this.#resources.find((x) => apiVersion(x) === ref.apiVersion && x.kind === ref.kind);
    if (!found) throw new Error(`FakeCluster: ${ref.apiVersion} ${ref.kind} is not served`);
    return found;
  }

  #managedFields(a: Action, before: Obj | undefined): Partial<KubeObject['metadata']> {
    const manager = a.query.fieldManager;
    if (!manager)
      return before?.metadata.managedFields ? { managedFields: before.metadata.managedFields } : {};
    const entry = {
      manager,
      operation:
        a.method === 'PATCH' && a.body !== undefined && a.query.force !== undefined ? 'Apply' : 'Update',
      apiVersion: a.path.startsWith('/apis/') ? a.path.split('/').slice(2, 4).join('/') : 'v1',
      time: this.#timestamp(),
      ...(a.subresource ? { subresource: a.subresource } : {}),
    };
    const others = (before?.metadata.managedFields ?? []).filter(
      (m) => m.manager !== manager || m.subresource !== entry.subresource,
    );
    return { managedFields: [...others, entry] };
  }

  #nextRv(): string {
    this.#rv++;
    return String(this.#rv);
  }

  #newUid(): string {
    this.#uid++;
    return `00000000-0000-4000-8000-${String(this.#uid).padStart(12, '0')}`;
  }

  #timestamp(): string {
    return this.#now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }
}

interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

function matches(m: ActionMatch, a: Action): boolean {
  return (
    (!m.verb || m.verb === a.verb) &&
    (!m.resource || m.resource === a.resource) &&
    (!m.name || m.name === a.name) &&
    (m.subresource === undefined || m.subresource === a.subresource)
  );
}

function verbOf(method: string, t: Partial<Target>, query: Record<string, string>): Verb {
  switch (method) {
    case 'GET':
      if (!t.name) return query.watch ? 'watch' : 'list';
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return t.name ? 'delete' : 'deletecollection';
    default:
      throw new Error(`FakeCluster: method ${method} is not modelled`);
  }
}

/** `verb resource [namespace/]name[/subresource][ -> code]`. */
function describe(a: Action): string {
  const obj = a.name
    ? ` ${a.namespace ? `${a.namespace}/` : ''}${a.name}${a.subresource ? `/${a.subresource}` : ''}`
    : '';
  const ns = !a.name && a.namespace ? ` ${a.namespace}/` : '';
  const failed = a.code === 0 || a.code >= 300 ? ` -> ${a.code}` : '';
  return `${a.verb} ${a.resource}${obj}${ns}${failed}`;
}

const keyOfTarget = (t: Target): string => keyOf(t.res, t.namespace, t.name as string);
const isApply = (opts: RequestOptions): boolean => opts.contentType === 'application/apply-patch+yaml';

const sortKey = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Everything but metadata and status: what moves `generation`. */
function contentOf(o: Obj): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

/** The shape of the answer: the object, its scale, or its metadata only. */
function shape(o: Obj, t: Target, metadataOnly: boolean): unknown {
  if (metadataOnly)
    return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: o.metadata };
  return t.subresource === 'scale' && o.kind !== 'Scale' ? toScale(o) : o;
}

function toScale(o: Obj): Obj {
  const replicas = (o.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = o.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas },
    status: { replicas: (o.status as { replicas?: number } | undefined)?.replicas ?? replicas },
  };
}

function discoveryList(served: FakeResource[]): unknown {
  const first = served[0] as FakeResource;
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  const resources = served.flatMap((x) => [
    { name: x.resource, kind: x.kind, namespaced: x.namespaced, verbs },
    ...(x.status !== false
      ? [
          {
            name: `${x.resource}/status`,
            kind: x.kind,
            namespaced: x.namespaced,
            verbs: ['get', 'patch', 'update'],
          },
        ]
      : []),
    ...(x.scale
      ? [
          {
            name: `${x.resource}/scale`,
            kind: 'Scale',
            namespaced: x.namespaced,
            verbs: ['get', 'patch', 'update'],
          },
        ]
      : []),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersion(first), resources };
}

/** The Status of a watch or list whose resourceVersion is older than the history kept. */
function expiredStatus(asked: number, oldest = asked): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${asked} (${oldest})`,
    reason: 'Expired',
    code: 410,
  };
}

/** The error {@link KubeClient} throws for a Status answer, with the same message shape. */
function apiError(
  a: Action,
  status: number,
  message: string,
  reason = REASONS[status] ?? '',
  retryAfterSeconds?: number,
): ApiError {
  return new ApiError(`${a.method} ${a.path}: ${status} ${reason} ${message}`.trim(), {
    status,
    reason,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

function conflict(a: Action, t: Target, why: string): ApiError {
  return apiError(
    a,
    409,
    `Operation cannot be fulfilled on ${qualified(t.res)} "${t.name}": ${why}`,
    'Conflict',
  );
}
