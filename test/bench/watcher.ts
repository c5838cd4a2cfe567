/**
 * The benchmark's own watcher: a plain watch (`watch=1&allowWatchBookmarks=true` from a fresh list
 * resourceVersion) over the lean client, recording when each object's ADDED event and each alert's
 * ADDED event reached this process. Both kinds of event travel the same path (API server watch
 * cache → metadata-only conversion → this process), which is what makes the object's own event a
 * fair floor for the alert. Metadata is all either needs (a uid, an alert name), and parsing whole
 * alerts here took CPU from the API server and the operator on a 2-core machine.
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { alertName } from '../../src/alerts/name.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import { ACCEPT_METADATA, type KubeClient } from '../../src/kube/client.js';
import { recordName } from './copier.js';

/** Where AuditAlerts are listed and watched. */
export const ALERTS_PATH = '/apis/tripline.dev/v1alpha1/auditalerts';

interface WatchEvent {
  type: string;
  object: KubeObject & { message?: string };
}

/** Problems kept for the report; a watch failing in a loop would otherwise fill memory. */
const MAX_PROBLEMS = 50;

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A watch that resumes from its last resourceVersion when the stream ends; never relists. */
interface Stream {
  path: string;
  rv: string;
  connected: Promise<void>;
}

/**
 * Records first-seen times (performance.now()) of objects by uid and of alerts by name, from the
 * moment {@link start} resolves until {@link stop}.
 */
export class BenchWatcher {
  /** performance.now() when each object's ADDED event was parsed, by object uid. */
  readonly objectSeen = new Map<string, number>();
  /** performance.now() when each alert's ADDED event was parsed, by alert name. */
  readonly #alertSeen = new Map<string, number>();
  /** performance.now() when each copier record's ADDED event was parsed, by record name. */
  readonly #recordSeen = new Map<string, number>();
  /** Alert names by `detection/uid`, computed once (a sha256 each). */
  readonly #names = new Map<string, string>();
  /** Problems seen by the watches (stream errors, ERROR events); reported, not fatal. */
  readonly problems: string[] = [];
  readonly #client: KubeClient;
  readonly #paths: string[];
  readonly #recordsPath: string | undefined;
  readonly #abort = new AbortController();
  readonly #loops: Promise<void>[] = [];

  /**
   * Watches `objectPaths` (cluster-wide collections), with `alerts` AuditAlerts too, and with
   * `recordsPath` the reference copier's records (copier.ts).
   */
  constructor(client: KubeClient, objectPaths: string[], alerts: boolean, recordsPath?: string) {
    this.#client = client;
    this.#recordsPath = recordsPath;
    this.#paths = [...objectPaths, ...(alerts ? [ALERTS_PATH] : []), ...(recordsPath ? [recordsPath] : [])];
  }

  /** When the copier's record of the object `uid` was seen; undefined: not yet. */
  recordSeen(uid: string): number | undefined {
    return this.#recordSeen.get(recordName(uid));
  }

  /** When the alert of `detection` about the object `uid` was seen (its deterministic name); undefined: not yet. */
  alertSeen(detection: string, uid: string): number | undefined {
    const key = `${detection}/${uid}`;
    let name = this.#names.get(key);
    if (name === undefined) {
      name = alertName(detection, uid);
      this.#names.set(key, name);
    }
    return this.#alertSeen.get(name);
  }

  /** Opens every watch from a fresh resourceVersion; resolves once all of them are connected. */
  async start(): Promise<void> {
    const streams = await Promise.all(this.#paths.map((p) => this.#open(p)));
    await Promise.all(streams.map((s) => s.connected));
  }

  /** Closes every watch. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#loops);
  }

  async #open(path: string): Promise<Stream> {
    const list = await this.#client.request<{ metadata: { resourceVersion: string } }>('GET', path, {
      query: { limit: 1 },
    });
    let connected!: () => void;
    const stream: Stream = {
      path,
      rv: list.metadata.resourceVersion,
      connected: new Promise((r) => (connected = r)),
    };
    const onEvent =
      path === ALERTS_PATH ? this.#onAlert : path === this.#recordsPath ? this.#onRecord : this.#onObject;
    this.#loops.push(this.#loop(stream, onEvent, connected));
    return stream;
  }

  async #loop(
    s: Stream,
    onEvent: (ev: WatchEvent, at: number) => void,
    connected: () => void,
  ): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        const res = await this.#client.stream(s.path, {
          query: { watch: 1, allowWatchBookmarks: true, resourceVersion: s.rv, timeoutSeconds: 3600 },
          accept: ACCEPT_METADATA,
          signal,
        });
        connected();
        await this.#consume(s, res, onEvent);
      } catch (err: unknown) {
        if (signal.aborted) return;
        if (this.problems.length < MAX_PROBLEMS) this.problems.push(`${s.path}: ${describe(err)}`);
        await sleep(500);
      }
    }
  }

  async #consume(
    s: Stream,
    res: IncomingMessage,
    onEvent: (ev: WatchEvent, at: number) => void,
  ): Promise<void> {
    let buf = '';
    res.setEncoding('utf8');
    for await (const chunk of res as AsyncIterable<string>) {
      const at = performance.now();
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) this.#onLine(s, JSON.parse(line) as WatchEvent, at, onEvent);
      }
    }
  }

  #onLine(s: Stream, ev: WatchEvent, at: number, onEvent: (ev: WatchEvent, at: number) => void): void {
    if (ev.type === 'ERROR')
      throw new Error(`watch ERROR event: ${ev.object.message ?? JSON.stringify(ev.object)}`);
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) s.rv = rv;
    if (ev.type === 'ADDED') onEvent(ev, at);
  }

  readonly #onObject = (ev: WatchEvent, at: number): void => {
    const uid = ev.object.metadata.uid;
    if (uid && !this.objectSeen.has(uid)) this.objectSeen.set(uid, at);
  };

  readonly #onAlert = (ev: WatchEvent, at: number): void => {
    const name = ev.object.metadata.name;
    if (name && !this.#alertSeen.has(name)) this.#alertSeen.set(name, at);
  };

  readonly #onRecord = (ev: WatchEvent, at: number): void => {
    const name = ev.object.metadata.name;
    if (name && !this.#recordSeen.has(name)) this.#recordSeen.set(name, at);
  };
}
