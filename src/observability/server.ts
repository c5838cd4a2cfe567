import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the probe server reports on. */
export interface ProbeSources {
  registry: Registry;
  /** Ready only when every watch has completed its first list. */
  ready(): boolean;
  /** Refreshes gauges that are sampled rather than counted, just before a scrape. */
  beforeScrape?(): void;
}

/**
 * Limits of the probe listener: the kubelet and Prometheus send one small GET and wait for the
 * answer, so anything slower, larger or more numerous is closed instead of held. The cap is well
 * above what probes and scrapes use, and far below what would exhaust file descriptors.
 */
export const PROBE_LIMITS = {
  maxConnections: 128,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  /** A socket with no traffic at all (a connection opened and left). */
  idleTimeoutMs: 15_000,
  maxHeaderBytes: 8 * 1024,
} as const;

/**
 * Serves `/metrics` (Prometheus text), `/healthz` (the process is alive) and `/readyz` (every
 * watch synced). Plain HTTP: it carries no secrets and is meant for the kubelet and Prometheus.
 * GET and HEAD only, bodies never read, bounded by {@link PROBE_LIMITS}.
 */
export async function startProbeServer(
  bind: string,
  src: ProbeSources,
): Promise<{ port: number; close(): Promise<void> }> {
  const idx = bind.lastIndexOf(':');
  const host = bind.slice(0, idx) || '0.0.0.0';
  const port = Number(bind.slice(idx + 1));
  const L = PROBE_LIMITS;
  const server = http.createServer(
    {
      headersTimeout: L.headersTimeoutMs,
      requestTimeout: L.requestTimeoutMs,
      keepAliveTimeout: L.keepAliveTimeoutMs,
      maxHeaderSize: L.maxHeaderBytes,
      // Deadlines are enforced on this tick; Node's default of 30 s would let them overrun.
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => void handle(req, res, src),
  );
  server.maxConnections = L.maxConnections;
  server.timeout = L.idleTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, src: ProbeSources): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    // A body is never read: the connection closes after the answer instead of draining it.
    res.setHeader('connection', 'close');
    return reply(res, 405, 'method not allowed');
  }
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz') return reply(res, 200, 'ok');
  if (path === '/readyz') return src.ready() ? reply(res, 200, 'ok') : reply(res, 503, 'watches not synced');
  if (path === '/metrics') {
    src.beforeScrape?.();
    res.setHeader('content-type', src.registry.contentType);
    return reply(res, 200, await src.registry.metrics());
  }
  reply(res, 404, 'not found');
}

function reply(res: http.ServerResponse, code: number, body: string): void {
  res.statusCode = code;
  if (!res.hasHeader('content-type')) res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(body.endsWith('\n') ? body : `${body}\n`);
}
