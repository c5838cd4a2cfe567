/**
 * A real nginx (Debian's nginx-light) on loopback for the traffic e2e test, configured with a JSON
 * access log like ingress-nginx's `log-format-upstream` with `log-format-escape-json`, and the
 * ingress-nginx variables ($namespace, $ingress_name, $service_name) set per location the way the
 * controller sets them per Ingress. Plus a client that sends from chosen 127.0.0.x addresses and a
 * forwarder that ships a log file to an HTTP endpoint as Fluent Bit's `http` output does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../../hack/operator-process.js';

/** Where Debian's nginx-light installs nginx. */
export const NGINX = '/usr/sbin/nginx';

/** The ingress-nginx JSON access-log format the README tells operators to configure. */
export const LOG_FORMAT = [
  '{"time":"$time_iso8601","remote_addr":"$remote_addr","x_forwarded_for":"$http_x_forwarded_for",',
  '"request_id":"$request_id","host":"$host","method":"$request_method","path":"$uri","status":$status,',
  '"bytes_sent":$bytes_sent,"request_time":$request_time,"upstream_addr":"$upstream_addr",',
  '"upstream_status":"$upstream_status","namespace":"$namespace","ingress_name":"$ingress_name",',
  '"service_name":"$service_name"}',
].join('');

/** One front server: a namespace, and a location per Ingress. */
export interface FrontServer {
  namespace: string;
  logFile: string;
  /** Ingress name → upstream: `ok` (200), `fail` (500 from a failing server), `down` (nothing listens: 502). */
  ingresses: Record<string, 'ok' | 'fail' | 'down'>;
}

/** A running nginx. */
export interface Nginx {
  dir: string;
  /** Port of each front server, by namespace. */
  ports: Record<string, number>;
  /** Asks nginx to reopen its logs (what logrotate's postrotate does). */
  reopen(): void;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again, so there is a small window for a race). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function frontServer(
  f: FrontServer,
  port: number,
  upstreams: Record<'ok' | 'fail' | 'down', number>,
): string {
  const locations = Object.entries(f.ingresses).map(
    ([name, up]) => `
    location /${name}/ {
      set $ingress_name ${name};
      set $service_name ${name}-svc;
      proxy_pass http://127.0.0.1:${upstreams[up]};
    }`,
  );
  return `
  server {
    listen 127.0.0.1:${port};
    server_name ${f.namespace}.example.com;
    access_log ${f.logFile} tripline;
    set $namespace ${f.namespace};
    set $ingress_name "";
    set $service_name "";
    ${locations.join('\n')}
  }`;
}

/** Starts nginx in the foreground with its own prefix, pid, logs and temp paths under a temp dir. */
export async function startNginx(fronts: FrontServer[]): Promise<Nginx> {
  if (!existsSync(NGINX)) {
    throw new Error(
      `${NGINX} not found: the traffic e2e test needs Debian's nginx-light (apt-get install nginx-light; hack/ensure-debian-packages.sh does it)`,
    );
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'tripline-nginx-'));
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    await mkdir(path.join(dir, 'tmp', t), { recursive: true });
  const upstreams = { ok: await freePort(), fail: await freePort(), down: await freePort() };
  const ports: Record<string, number> = {};
  for (const f of fronts) ports[f.namespace] = await freePort();
  const temp = (t: string) => `${t === 'body' ? 'client_body' : t}_temp_path ${path.join(dir, 'tmp', t)};`;
  const conf = `
# Root runs the tests here: keep nginx's identity (it would switch to nobody, who cannot write ${dir}).
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 512; }
http {
  ${['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  access_log off;
  log_format tripline escape=json '${LOG_FORMAT}';
  server { listen 127.0.0.1:${upstreams.ok}; access_log off; location / { return 200 "ok\\n"; } }
  server { listen 127.0.0.1:${upstreams.fail}; access_log off; location / { return 500 "failing\\n"; } }
  ${fronts.map((f) => frontServer(f, ports[f.namespace] as number, upstreams)).join('\n')}
}
`;
  const confPath = path.join(dir, 'nginx.conf');
  await writeFile(confPath, conf);
  const proc: ChildProcess = spawn(
    NGINX,
    ['-p', dir, '-c', confPath, '-e', path.join(dir, 'error.log'), '-g', 'daemon off; master_process off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout?.on('data', (b) => (output += b));
  proc.stderr?.on('data', (b) => (output += b));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const first = Object.values(ports)[0] as number;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}): ${output}`);
      return await canConnect(first);
    },
    10_000,
    'nginx listening',
  );
  return {
    dir,
    ports,
    reopen: () => proc.kill('SIGUSR1'),
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** GET `path` on 127.0.0.1:port from the local address `from` (any 127.0.0.x works on Linux loopback). */
export function request(port: number, urlPath: string, from: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, localAddress: from, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

/** Sends `n` requests, `parallel` at a time. */
export async function requests(
  port: number,
  urlPath: string,
  from: string,
  n: number,
  parallel = 1,
): Promise<number[]> {
  const codes: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) {
        next++;
        codes.push(await request(port, urlPath, from));
      }
    }),
  );
  return codes;
}

/** POSTs a body to an HTTP endpoint; resolves with the status and body. */
export function post(
  port: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
  urlPath = '/ingest',
  method = 'POST',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method, headers, agent: false },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Ships a log file to the traffic endpoint the way Fluent Bit's tail input + http output does:
 * new complete lines, in batches, alternating `format json_lines` (NDJSON) and `format json` (an
 * array), with the bearer token. `target()` gives the port (it changes when the operator restarts).
 */
export class Forwarder {
  #offset = 0;
  #partial = '';
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #batches = 0;
  /** Lines the endpoint accepted with 200. */
  shipped = 0;
  failures: string[] = [];

  constructor(
    readonly file: string,
    readonly token: string,
    readonly target: () => number,
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      // A refused connection (the operator restarting) is a failed try; the chunk goes again next time.
      this.#running ??= this.flush()
        .catch((err: unknown) => {
          this.failures.push(String(err));
        })
        .finally(() => {
          this.#running = undefined;
        });
    }, 200);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Ships whatever complete lines were appended since the last call. */
  async flush(): Promise<void> {
    if (!existsSync(this.file)) return;
    const fh = await open(this.file, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size <= this.#offset) return;
      const buf = Buffer.alloc(size - this.#offset);
      await fh.read(buf, 0, buf.length, this.#offset);
      const text = this.#partial + buf.toString('utf8');
      const cut = text.lastIndexOf('\n');
      const lines = text
        .slice(0, cut + 1)
        .split('\n')
        .filter(Boolean);
      const json = this.#batches++ % 2 === 1;
      const body = json ? `[${lines.join(',')}]` : `${lines.join('\n')}\n`;
      if (lines.length === 0) return;
      const res = await post(this.target(), body, {
        authorization: `Bearer ${this.token}`,
        'content-type': json ? 'application/json' : 'application/x-ndjson',
      });
      if (res.status !== 200) {
        this.failures.push(`${res.status} ${res.body}`);
        return; // like Fluent Bit: retry the same chunk next time
      }
      this.#offset = size;
      this.#partial = text.slice(cut + 1);
      this.shipped += lines.length;
    } finally {
      await fh.close();
    }
  }
}
