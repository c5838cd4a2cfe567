/**
 * The traffic benchmark's measuring process (started by test/bench/traffic.ts, pinned to one core):
 * parse + window throughput of ingress-nginx JSON access-log lines, the same through the HTTP
 * endpoint, and memory under a flood of distinct Ingresses and sources. Prints one JSON object.
 * No control plane: the lines never raise alerts here, only the ingestion path is measured.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import type { AuditDetection } from '../../src/api/generated/audit-detection.js';
import { compileTraffic, type TrafficSettings } from '../../src/detections/traffic-settings.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startHttpInput } from '../../src/traffic/http-input.js';
import { AccessLogIngest } from '../../src/traffic/ingestion.js';
import type { TrafficWorkerResult } from './traffic.js';

const LIMITS = { maxIngresses: 5000, maxSources: 64 }; // the operator's defaults

/** The shipped default detection, with an allow-list so every rule runs on every line. */
function defaultDetection(): TrafficSettings {
  const d = parse(
    readFileSync('manifests/detections/ingress-traffic-anomaly.yaml', 'utf8'),
  ) as AuditDetection;
  const traffic = d.spec.traffic ?? {};
  d.spec.traffic = {
    ...traffic,
    disallowedSource: { ...traffic.disallowedSource, allowedCIDRs: ['10.0.0.0/8', 'fd00::/8'] },
  };
  const r = compileTraffic(d);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.settings;
}

/** A deterministic pseudo-random sequence (xorshift), so every run measures the same lines. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const STATUSES = [
  200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 304, 404, 502,
];

/**
 * `n` lines as ingress-nginx writes them: `ingresses` Ingresses (skewed: a few get most traffic),
 * `sources` client addresses (10% IPv6, 5% outside the allowed ranges), mostly 200s.
 */
function lines(n: number, ingresses: number, sources: number, startMs: number): string[] {
  const r = rng(42);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const ing = Math.floor(ingresses * r() ** 3);
    const src = Math.floor(sources * r());
    const addr =
      src % 10 === 0
        ? `fd00::${src.toString(16)}`
        : src % 20 === 1
          ? `203.0.${(src >> 8) & 255}.${src & 255}`
          : `10.${(src >> 16) & 255}.${(src >> 8) & 255}.${src & 255}`;
    const status = STATUSES[Math.floor(r() * STATUSES.length)] as number;
    // $time_iso8601 has one-second resolution; 50,000 lines a second.
    const time = new Date(startMs + Math.floor(i / 50_000) * 1000).toISOString().replace('.000Z', '+00:00');
    out[i] = JSON.stringify({
      time,
      remote_addr: addr,
      x_forwarded_for: '-',
      request_id: (i * 2654435761).toString(16),
      host: `app-${ing}.example.com`,
      method: 'GET',
      path: `/api/v1/items/${i % 1000}`,
      status,
      bytes_sent: 512 + (i % 4096),
      request_time: 0.003,
      upstream_addr: `10.1.${ing & 255}.7:8080`,
      upstream_status: String(status),
      namespace: `team-${ing % 50}`,
      ingress_name: `app-${ing}`,
      service_name: `app-${ing}-svc`,
    });
  }
  return out;
}

function peakRssMB(): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : Number.NaN;
}
const rssMB = (): number => Math.round(process.memoryUsage().rss / 104857.6) / 10;

/** Heap and off-heap (typed arrays) memory in use after a full GC, in MB (needs --expose-gc). */
function retainedMB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external + m.arrayBuffers) / 1048576;
}
const mb = (v: number): number => Math.round(v * 10) / 10;

/** CPU seconds (user + system, every thread) of this process since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

/**
 * Feeds every line `passes` times with an evaluation tick every 50,000 lines; returns lines per CPU
 * second of this (pinned) process, and per wall-clock second for reference. CPU time, because a
 * shared machine's other load stretches wall time but not the work done.
 */
function measure(ingest: AccessLogIngest, data: string[], passes: number, clock: { now: number }): Rate {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < data.length; i++) {
      ingest.line(data[i] as string, 'file');
      if (i % 50_000 === 49_999) ingest.engine.tick(clock.now);
    }
    ingest.engine.tick(clock.now);
  }
  const n = data.length * passes;
  return {
    perCpuSecond: Math.round(n / cpuSince(cpu0)),
    perWallSecond: Math.round(n / ((performance.now() - t0) / 1000)),
  };
}

interface Rate {
  perCpuSecond: number;
  perWallSecond: number;
}

/** The endpoint always wants a token; the benchmark measures it with one. */
const BENCH_TOKEN = 'bench-token';

function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/ingest',
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${BENCH_TOKEN}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The same lines through the real HTTP endpoint, 1 MiB NDJSON bodies one after another. */
async function measureHttp(data: string[], settings: TrafficSettings, now: number): Promise<Rate> {
  const ingest = new AccessLogIngest(LIMITS, () => now);
  ingest.engine.configure([settings]);
  const bodies: Buffer[] = [];
  let batch: string[] = [];
  let size = 0;
  for (const l of data) {
    batch.push(l);
    size += l.length + 1;
    if (size > 1 << 20) {
      bodies.push(Buffer.from(`${batch.join('\n')}\n`));
      batch = [];
      size = 0;
    }
  }
  if (batch.length) bodies.push(Buffer.from(`${batch.join('\n')}\n`));
  const server = await startHttpInput(
    {
      bind: '127.0.0.1:0',
      token: BENCH_TOKEN,
      maxBodyBytes: 4 << 20,
      maxLineBytes: 16384,
      maxConnections: 16,
      active: () => true,
    },
    { line: (t) => ingest.line(t, 'http'), value: (v) => ingest.value(v, 'http'), oversized: () => {} },
    silentLogger(),
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of bodies) {
    const code = await post(server.port, b);
    if (code !== 200) throw new Error(`POST answered ${code}`);
  }
  const rate = {
    perCpuSecond: Math.round(data.length / cpuSince(cpu0)),
    perWallSecond: Math.round(data.length / ((performance.now() - t0) / 1000)),
  };
  await server.close();
  return rate;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 300_000);
  const settings = defaultDetection();
  const now = Date.now();
  const clock = { now };
  const data = lines(count, 500, 20_000, now - 10_000);
  const before = retainedMB();
  const steady = new AccessLogIngest(LIMITS, () => clock.now);
  steady.engine.configure([settings]);
  measure(steady, data.slice(0, 50_000), 1, clock); // warm-up (JIT)
  const rate = measure(steady, data, 3, clock);
  const st = steady.engine.stats();
  const steadyRss = { rssMB: rssMB(), peakRssMB: peakRssMB(), retainedMB: mb(retainedMB() - before) };
  const http = await measureHttp(data, settings, now);
  // A flood: every line a new Ingress and a new source address. Memory must stay bounded.
  const flood = lines(count, 1_000_000, 10_000_000, now - 10_000).map((l, i) =>
    l.replace(/"ingress_name":"app-\d+"/, `"ingress_name":"flood-${i}"`),
  );
  const floodBefore = retainedMB();
  const floodIngest = new AccessLogIngest(LIMITS, () => clock.now);
  floodIngest.engine.configure([settings]);
  const floodRate = measure(floodIngest, flood, 1, clock);
  const fst = floodIngest.engine.stats();
  const floodRetained = mb(retainedMB() - floodBefore);
  const result: TrafficWorkerResult = {
    lines: count * 3,
    linesPerSecond: rate.perCpuSecond,
    linesPerWallSecond: rate.perWallSecond,
    nsPerLine: Math.round(1e9 / rate.perCpuSecond),
    ingresses: st.windows,
    ...steadyRss,
    http: { lines: count, linesPerSecond: http.perCpuSecond, linesPerWallSecond: http.perWallSecond },
    flood: {
      lines: count,
      linesPerSecond: floodRate.perCpuSecond,
      windows: fst.windows,
      evictedIngresses: fst.evictedIngresses,
      evictedSources: fst.evictedSources,
      retainedMB: floodRetained,
      rssMB: rssMB(),
      peakRssMB: peakRssMB(),
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
