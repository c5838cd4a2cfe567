import type { AlertingDeps } from '../alerts/deps.js';
import type { FeatureSettings } from '../config/schema.js';
import type { DetectionView } from '../detections/store.js';
import type { Logger } from '../observability/logger.js';
import { queueMetrics } from '../observability/metrics.js';
import { every, type Periodic } from '../runtime/periodic.js';
import { AlertRateLimit } from './alert-limit.js';
import { type TrafficConfig, trafficConfig } from './config.js';
import { type EngineLimits, TrafficEngine } from './engine.js';
import { HostIndex, type HostLookup } from './host-index.js';
import { type HttpInput, startHttpInput } from './http-input.js';
import { type MalformedReason, type ParseResult, parseLine, parseRecord, TimeParser } from './record.js';
import { FileTailer } from './tailer.js';
import { TrafficAlertWriter } from './writer.js';

/** Where a line came from (the `input` label of the lines metric). */
export type TrafficInput = 'http' | 'file';
/** What became of a line (the `result` label). */
export type LineResult = 'accepted' | 'late' | 'unmatched' | 'malformed' | 'oversized';

export { type TrafficConfig, trafficConfig };

/** How often the Host → Ingress index is listed again. */
export const HOST_INDEX_REFRESH_MS = 30_000;

/** How often windows are evaluated and alerts written. */
export const TICK_MS = 1000;

/** Line counts by input and result, flushed to the metrics once per tick (not per line). */
class LineCounts {
  readonly #counts = new Map<string, number>();

  add(input: TrafficInput, result: LineResult): void {
    const k = `${input}/${result}`;
    this.#counts.set(k, (this.#counts.get(k) ?? 0) + 1);
  }

  drain(each: (input: string, result: string, n: number) => void): void {
    for (const [k, n] of this.#counts) {
      const [input, result] = k.split('/') as [string, string];
      each(input, result, n);
    }
    this.#counts.clear();
  }
}

/**
 * Parsing and counting, without I/O: what every input feeds, and what the benchmark measures.
 * Malformed lines are counted and skipped, never thrown.
 */
export class AccessLogIngest {
  readonly engine: TrafficEngine;
  readonly counts = new LineCounts();
  readonly malformed = new Map<MalformedReason, number>();
  readonly #times = new TimeParser();
  readonly #now: () => number;

  constructor(limits: EngineLimits, now: () => number, hosts?: HostLookup) {
    this.engine = new TrafficEngine(limits, hosts);
    this.#now = now;
  }

  /** One NDJSON line or access-log file line. */
  line(text: string, input: TrafficInput): boolean {
    return this.#take(parseLine(text, this.#times), input);
  }

  /** One decoded record (an element of a JSON array body). */
  value(v: unknown, input: TrafficInput): boolean {
    return this.#take(parseRecord(v, this.#times), input);
  }

  oversized(input: TrafficInput): void {
    this.counts.add(input, 'oversized');
  }

  #take(r: ParseResult, input: TrafficInput): boolean {
    if (!r.ok) {
      this.counts.add(input, 'malformed');
      this.malformed.set(r.reason, (this.malformed.get(r.reason) ?? 0) + 1);
      return false;
    }
    this.counts.add(input, this.engine.ingest(r.record, this.#now()));
    return true;
  }
}

/**
 * Keeps the engine configured with the traffic detections the store compiled (and only those: a
 * detection the store reports Stalled has no windows). Returns the unsubscribe function.
 */
export function followDetections(view: DetectionView, engine: TrafficEngine): () => void {
  engine.configure(view.traffic());
  return view.onChange((_name, compiled) => {
    if (compiled) engine.configure(view.traffic());
  });
}

/**
 * What traffic ingestion needs from the operator. A replica that is not `active` answers the HTTP
 * endpoint with 503 (the shipper retries, and a Service selecting the leader reaches it) and holds
 * its pending alert writes; files are still followed so its windows stay warm.
 */
export type TrafficDeps = AlertingDeps;

/**
 * Access-log ingestion for traffic detections (DESIGN §3 "Traffic"): the HTTP endpoint and file
 * tailers feed one engine of sliding windows; a tick every second evaluates them and hands what
 * fired to the alert writer. State is in memory, per replica.
 */
export class TrafficIngestion {
  readonly #cfg: TrafficConfig;
  readonly #deps: TrafficDeps;
  readonly #log: Logger;
  readonly #ingest: AccessLogIngest;
  readonly #writer: TrafficAlertWriter;
  #unsubscribe: (() => void) | undefined;
  readonly #tailers: FileTailer[];
  readonly #hosts = new HostIndex();
  #hostRefresh: Periodic | undefined;
  #http: HttpInput | undefined;
  #timer: NodeJS.Timeout | undefined;
  #evicted = { ingresses: 0, sources: 0 };
  #fallbacks = 0;

  constructor(cfg: TrafficConfig, deps: TrafficDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'traffic' });
    this.#ingest = new AccessLogIngest(cfg.limits, () => deps.clock.now().getTime(), this.#hosts);
    const m = deps.metrics;
    this.#writer = new TrafficAlertWriter({
      client: deps.client,
      clock: deps.clock,
      log: this.#log,
      backoff: deps.backoff,
      maxSources: cfg.limits.maxSources,
      active: deps.active,
      raised: (detection, rule, severity) => {
        m.trafficAlerts.inc({ detection, rule, action: 'created' });
        m.alertsRaised.inc({ detection, severity });
      },
      updated: (detection, rule) => m.trafficAlerts.inc({ detection, rule, action: 'updated' }),
      suppressed: (detection, rule) => m.trafficAlerts.inc({ detection, rule, action: 'suppressed' }),
      limit: { perMinute: cfg.maxAlertsPerMinute, buckets: new AlertRateLimit(cfg.maxAlertsPerMinute) },
      hosts: this.#hosts,
      queueEvents: queueMetrics(m, 'traffic-alerts'),
      cluster: cfg.cluster,
      ...(deps.onRaised ? { onRaised: deps.onRaised } : {}),
    });
    this.#tailers = cfg.logFiles.map(
      (path) =>
        new FileTailer(
          { path, fromStart: cfg.fromStart, pollMs: cfg.pollMs, maxLineBytes: cfg.maxLineBytes },
          { line: (t) => void this.#ingest.line(t, 'file'), oversized: () => this.#ingest.oversized('file') },
          this.#log,
        ),
    );
  }

  /** Port of the HTTP endpoint (0 when it is off). */
  get port(): number {
    return this.#http?.port ?? 0;
  }

  /** Follows the detection store, then starts the endpoint, the tailers and the evaluation tick. */
  async start(): Promise<void> {
    this.#unsubscribe = followDetections(this.#deps.detections, this.#ingest.engine);
    await this.#refreshHosts();
    this.#hostRefresh = every(
      HOST_INDEX_REFRESH_MS,
      () => this.#refreshHosts(),
      this.#log,
      'traffic host index',
    );
    if (this.#cfg.listenAddress && this.#cfg.token) {
      const ingest = this.#ingest;
      this.#http = await startHttpInput(
        {
          bind: this.#cfg.listenAddress,
          token: this.#cfg.token,
          maxBodyBytes: this.#cfg.maxBodyBytes,
          maxConnections: this.#cfg.maxConnections,
          maxLineBytes: this.#cfg.maxLineBytes,
          active: this.#deps.active,
          answered: (code) => this.#deps.metrics.trafficHttpRequests.inc({ code: String(code) }),
        },
        {
          line: (t) => ingest.line(t, 'http'),
          value: (v) => ingest.value(v, 'http'),
          oversized: () => ingest.oversized('http'),
        },
        this.#log,
      );
    }
    for (const t of this.#tailers) t.start();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#log.info('Traffic ingestion started', {
      trafficPort: this.port,
      files: this.#cfg.logFiles,
      auth: this.#cfg.token ? 'bearer' : 'none',
    });
  }

  /** Lists the Ingresses into the host index; on failure the old index stays (lines still count). */
  async #refreshHosts(): Promise<void> {
    try {
      await this.#hosts.refresh(this.#deps.client);
    } catch (err: unknown) {
      this.#log.warn('Listing Ingresses for the traffic host index failed', { err });
    }
  }

  /** Stops inputs first, then the tick, then waits for alert writes in flight. */
  async stop(): Promise<void> {
    await this.#http?.close();
    await this.#hostRefresh?.stop();
    await Promise.all(this.#tailers.map((t) => t.stop()));
    clearInterval(this.#timer);
    this.#tick();
    await this.#writer.stop();
    this.#unsubscribe?.();
  }

  #tick(): void {
    const now = this.#deps.clock.now().getTime();
    try {
      this.#writer.handle(this.#ingest.engine.tick(now));
    } catch (err: unknown) {
      this.#log.error('Traffic evaluation failed', { err });
    }
    this.#report();
  }

  #report(): void {
    const m = this.#deps.metrics;
    this.#ingest.counts.drain((input, result, n) => m.trafficLines.inc({ input, result }, n));
    const st = this.#ingest.engine.stats();
    m.trafficWindows.set(st.windows);
    m.trafficAlertsTracked.set(this.#writer.tracked);
    // The engine counts since start; the metric is a counter, so add what is new.
    if (st.evictedIngresses > this.#evicted.ingresses)
      m.trafficEvictions.inc({ what: 'ingress' }, st.evictedIngresses - this.#evicted.ingresses);
    if (st.evictedSources > this.#evicted.sources)
      m.trafficEvictions.inc({ what: 'source' }, st.evictedSources - this.#evicted.sources);
    if (st.forwardedFallbacks > this.#fallbacks)
      m.trafficForwardedFallbacks.inc(st.forwardedFallbacks - this.#fallbacks);
    this.#fallbacks = st.forwardedFallbacks;
    this.#evicted = {
      ingresses: st.evictedIngresses,
      sources: Math.max(this.#evicted.sources, st.evictedSources),
    };
  }
}

/** The traffic component, or undefined when no input is configured (the table entry in main.ts). */
export function createTrafficIngestion(
  settings: FeatureSettings['traffic'],
  deps: TrafficDeps,
): TrafficIngestion | undefined {
  const cfg = trafficConfig(settings);
  return cfg ? new TrafficIngestion(cfg, deps) : undefined;
}
