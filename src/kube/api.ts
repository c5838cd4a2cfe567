import type { Readable } from 'node:stream';

/** Options of one request through the port. */
export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Accept header; default `application/json` (metadata-only lists and watches set their own). */
  accept?: string;
  signal?: AbortSignal;
  /**
   * The most answer body bytes to read: past it reading stops, the connection is closed and the
   * request rejects with `AnswerTooLargeError` (kube/errors.ts), so a list page of objects near
   * etcd's size limit cannot take the heap (lists only; absent: no bound).
   */
  maxBytes?: number;
  /** Told the answer body's size in bytes once it is read (lists size their next page by it). */
  onBodyBytes?: (bytes: number) => void;
}

/**
 * The narrow cluster port the core talks to the API server through (DESIGN §5, docs/adr/0023):
 * one JSON request (get, list, create, update, patch, status patch, delete with preconditions) and
 * one streaming GET (a watch, newline-delimited JSON `WatchEvent`s). `KubeClient` (client.ts) is the
 * production implementation; `test/unit/support/fake-cluster.ts` is the one in-memory fake.
 *
 * Non-2xx answers reject with `ApiError` (src/kube/errors.ts), so `isNotFound`, `isConflict`,
 * `isGone` and friends classify errors the same whichever side of the port answered.
 */
export interface KubeApi {
  /** Sends a request and resolves with the parsed JSON answer (`{}` for an empty body). */
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  /**
   * Opens a watch and resolves once the answer starts; the stream ends when `opts.signal` aborts
   * or the server closes it.
   */
  stream(path: string, opts: RequestOptions): Promise<Readable>;
  /**
   * The API server's clock minus the local one, as learned from answers (never later than the
   * server's time); a port without it is taken to share the local clock.
   */
  serverOffsetMs?(): number;
}
