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
 * Serves `/metrics` (Prometheus text), `/healthz` (the process is alive) and `/readyz` (every
 * watch synced). Plain HTTP: it carries no secrets and is meant for the kubelet and Prometheus.
 */
export async function startProbeServer(
  bind: string,
  src: ProbeSources,
): Promise<{ port: number; close(): Promise<void> }> {
  const idx = bind.lastIndexOf(':');
  const host = bind.slice(0, idx) || '0.0.0.0';
  const port = Number(bind.slice(idx + 1));
  const server = http.createServer((req, res) => void handle(req, res, src));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, src: ProbeSources): Promise<void> {
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
