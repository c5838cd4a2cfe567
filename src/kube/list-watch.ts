import type { Readable } from 'node:stream';
import type { KubeObject } from '../api/kube-object.js';
import type { Logger } from '../observability/logger.js';
import type { KubeApi } from './api.js';
import { type Backoff, backoffDelay, sleep } from './backoff.js';
import { ACCEPT_METADATA, ACCEPT_METADATA_LIST } from './client.js';
import { ApiError, isGone } from './errors.js';
import { listPage, PageSizer } from './paging.js';

/** How an object reached the handler: from a (re)list page or from a watch event. */
export type ObservedType = 'LISTED' | 'ADDED' | 'MODIFIED' | 'DELETED';

/** Receives objects; must not throw (a throwing handler is logged and the object skipped). */
export interface WatchHandler {
  onObject(type: ObservedType, obj: KubeObject): void;
  /** Called after every complete list (start and each relist), before the watch resumes. */
  onSynced?(): void;
}

/** Counters a watch reports to metrics. */
export interface WatchEvents {
  restarted?(reason: 'closed' | 'stalled' | 'error' | 'gone'): void;
  relisted?(): void;
  /** A list page passed `pageBytes` and was asked again with fewer items. */
  pageShrunk?(): void;
}

/** The stall timer of one watch stream, and the signal that ends the stream. */
interface StallTimer {
  arm(): void;
  disarm(): void;
  signal: AbortSignal;
}

/** Options of {@link ResilientWatch}. */
export interface ResilientWatchOptions {
  /** Collection path, e.g. `/apis/apps/v1/deployments`. */
  path: string;
  /** apiVersion and kind to stamp on list items (lists leave them out). */
  apiVersion: string;
  kind: string;
  /** Items per list page at most. */
  pageSize: number;
  /**
   * Bytes of one list page answer at most (absent: no bound). A page that passes it is abandoned and
   * asked again with fewer items, and later pages are sized from the bytes per item seen, so
   * objects near etcd's size limit are read a few at a time instead of `pageSize` at once.
   */
  pageBytes?: number;
  /** A watch that sends nothing (not even a bookmark) for this long is abandoned and resumed. */
  stallTimeoutMs: number;
  /** Server-side watch timeout; randomised in [t, 2t) like client-go so watches do not reconnect in step. */
  watchTimeoutSeconds: number;
  backoff: Backoff;
  events?: WatchEvents;
  /**
   * Ask for PartialObjectMetadata only (e.g. Secrets): the API server never sends the rest, so it
   * never enters the process. Objects are handed over with `apiVersion`/`kind` of the resource.
   */
  metadataOnly?: boolean;
  /**
   * Asked before each list page after the first and before each watch chunk is read: undefined
   * goes on at once; a promise (a consumer whose backlog is full) holds the stream back until it
   * resolves, so the backlog (and memory) stays bounded while the API server keeps what is not read
   * yet. The stall timer does not run while held.
   */
  admit?: () => Promise<void> | undefined;
  /** Time source of {@link ResilientWatch.caughtUpAt}; the system clock by default (tests inject one). */
  clock?: { now(): Date };
}

/**
 * How long a new watch stream must have been open before it counts as caught up: a resumed watch
 * first replays the changes since its resourceVersion, which arrive within milliseconds.
 */
export const STREAM_SETTLE_MS = 1000;

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

interface ListPage {
  metadata: { resourceVersion?: string; continue?: string };
  items: KubeObject[] | null;
}

/**
 * List+watch that never gives up and never holds the collection in memory.
 *
 * Lists page by page (handing each item over and forgetting it), then watches from the list's
 * resourceVersion with bookmarks, resuming from the last seen resourceVersion when a stream closes
 * or stalls, relisting on 410 Gone, and backing off (capped, jittered) on every other failure. It
 * only stops when {@link stop} is called. Compare client-node's ListWatch, which stops on most errors
 * and keeps a full cache (DESIGN §6).
 */
export class ResilientWatch {
  readonly #client: KubeApi;
  readonly #opts: ResilientWatchOptions;
  readonly #handler: WatchHandler;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #rv: string | undefined;
  #synced = false;
  #relistRequested = false;
  #listing = false;
  #current: AbortController | undefined;
  #done: Promise<void> | undefined;
  /** Local time (ms) before which every change has been handed over; see {@link caughtUpAt}. */
  #caughtUp: number | undefined;
  /** When the current watch stream's headers arrived; undefined while none is open. */
  #openedAt: number | undefined;
  /** The current stream was held back at least once: what it delivers may be old. */
  #stale = false;

  constructor(client: KubeApi, opts: ResilientWatchOptions, handler: WatchHandler, log: Logger) {
    this.#client = client;
    this.#opts = opts;
    this.#handler = handler;
    this.#log = log;
  }
  /** Local time (ms): the injected clock (runtime/clock.ts in the operator), else the system's. */
  #nowMs(): number {
    return this.#opts.clock ? this.#opts.clock.now().getTime() : Date.now();
  }

  /** True once the first complete list has been handed over (stays true across relists). */
  get synced(): boolean {
    return this.#synced;
  }

  /**
   * True while a list is being handed over. A list comes in name order, not creation order, so
   * until it ends an object created earlier than everything seen so far may still be on its way.
   */
  get listing(): boolean {
    return this.#listing;
  }

  /** The last resourceVersion seen (list, event or bookmark). */
  get resourceVersion(): string | undefined {
    return this.#rv;
  }

  /**
   * The API server's time (ms, a lower bound) before which every change of the collection has been
   * handed to the handler; undefined before the first complete list. Advanced by:
   * - a complete list: to when its first page was asked for (the list is a snapshot taken after);
   * - an open watch stream, settled ({@link STREAM_SETTLE_MS}) and never held back by `admit`: to
   *   now. The API server sends each change as it commits it and this process reads without delay,
   *   so what is not handed over yet is at most in flight. A stream that was held back may carry old
   *   changes not read yet, so it advances nothing until the watch is reopened.
   * Converted from the local clock with {@link KubeApi.serverOffsetMs}, so it is comparable with
   * creationTimestamps. Never moves back.
   */
  caughtUpAt(): number | undefined {
    const now = this.#nowMs();
    const open = this.#openedAt;
    if (open !== undefined && !this.#stale && !this.#listing && now - open >= STREAM_SETTLE_MS)
      this.#caughtUp = Math.max(this.#caughtUp ?? now, now);
    return this.#caughtUp === undefined ? undefined : this.#caughtUp + (this.#client.serverOffsetMs?.() ?? 0);
  }

  /** Starts the loop in the background. */
  start(): void {
    this.#done ??= this.#loop();
  }

  /**
   * Lists everything again and hands every object over (e.g. when a new detection subscribes to a
   * resource that is already watched), then resumes watching.
   */
  requestRelist(): void {
    this.#relistRequested = true;
    this.#current?.abort();
  }

  /** Stops the loop and waits for it to end. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        if (this.#relistRequested) this.#rv = undefined;
        this.#relistRequested = false;
        if (this.#rv === undefined) await this.#list();
        const reason = await this.#watch(this.#rv as string);
        if (this.#relistRequested) continue;
        this.#opts.events?.restarted?.(reason);
        failures = 0;
      } catch (err: unknown) {
        if (this.#stop.signal.aborted) break;
        if (isGone(err)) {
          this.#log.info('Watch expired, relisting', { path: this.#opts.path, resourceVersion: this.#rv });
          this.#opts.events?.restarted?.('gone');
          this.#rv = undefined;
          continue;
        }
        failures++;
        const delay = backoffDelay(this.#opts.backoff, failures);
        this.#opts.events?.restarted?.('error');
        this.#log.warn('Watch failed, retrying', {
          path: this.#opts.path,
          attempt: failures,
          delayMs: delay,
          err,
        });
        await sleep(delay, this.#stop.signal);
      }
    }
  }

  async #list(): Promise<void> {
    this.#listing = true;
    try {
      await this.#listPages();
    } finally {
      this.#listing = false;
    }
  }

  async #listPages(): Promise<void> {
    let token: string | undefined;
    let rv: string | undefined;
    const askedAt = this.#nowMs();
    const sizer = new PageSizer(this.#opts.pageSize, this.#opts.pageBytes);
    do {
      const held = token ? this.#opts.admit?.() : undefined;
      if (held) await untilEither(held, this.#stop.signal);
      const page = await listPage<ListPage>(this.#client, this.#opts.path, token, sizer, {
        accept: this.#opts.metadataOnly ? ACCEPT_METADATA_LIST : undefined,
        signal: this.#stop.signal,
        onShrunk: (maxBytes, limit) => {
          this.#log.info('List page too large, asking for fewer objects', {
            path: this.#opts.path,
            maxBytes,
            limit,
          });
          this.#opts.events?.pageShrunk?.();
        },
      });
      rv ??= page.metadata.resourceVersion;
      // An empty PartialObjectMetadataList comes back with `items: null`.
      for (const item of page.items ?? []) {
        item.apiVersion ??= this.#opts.apiVersion;
        item.kind ??= this.#opts.kind;
        this.#deliver('LISTED', item);
      }
      token = page.metadata.continue || undefined;
    } while (token && !this.#stop.signal.aborted);
    if (!rv) throw new Error(`list of ${this.#opts.path} returned no resourceVersion`);
    this.#rv = rv;
    this.#caughtUp = Math.max(this.#caughtUp ?? askedAt, askedAt);
    this.#opts.events?.relisted?.();
    this.#synced = true;
    this.#handler.onSynced?.();
  }

  /** Watches until the stream ends; returns why it ended, throws on errors. */
  async #watch(rv: string): Promise<'closed' | 'stalled'> {
    if (this.#relistRequested) return 'closed';
    const abort = new AbortController();
    this.#current = abort;
    const onStop = (): void => abort.abort();
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    // A stop that landed between the list and this watch fired no listener: honour it now.
    if (this.#stop.signal.aborted) abort.abort();
    const timeout = this.#opts.watchTimeoutSeconds;
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, this.#opts.stallTimeoutMs);
    };
    try {
      arm();
      const res = await this.#client.stream(this.#opts.path, {
        accept: this.#opts.metadataOnly ? ACCEPT_METADATA : undefined,
        query: {
          watch: 1,
          resourceVersion: rv,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.floor(timeout + Math.random() * timeout),
        },
        signal: abort.signal,
      });
      this.#openedAt = this.#nowMs();
      this.#stale = false;
      await this.#consume(res, { arm, disarm: () => clearTimeout(timer), signal: abort.signal });
      return 'closed';
    } catch (err: unknown) {
      if (this.#relistRequested) return 'closed';
      if (stalled) {
        this.#log.info('Watch stalled, resuming', { path: this.#opts.path, resourceVersion: this.#rv });
        return 'stalled';
      }
      throw err;
    } finally {
      this.#openedAt = undefined;
      clearTimeout(timer);
      this.#stop.signal.removeEventListener('abort', onStop);
      abort.abort();
    }
  }

  async #consume(res: Readable, stall: StallTimer): Promise<void> {
    let buf = '';
    res.setEncoding('utf8');
    for await (const chunk of res as AsyncIterable<string>) {
      stall.arm();
      buf += chunk;
      const held = this.#opts.admit?.();
      if (held) {
        // Changes committed while held wait unread: this stream no longer vouches for being current.
        this.#stale = true;
        // Waiting for the consumer is not the API server going silent: no stall while held back.
        stall.disarm();
        await untilEither(held, stall.signal);
        stall.arm();
      }
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) this.#onLine(line);
        nl = buf.indexOf('\n');
      }
    }
  }

  #onLine(line: string): void {
    const ev = JSON.parse(line) as WatchEvent;
    if (ev.type === 'ERROR') {
      const code = ev.object.code ?? 500;
      throw new ApiError(`watch ${this.#opts.path}: ${code} ${ev.object.message ?? ''}`, {
        status: code,
        reason: ev.object.reason ?? '',
      });
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.#rv = rv;
      return;
    }
    this.#deliver(ev.type, ev.object);
    if (rv) this.#rv = rv;
  }

  #deliver(type: ObservedType, received: KubeObject): void {
    let obj = received;
    if (this.#opts.metadataOnly) {
      // PartialObjectMetadata carries meta.k8s.io/v1 as its own type; report the resource's instead.
      // Only metadata is kept: a server (or proxy) that ignores the Accept header and answers with
      // full objects must not bring a Secret's `data` or `stringData` into the process (DESIGN §10).
      obj = { apiVersion: this.#opts.apiVersion, kind: this.#opts.kind, metadata: received.metadata };
      dropLastApplied(obj);
    }
    try {
      this.#handler.onObject(type, obj);
    } catch (err: unknown) {
      // A handler bug must not stop the watch for every other object; it is logged loudly instead.
      this.#log.error('Watch handler failed', {
        path: this.#opts.path,
        name: obj.metadata?.name,
        namespace: obj.metadata?.namespace,
        err,
      });
    }
  }
}

/** Resolves when `held` settles or `signal` aborts (stop, relist), whichever comes first. */
async function untilEither(held: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    held.then(done, done);
  });
}

/** The annotation `kubectl apply` (client-side) fills with the whole applied object. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Metadata-only reads exist to keep values out of the process, but for a Secret applied with
 * client-side `kubectl apply` this annotation holds a copy of its data. It is dropped on receipt,
 * before any handler sees the object.
 */
function dropLastApplied(obj: KubeObject): void {
  const annotations = obj.metadata?.annotations;
  if (annotations && LAST_APPLIED in annotations) delete annotations[LAST_APPLIED];
}

/**
 * A holder of one {@link ResilientWatch} (a cache, a feed, a controller): synced once the watch has
 * listed, started and stopped with it. A subclass that holds more overrides `stop` and calls
 * `super.stop()` first.
 */
export abstract class WatchOwner {
  protected abstract readonly watch: ResilientWatch;

  /** True once the first full list has been seen. */
  get synced(): boolean {
    return this.watch.synced;
  }

  /** Starts listing and watching. */
  start(): void {
    this.watch.start();
  }

  /** Stops the watch and waits for it. */
  async stop(): Promise<void> {
    await this.watch.stop();
  }
}
