import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { ClusterAccess } from './access.js';
import type { KubeApi, RequestOptions } from './api.js';
import { AnswerTooLargeError, ApiError } from './errors.js';

/**
 * Accept headers asking for metadata only (`PartialObjectMetadata[List]`), with plain JSON as the
 * fallback for servers that cannot convert. Lists and watches of Secrets use them so values never
 * arrive; writes whose answer is not read use them so the API server encodes (and this process
 * parses) a few hundred bytes instead of the whole object.
 */
export const ACCEPT_METADATA =
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
/** {@link ACCEPT_METADATA} for lists. */
export const ACCEPT_METADATA_LIST =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/** Options of {@link KubeClient}. */
export interface KubeClientOptions {
  /** Sockets in the one pool, watches included (each watch holds one socket while open). */
  maxSockets: number;
  /** User-Agent header of every request. */
  userAgent: string;
  /** Timeout of non-watch requests in milliseconds. */
  requestTimeoutMs: number;
}

/** Options of one request. */
export type { RequestOptions } from './api.js';

/** Counters for the pool, used by metrics and by the test that bounds connections in a burst. */
export interface ClientStats {
  connectionsOpened: number;
  requests: number;
}

/**
 * A lean JSON client for the Kubernetes API over ONE keep-alive connection pool.
 *
 * `@kubernetes/client-node` 2.0.1 builds a new undici Agent per request (a new TLS connection each
 * time; DESIGN §6 and docs/adr/0001). The hot paths — paginated lists, watch streams and alert
 * writes — go through this client instead. TLS material and credentials come from a
 * {@link ClusterAccess} (src/kube/access.ts: in-cluster, kubeconfig, or client-node's `KubeConfig`).
 */
export class KubeClient implements KubeApi {
  readonly server: URL;
  readonly #access: ClusterAccess;
  readonly #opts: KubeClientOptions;
  #agent: http.Agent | undefined;
  readonly #stats: ClientStats = { connectionsOpened: 0, requests: 0 };
  #serverOffsetMs = 0;

  constructor(access: ClusterAccess, opts: KubeClientOptions) {
    this.server = new URL(access.server);
    this.#access = access;
    this.#opts = opts;
  }

  /** Pool counters since start. */
  stats(): ClientStats {
    return { ...this.#stats };
  }

  /**
   * How far the API server's clock is ahead of this process's (ms; negative when behind), as a lower
   * bound: the `Date` header of the latest answer (whole seconds, stamped before the answer left the
   * server) minus the local time it arrived. `localMs + serverOffsetMs()` is therefore never later
   * than the server's own time at that moment (up to 1 s + latency earlier). 0 until an answer
   * carried a Date header.
   */
  serverOffsetMs(): number {
    return this.#serverOffsetMs;
  }

  /** Sends a request and parses the JSON answer; non-2xx answers throw {@link ApiError}. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.#send(method, path, opts, this.#opts.requestTimeoutMs);
    const body = await readAll(res, opts.maxBytes);
    opts.onBodyBytes?.(body.length);
    const text = body.toString('utf8');
    if (res.statusCode === undefined || res.statusCode >= 300) throw toApiError(method, path, res, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * Opens a streaming GET (a watch) and resolves with the response once headers arrive; a non-2xx
   * answer throws {@link ApiError}. The caller owns the stream and aborts it through `signal`.
   */
  async stream(path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const res = await this.#send('GET', path, opts, 0);
    if (res.statusCode === undefined || res.statusCode >= 300) {
      throw toApiError('GET', path, res, (await readAll(res)).toString('utf8'));
    }
    return res;
  }

  /**
   * A client to the same API server with the same credentials over its OWN small keep-alive pool,
   * for a request that must never queue behind watches and writers (the leader-election Lease).
   */
  withOwnPool(opts: Partial<KubeClientOptions>): KubeClient {
    return new KubeClient(this.#access, { ...this.#opts, ...opts });
  }

  /** Closes idle sockets; open watches end when their signals abort. */
  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  async #send(
    method: string,
    path: string,
    opts: RequestOptions,
    timeoutMs: number,
  ): Promise<http.IncomingMessage> {
    const agent = this.#pool();
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string | number> = {
      ...(await this.#access.headers()),
      accept: opts.accept ?? 'application/json',
      'user-agent': this.#opts.userAgent,
    };
    if (body) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = body.length;
    }
    this.#stats.requests++;
    const mod = url.protocol === 'https:' ? https : http;
    return await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent, signal: opts.signal }, (res) => {
        this.#noteServerDate(res);
        resolve(res);
      });
      req.on('error', (err) =>
        reject(new ApiError(`${method} ${url.pathname} failed`, { status: 0, method, cause: err })),
      );
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)));
      }
      req.end(body);
    });
  }

  #noteServerDate(res: http.IncomingMessage): void {
    const date = Date.parse(res.headers.date ?? '');
    if (!Number.isNaN(date)) this.#serverOffsetMs = date - Date.now();
  }

  #pool(): http.Agent {
    const auth = this.#access;
    if (this.#agent) return this.#agent;
    const stats = this.#stats;
    const common = {
      keepAlive: true,
      maxSockets: this.#opts.maxSockets,
      maxFreeSockets: this.#opts.maxSockets,
    };
    // Counting sockets as the pool opens them is how a test proves a burst reuses connections.
    if (this.server.protocol === 'https:') {
      const agent = new https.Agent({
        ...common,
        ca: auth.ca,
        cert: auth.cert,
        key: auth.key,
        rejectUnauthorized: auth.insecureSkipTlsVerify !== true,
        servername: auth.servername,
      });
      const create = agent.createConnection.bind(agent);
      agent.createConnection = ((...args: Parameters<typeof create>) => {
        stats.connectionsOpened++;
        return create(...args);
      }) as typeof agent.createConnection;
      this.#agent = agent;
    } else {
      const agent = new http.Agent(common);
      const create = agent.createConnection.bind(agent);
      agent.createConnection = ((...args: Parameters<typeof create>): Duplex => {
        stats.connectionsOpened++;
        return create(...args) as Duplex;
      }) as typeof agent.createConnection;
      this.#agent = agent;
    }
    return this.#agent;
  }
}

/** The body; past `maxBytes` the answer is abandoned (socket closed) and an error thrown. */
async function readAll(res: http.IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const tooLarge = (): AnswerTooLargeError => {
    res.destroy();
    return new AnswerTooLargeError(`the answer passed ${maxBytes} bytes`, maxBytes);
  };
  if (Number(res.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  for await (const c of res) {
    bytes += (c as Buffer).length;
    if (bytes > maxBytes) throw tooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function toApiError(method: string, path: string, res: http.IncomingMessage, text: string): ApiError {
  let reason = '';
  let message = text.slice(0, 500);
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    reason = status.reason ?? '';
    message = status.message ?? message;
  } catch {
    // Not a Status object (e.g. a proxy's plain-text error page); keep the raw text.
  }
  const retryAfter = Number(res.headers['retry-after']);
  return new ApiError(`${method} ${path.split('?')[0]}: ${res.statusCode} ${reason} ${message}`.trim(), {
    status: res.statusCode ?? 0,
    reason,
    method,
    retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}
