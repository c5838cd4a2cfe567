import type { Readable } from 'node:stream';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { KubeApi } from '../../../src/kube/api.js';
import type { RequestOptions } from '../../../src/kube/client.js';
import { AnswerTooLargeError, ApiError } from '../../../src/kube/errors.js';
import {
  type Action,
  type ActionMatch,
  type AnyObject,
  apiError,
  apiVersion,
  conflict,
  contentOf,
  DEFAULT_RESOURCES,
  type DeleteOptions,
  describe,
  discoveryList,
  type FakeClusterOptions,
  type FakeResource,
  type Fault,
  isApply,
  keyOf,
  matches,
  type Obj,
  qualified,
  shape,
  sortKey,
  type Target,
  toScale,
  type Verb,
  verbOf,
} from './fake-cluster-model.js';
import { jsonPatch, mergePatch, PatchError } from './fake-cluster-ops.js';
import { ObjectStore } from './fake-cluster-store.js';
import { expiredWatch, Watches } from './fake-cluster-watch.js';

export type {
  Action,
  ActionMatch,
  AnyObject,
  FakeClusterOptions,
  FakeResource,
  Fault,
  Verb,
} from './fake-cluster-model.js';
export { DEFAULT_RESOURCES } from './fake-cluster-model.js';

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
 *
 * Parts: this file serves requests (routing, API semantics, faults, hooks); fake-cluster-store.ts
 * keeps objects, resourceVersions and history; fake-cluster-watch.ts the open watches;
 * fake-cluster-model.ts the vocabulary (resources, actions, errors); fake-cluster-ops.ts patches
 * and selectors. Its own contract is tested in fake-cluster.test.ts.
 */
export class FakeCluster implements KubeApi {
  readonly actions: Action[] = [];
  readonly #resources: FakeResource[];
  readonly #now: () => Date;
  readonly #honourMetadata: boolean;
  readonly #offsetMs: number;
  #hooks: { match: ActionMatch; run: (a: Action) => void; left: number }[] = [];
  #faults: (Fault & { left: number })[] = [];
  readonly #watches = new Watches();
  readonly #store: ObjectStore;

  constructor(opts: FakeClusterOptions = {}) {
    this.#resources = [...(opts.resources ?? DEFAULT_RESOURCES)];
    this.#now = opts.now ?? (() => new Date());
    this.#honourMetadata = opts.honourMetadataAccept ?? true;
    this.#offsetMs = opts.serverOffsetMs ?? 0;
    this.#store = new ObjectStore(this.#now, (e) => this.#watches.deliver(e));
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
      // What the answer weighs on the wire, as the client reads it: past maxBytes it is abandoned.
      if (opts.maxBytes !== undefined || opts.onBodyBytes) {
        const bytes = Buffer.byteLength(JSON.stringify(out));
        if (opts.maxBytes !== undefined && bytes > opts.maxBytes)
          throw new AnswerTooLargeError(`the answer passed ${opts.maxBytes} bytes`, opts.maxBytes);
        opts.onBodyBytes?.(bytes);
      }
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

  /** A cluster holding `objects`, as another client put them there. */
  static holding(objects: readonly AnyObject[], opts: FakeClusterOptions = {}): FakeCluster {
    const cluster = new FakeCluster(opts);
    for (const o of objects) cluster.put(o);
    return cluster;
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
    const before = this.#store.find(res, ns, name);
    const stored = structuredClone(obj) as Obj;
    stored.apiVersion = apiVersion(res);
    stored.kind = res.kind;
    stored.metadata = {
      ...stored.metadata,
      ...(ns ? { namespace: ns } : {}),
      uid: obj.metadata?.uid ?? before?.metadata.uid ?? this.#store.newUid(),
      creationTimestamp:
        obj.metadata?.creationTimestamp ?? before?.metadata.creationTimestamp ?? this.#store.timestamp(),
      generation: obj.metadata?.generation ?? before?.metadata.generation ?? 1,
    };
    this.#store.save(res, stored, before ? 'MODIFIED' : 'ADDED');
    return structuredClone(stored);
  }

  /** Deletes an object as another client would (not recorded); open watches see DELETED. */
  remove<T extends AnyObject>(given: T): void {
    const ref = given as KubeObject;
    const res = this.#resourceOfKind(ref);
    const ns = res.namespaced ? ref.metadata?.namespace : undefined;
    const stored = this.#store.find(res, ns, ref.metadata?.name as string);
    if (!stored)
      throw new Error(`FakeCluster: nothing to remove at ${keyOf(res, ns, ref.metadata?.name as string)}`);
    this.#store.delete(res, stored);
  }

  /** The stored object (a copy), or undefined. */
  get<T extends AnyObject>(given: T): Obj | undefined {
    const ref = given as KubeObject;
    const res = this.#resourceOfKind(ref);
    const ns = res.namespaced ? ref.metadata?.namespace : undefined;
    const found = this.#store.find(res, ns, ref.metadata?.name as string);
    return found && structuredClone(found);
  }

  /** Every stored object of a kind (copies), in name order. */
  list(apiVersionOfKind: string, kind: string): Obj[] {
    const res = this.#resourceOfKind({ apiVersion: apiVersionOfKind, kind });
    return this.#store.matching(res, undefined, {}).map((o) => structuredClone(o));
  }

  /** The current resourceVersion (the last one handed out). */
  get resourceVersion(): string {
    return String(this.#store.rv);
  }

  /** Open watches, of one resource (`auditalerts.tripline.dev`) or of all. */
  openWatches(resource?: string): number {
    return this.#watches.count(resource);
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that allows bookmarks. */
  bookmark(): void {
    this.#watches.bookmark(this.resourceVersion);
  }

  /** Forgets the event history: a watch or continue token from before now gets 410 Expired. */
  compact(): void {
    this.#store.compact();
  }

  /** Ends every open watch as the server does when its timeout passes. */
  closeWatches(): void {
    this.#watches.closeAll();
  }

  /**
   * Ends every open watch with an in-stream ERROR event 410 Expired (the API server does so when a
   * watcher falls too far behind), and compacts so resuming from the last seen version fails too.
   */
  expireWatches(): void {
    this.compact();
    this.#watches.expireAll(this.#store.rv);
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
        if (
          isApply(opts) &&
          !target.subresource &&
          !this.#store.find(target.res, target.namespace, target.name as string)
        ) {
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
    let rv = this.#store.rv;
    if (a.query.continue) {
      const token = JSON.parse(Buffer.from(a.query.continue, 'base64url').toString()) as {
        rv: number;
        after: string;
      };
      if (token.rv < this.#store.compacted)
        throw apiError(a, 410, 'The provided continue parameter is too old', 'Expired');
      ({ after, rv } = token);
    }
    const all = this.#store.matching(t.res, t.namespace, a.query).filter((o) => sortKey(o) > after);
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

  #read(a: Action, t: Target): Obj {
    const found = this.#store.find(t.res, t.namespace, t.name as string);
    if (!found) throw apiError(a, 404, `${qualified(t.res)} "${t.name}" not found`, 'NotFound');
    return found;
  }

  #create(a: Action, t: Target, body: Obj): Obj {
    if (t.res.namespaced && !t.namespace)
      throw apiError(a, 404, 'the server could not find the requested resource');
    const name =
      body?.metadata?.name ??
      (body?.metadata?.generateName ? `${body.metadata.generateName}${this.#store.nextSuffix}` : undefined);
    if (!name) throw apiError(a, 422, 'name or generateName is required', 'Invalid');
    if (this.#store.find(t.res, t.namespace, name))
      throw apiError(a, 409, `${qualified(t.res)} "${name}" already exists`, 'AlreadyExists');
    const stored = structuredClone(body);
    if (t.res.status !== false) delete stored.status;
    stored.apiVersion = apiVersion(t.res);
    stored.kind = t.res.kind;
    stored.metadata = {
      ...stored.metadata,
      name,
      ...(t.namespace ? { namespace: t.namespace } : {}),
      uid: this.#store.newUid(),
      generation: 1,
      creationTimestamp: this.#store.timestamp(),
      ...this.#managedFields(a, undefined),
    };
    this.#store.save(t.res, stored, 'ADDED');
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
      return this.#store.delete(t.res, next);
    }
    this.#store.save(t.res, next, 'MODIFIED');
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
      next.metadata.deletionTimestamp ??= this.#store.timestamp();
      this.#store.save(t.res, next, 'MODIFIED');
      return next;
    }
    return this.#store.delete(t.res, before);
  }

  #watch(a: Action, opts: RequestOptions): Readable {
    const t = this.#target(a.path) as Target;
    const from = a.query.resourceVersion;
    const fromStart = from === undefined || from === '0';
    // As the real server does: 200, then one ERROR event, then the end of the stream.
    if (!fromStart && Number(from) < this.#store.compacted)
      return expiredWatch(Number(from), this.#store.compacted);
    const replay = fromStart
      ? this.#store.matching(t.res, t.namespace, a.query).map((object) => ({ type: 'ADDED', object }))
      : this.#store
          .since(Number(from))
          .filter((e) => e.res === t.res && (!t.namespace || e.object.metadata.namespace === t.namespace));
    return this.#watches.open(
      {
        res: t.res,
        ...(t.namespace ? { namespace: t.namespace } : {}),
        metadataOnly: this.#metadataOnly(opts),
        bookmarks: a.query.allowWatchBookmarks === 'true',
      },
      replay,
      opts.signal,
    );
  }

  #metadataOnly(opts: RequestOptions): boolean {
    return this.#honourMetadata && opts.accept?.includes('as=PartialObjectMetadata') === true;
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
      time: this.#store.timestamp(),
      ...(a.subresource ? { subresource: a.subresource } : {}),
    };
    const others = (before?.metadata.managedFields ?? []).filter(
      (m) => m.manager !== manager || m.subresource !== entry.subresource,
    );
    return { managedFields: [...others, entry] };
  }
}
