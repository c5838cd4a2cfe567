import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ControlPlane } from '../../../hack/controlplane/index.js';

/** A rule that answers matching requests with an error instead of forwarding them. */
export interface FaultRule {
  method: string;
  pathIncludes: string;
  status: number;
  /** How many matching requests to fail (then the rule is spent). */
  times: number;
  retryAfterSeconds?: number;
  /** Status message; default "injected by the fault proxy". */
  message?: string;
}

/**
 * A fault-injecting HTTP proxy between the operator and the API server: the operator talks plain
 * HTTP on loopback to the proxy, which forwards over TLS with the admin identity. It can answer
 * chosen requests with 429/5xx and make every open watch stream go silent without closing.
 */
export class FaultProxy {
  readonly #server: http.Server;
  readonly #agent: https.Agent;
  readonly #upstream: URL;
  readonly #rules: FaultRule[] = [];
  /** Open watch streams, with the request path each one answers. */
  readonly #streams = new Map<http.IncomingMessage, string>();
  /** Requests answered with an injected fault. */
  injected = 0;
  port = 0;

  constructor(cp: ControlPlane) {
    const cluster = cp.kubeConfig.getCurrentCluster();
    const user = cp.kubeConfig.getCurrentUser();
    this.#upstream = new URL(cp.server);
    this.#agent = new https.Agent({
      keepAlive: true,
      ca: Buffer.from(cluster?.caData ?? '', 'base64'),
      cert: Buffer.from(user?.certData ?? '', 'base64'),
      key: Buffer.from(user?.keyData ?? '', 'base64'),
    });
    this.#server = http.createServer((req, res) => this.#handle(req, res));
  }

  /** Listens on a free loopback port and writes a kubeconfig pointing at the proxy. */
  async start(dir: string): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.#server.address() as AddressInfo).port;
    const file = path.join(dir, `proxy-${this.port}.kubeconfig`);
    const kc = {
      apiVersion: 'v1',
      kind: 'Config',
      // client-node only accepts plain http with skip-TLS-verify set; there is no TLS to verify here.
      clusters: [
        {
          name: 'proxy',
          cluster: { server: `http://127.0.0.1:${this.port}`, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: 'proxy', user: {} }],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
      'current-context': 'proxy',
    };
    await writeFile(file, JSON.stringify(kc));
    return file;
  }

  /** Adds a fault rule. */
  fail(rule: FaultRule): void {
    this.#rules.push({ ...rule });
  }

  /** The paths (without query) of the watch streams open now. */
  openWatches(): string[] {
    return [...this.#streams.values()];
  }

  /**
   * Makes every watch stream open now go silent: nothing more is forwarded, nothing is closed.
   * Returns the paths of the streams it silenced.
   */
  stallOpenWatches(): string[] {
    const paths = [...this.#streams.values()];
    for (const s of this.#streams.keys()) s.unpipe();
    this.#streams.clear();
    return paths;
  }

  /** Stops the proxy and closes everything it holds open. */
  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
    this.#agent.destroy();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const rule = this.#rules.find(
      (r) => r.times > 0 && r.method === req.method && (req.url ?? '').includes(r.pathIncludes),
    );
    if (rule) {
      rule.times--;
      this.injected++;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (rule.retryAfterSeconds !== undefined) headers['retry-after'] = String(rule.retryAfterSeconds);
      res.writeHead(rule.status, headers);
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          code: rule.status,
          reason: 'InjectedFault',
          message: rule.message ?? 'injected by the fault proxy',
        }),
      );
      req.resume();
      return;
    }
    this.#forward(req, res);
  }

  #forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.#upstream);
    const headers = { ...req.headers, host: this.#upstream.host };
    const up = https.request(url, { method: req.method, headers, agent: this.#agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') {
        this.#streams.set(upRes, url.pathname);
        upRes.on('close', () => this.#streams.delete(upRes));
      }
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  }
}
