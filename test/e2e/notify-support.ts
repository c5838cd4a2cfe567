/**
 * Receivers for the notification e2e tests: a real Alertmanager (the Debian package) on loopback,
 * and plain HTTP servers that record what a webhook receiver gets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../hack/operator-process.js';

/** Where Debian's prometheus-alertmanager package puts the binary. */
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

/** An alert as Alertmanager's `GET /api/v2/alerts` returns it. */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed' };
}

/** A running Alertmanager. */
export interface Alertmanager {
  url: string;
  /** Alerts matching every label (GET /api/v2/alerts?filter=…), active ones only when asked. */
  alerts(labels: Record<string, string>, activeOnly?: boolean): Promise<GettableAlert[]>;
  logs(): string;
  stop(): Promise<void>;
}

/** A free port on loopback (closed again; the caller binds it right away). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Starts Alertmanager on loopback with its own storage, a route to a receiver that sends nothing,
 * and clustering off (`--cluster.listen-address=`). Fails loudly when the package is missing.
 */
export async function startAlertmanager(): Promise<Alertmanager> {
  if (!existsSync(ALERTMANAGER_BIN)) {
    throw new Error(
      `${ALERTMANAGER_BIN} is missing: install the Debian package prometheus-alertmanager ` +
        '(apt-get install prometheus-alertmanager; the Makefile runs hack/ensure-debian-packages.sh)',
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tripline-am-'));
  const config = path.join(dir, 'alertmanager.yml');
  writeFileSync(config, "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${config}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  proc.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const killOnExit = (): void => {
    proc.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  try {
    await waitFor(async () => (await get(`${url}/-/ready`)).status === 200, 30_000, 'Alertmanager ready');
  } catch (err: unknown) {
    proc.kill('SIGKILL');
    throw new Error(`Alertmanager did not start:\n${out}`, { cause: err });
  }
  return {
    url,
    logs: () => out,
    alerts: async (labels, activeOnly = false) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(labels)) q.append('filter', `${k}="${v}"`);
      if (activeOnly) {
        q.set('active', 'true');
        q.set('silenced', 'false');
        q.set('inhibited', 'false');
        q.set('unprocessed', 'false');
      }
      const res = await get(`${url}/api/v2/alerts?${q}`);
      if (res.status !== 200) throw new Error(`GET /api/v2/alerts: ${res.status} ${res.body}`);
      return JSON.parse(res.body) as GettableAlert[];
    },
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One request a {@link Receiver} got, and what it answered. */
export interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
  status: number;
}

/** An HTTP server on loopback that records every POST and answers what `answer` says. */
export class Receiver {
  readonly got: Received[] = [];
  /** The status to answer a body with; 200 unless changed. */
  answer: (body: string) => number = () => 200;
  readonly #server: http.Server;
  #url = '';

  private constructor() {
    this.#server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const status = this.answer(body);
        this.got.push({ body, headers: req.headers, status });
        res.writeHead(status).end();
      });
    });
  }

  /** Starts a receiver on a free loopback port. */
  static async start(): Promise<Receiver> {
    const r = new Receiver();
    await new Promise<void>((ok) => r.#server.listen(0, '127.0.0.1', ok));
    r.#url = `http://127.0.0.1:${(r.#server.address() as AddressInfo).port}/hook`;
    return r;
  }

  get url(): string {
    return this.#url;
  }

  /** Bodies parsed as JSON. */
  json<T>(): (Received & { json: T })[] {
    return this.got.map((g) => ({ ...g, json: JSON.parse(g.body) as T }));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}
