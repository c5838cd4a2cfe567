/**
 * The open watches of the fake API server (fake-cluster.ts; docs/adr/0023): newline-delimited JSON
 * WatchEvents on a stream per watch, as the real server writes them, with bookmarks on request and
 * an in-stream ERROR 410 Expired.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { apiVersion, expiredStatus, type FakeResource, qualified } from './fake-cluster-model.js';
import type { StoredEvent } from './fake-cluster-store.js';

/** What one watch asked for. */
export interface WatchRequest {
  res: FakeResource;
  namespace?: string;
  metadataOnly: boolean;
  bookmarks: boolean;
}

interface Watcher extends WatchRequest {
  stream: PassThrough;
}

/** The set of open watches. */
export class Watches {
  readonly #open = new Set<Watcher>();

  /**
   * Opens a watch that first sends `replay` (ADDED for a watch from 0, the history otherwise),
   * then every change {@link deliver}ed, until `signal` aborts (the reader sees an AbortError, as
   * from an aborted response) or the server ends it.
   */
  open(req: WatchRequest, replay: { type: string; object: KubeObject }[], signal?: AbortSignal): Readable {
    const w: Watcher = { ...req, stream: new PassThrough() };
    for (const e of replay) send(w, e.type, e.object);
    this.#open.add(w);
    const end = (): void => {
      this.#open.delete(w);
      w.stream.destroy(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
    };
    if (signal?.aborted) end();
    else signal?.addEventListener('abort', end, { once: true });
    w.stream.on('close', () => this.#open.delete(w));
    return w.stream;
  }

  /** Sends a change to every open watch of its resource (and namespace). */
  deliver(e: StoredEvent): void {
    for (const w of this.#open) if (wants(w, e.res, e.object)) send(w, e.type, e.object);
  }

  /** How many are open, of one resource (`auditalerts.tripline.dev`) or of all. */
  count(resource?: string): number {
    return [...this.#open].filter((w) => !resource || qualified(w.res) === resource).length;
  }

  /** Sends a BOOKMARK at `rv` to every watch that allows bookmarks. */
  bookmark(rv: string): void {
    for (const w of this.#open) {
      if (!w.bookmarks) continue;
      const object = { apiVersion: apiVersion(w.res), kind: w.res.kind, metadata: { resourceVersion: rv } };
      w.stream.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  /** Ends every watch cleanly, as the server does when a watch's timeout passes. */
  closeAll(): void {
    for (const w of this.#open) w.stream.end();
    this.#open.clear();
  }

  /** Ends every watch with an in-stream ERROR 410 Expired about `rv`. */
  expireAll(rv: number): void {
    for (const w of this.#open)
      w.stream.end(`${JSON.stringify({ type: 'ERROR', object: expiredStatus(rv) })}\n`);
    this.#open.clear();
  }
}

/** The answer to a watch from a compacted resourceVersion: 200, one ERROR 410, the end. */
export function expiredWatch(asked: number, oldest: number): Readable {
  const stream = new PassThrough();
  stream.end(`${JSON.stringify({ type: 'ERROR', object: expiredStatus(asked, oldest) })}\n`);
  return stream;
}

function wants(w: WatchRequest, res: FakeResource, o: KubeObject): boolean {
  return w.res === res && (!w.namespace || o.metadata.namespace === w.namespace);
}

function send(w: Watcher, type: string, o: KubeObject): void {
  const object = w.metadataOnly
    ? { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: o.metadata }
    : o;
  w.stream.write(`${JSON.stringify({ type, object })}\n`);
}
