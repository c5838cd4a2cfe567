import type { Cidr, SourceVerdict } from '../detections/address.js';
import { BUCKETS, type TrafficSettings } from '../detections/traffic-settings.js';
import { forwardedClient } from './forwarded.js';
import { type HostLookup, NO_HOSTS } from './host-index.js';
import { Lru } from './lru.js';
import type { AccessRecord } from './record.js';
import { type Finding, type HoldState, RULES, type RuleDef, stepHold } from './rules.js';
import { TopK } from './top-k.js';
import { type BaselineLearning, ewmaAlpha, IngressWindow, type WindowReport } from './window.js';

/** The Ingress a window belongs to, as the access log names it. */
export interface IngressRef {
  /** `ingress/<namespace>/<name>` or `host/<host>`. */
  key: string;
  namespace?: string;
  ingress?: string;
  host?: string;
  /** The Service the last request was routed to. */
  service?: string;
}

/**
 * Requests counted for a firing rule since the previous event (summed by the alert writer): all
 * requests and their status codes, and the sources of the matched ones.
 */
export interface EpisodeDelta {
  requests: number;
  matched: number;
  codes: Map<number, number>;
  sources: TopK;
  /** Time of the newest request counted, or of the evaluation that found the condition. */
  lastSeenMs: number;
}

/** What an evaluation tick reports for one (detection, Ingress, rule). */
export interface TrafficEvent {
  /** fired: the condition started; update: it still holds (or is clearing); cleared: it stopped. */
  type: 'fired' | 'update' | 'cleared';
  detection: TrafficSettings;
  rule: RuleDef;
  target: IngressRef;
  atMs: number;
  /** The condition's facts; absent on cleared, and on updates while it is clearing. */
  finding?: Finding;
  window: WindowReport & { baseline?: number };
  delta: EpisodeDelta;
}

/** Bounds of the engine's memory. */
export interface EngineLimits {
  /** Ingress windows per detection; the least recently seen is evicted beyond it. */
  maxIngresses: number;
  /** Source addresses tracked per summary (per window generation, per open alert). */
  maxSources: number;
  /** Proxies whose X-Forwarded-For entries are skipped (clientAddress: ForwardedFor); none by default. */
  trustedProxies?: readonly Cidr[];
}

/** Counters for metrics. */
export interface EngineStats {
  windows: number;
  evictedIngresses: number;
  evictedSources: number;
  /** X-Forwarded-For entries that were no address (the peer was taken instead). */
  forwardedFallbacks: number;
}

/**
 * What happened to one record: counted in a window; older than every window; or its Host maps to
 * no Ingress, so it was only counted in the unmatched-host aggregate (no window, no alert).
 */
export type IngestOutcome = 'accepted' | 'late' | 'unmatched';

/** Lines dated this far in the future (clock skew) count as now. */
const FUTURE_SKEW_MS = 5000;

interface KeyState {
  ref: IngressRef;
  /** Undefined when match.namespaces or an exception leaves this Ingress out. */
  window: IngressWindow | undefined;
  holds: HoldState[];
  /** Running totals of each firing rule, by rule index. */
  acc: (EpisodeDelta | undefined)[];
  lastSeenMs: number;
}

interface DetectionState {
  settings: TrafficSettings;
  keys: Lru<KeyState>;
  learning: BaselineLearning;
  idleMs: number;
}

const RATE = RULES.findIndex((r) => r.id === 'request-rate');

function emptyDelta(capacity: number, atMs: number): EpisodeDelta {
  return { requests: 0, matched: 0, codes: new Map(), sources: new TopK(capacity), lastSeenMs: atMs };
}

/**
 * Sliding windows per (traffic detection, Ingress) and the rules over them. `ingest` counts a
 * parsed access-log record; `tick` evaluates every window and reports rules that fired, still
 * fire (with what they counted since the last tick) or cleared. Pure: the caller passes the time,
 * so tests drive it with a fake clock.
 *
 * Memory is bounded whatever the input: at most `maxIngresses` windows per detection (least
 * recently seen evicted first, and idle ones dropped), and every per-source structure is a
 * fixed-capacity summary.
 */
export class TrafficEngine {
  readonly #limits: EngineLimits;
  readonly #hosts: HostLookup;
  #detections: DetectionState[] = [];
  #evictedIngresses = 0;
  #evictedSourcesGone = 0;
  #forwardedFallbacks = 0;

  /** `hosts` maps the Host of a line that names no Ingress; by default it maps none. */
  constructor(limits: EngineLimits, hosts: HostLookup = NO_HOSTS) {
    this.#limits = limits;
    this.#hosts = hosts;
  }

  /**
   * Replaces the set of traffic detections. A detection whose generation did not change keeps its
   * windows and baselines; a changed one starts afresh (its thresholds may mean other windows).
   */
  configure(list: readonly TrafficSettings[]): void {
    const old = new Map(this.#detections.map((d) => [d.settings.name, d]));
    this.#detections = list.map((settings) => {
      const prev = old.get(settings.name);
      if (
        prev &&
        prev.settings.generation === settings.generation &&
        prev.settings.source === settings.source
      )
        return prev;
      const bl = settings.requestRate.baseline;
      return {
        settings,
        keys: new Lru(),
        learning: {
          alpha: ewmaAlpha(settings.bucketMs, bl.halfLifeMs),
          multiplier: bl.multiplier,
          floorPerBucket: bl.minRequests / BUCKETS,
        },
        idleMs: Math.max(2 * settings.windowMs, bl.warmupMs, 4 * bl.halfLifeMs),
      };
    });
  }

  /** Names of the configured detections. */
  get detections(): string[] {
    return this.#detections.map((d) => d.settings.name);
  }

  /**
   * Counts one request in every detection's window for its Ingress. A line that names no Ingress
   * is counted under the Ingress its Host maps to; when none does, it opens no window (a client
   * picks the Host header: per-Host windows would let it evict real ones and raise alerts at will).
   */
  ingest(rec: AccessRecord, nowMs: number): IngestOutcome {
    if (this.#detections.length === 0) return 'accepted';
    const target = this.#target(rec);
    let outcome: IngestOutcome = 'late';
    for (const d of this.#detections) {
      const r = this.#count(d, rec, target, nowMs);
      if (r === 'accepted' || outcome === 'late') outcome = r;
    }
    return outcome;
  }

  /** The record's Ingress: as logged, or by its Host; undefined when the Host maps to none. */
  #target(rec: AccessRecord): AccessRecord | undefined {
    if (rec.namespace !== undefined && rec.ingress !== undefined) return rec;
    const hit = rec.host !== undefined ? this.#hosts.lookup(rec.host) : undefined;
    if (!hit) return undefined;
    return {
      ...rec,
      key: `ingress/${hit.namespace}/${hit.name}`,
      namespace: hit.namespace,
      ingress: hit.name,
    };
  }

  #source(s: TrafficSettings, rec: AccessRecord): string {
    if (s.clientAddress !== 'ForwardedFor') return rec.remoteAddr;
    const c = forwardedClient(rec.forwardedFor, rec.remoteAddr, this.#limits.trustedProxies ?? []);
    if (c.fellBack) this.#forwardedFallbacks++;
    return c.address;
  }

  #count(
    d: DetectionState,
    rec: AccessRecord,
    target: AccessRecord | undefined,
    nowMs: number,
  ): IngestOutcome {
    const s = d.settings;
    let t = rec.timeMs ?? nowMs;
    if (t > nowMs + FUTURE_SKEW_MS) t = nowMs;
    if (t <= nowMs - s.windowMs) return 'late';
    if (!target) return 'unmatched';
    const k = this.#key(d, target, nowMs);
    if (!k.window) return 'accepted';
    const source = this.#source(s, rec);
    const verdict: SourceVerdict | undefined = s.allow?.check(source);
    if (!k.window.record(t, rec.status, source, verdict)) return 'late';
    if (rec.service !== undefined) k.ref.service = rec.service;
    if (t > k.lastSeenMs) k.lastSeenMs = t;
    for (let i = 0; i < RULES.length; i++) {
      const acc = k.acc[i];
      if (!acc) continue;
      acc.requests++;
      acc.codes.set(rec.status, (acc.codes.get(rec.status) ?? 0) + 1);
      if (!(RULES[i] as RuleDef).matches(rec.status, verdict)) continue;
      acc.matched++;
      acc.sources.add(source);
      if (t > acc.lastSeenMs) acc.lastSeenMs = t;
    }
    return 'accepted';
  }

  /** The state of the record's Ingress, created (and the oldest evicted) when new. */
  #key(d: DetectionState, rec: AccessRecord, nowMs: number): KeyState {
    let k = d.keys.get(rec.key);
    if (k) return k;
    if (d.keys.size >= this.#limits.maxIngresses) this.#evictOldest(d);
    const s = d.settings;
    const ref: IngressRef = { key: rec.key };
    if (rec.namespace !== undefined) ref.namespace = rec.namespace;
    if (rec.ingress !== undefined) ref.ingress = rec.ingress;
    if (rec.host !== undefined) ref.host = rec.host;
    k = {
      ref,
      window: s.covers(rec.namespace, rec.ingress)
        ? new IngressWindow(s.bucketMs, nowMs, { maxSources: this.#limits.maxSources })
        : undefined,
      holds: RULES.map(() => ({ firing: false })),
      acc: RULES.map(() => undefined),
      lastSeenMs: nowMs,
    };
    d.keys.add(rec.key, k);
    return k;
  }

  #evictOldest(d: DetectionState): void {
    const oldest = d.keys.evictOldest();
    if (!oldest) return;
    this.#evictedSourcesGone += oldest[1].window?.evictedSources ?? 0;
    this.#evictedIngresses++;
  }

  /** Evaluates every window at `nowMs`; returns what fired, still fires, or cleared. */
  tick(nowMs: number): TrafficEvent[] {
    const events: TrafficEvent[] = [];
    for (const d of this.#detections) {
      for (const [key, k] of d.keys.entries()) {
        if (!k.window) {
          if (nowMs - k.lastSeenMs > d.idleMs) d.keys.delete(key);
          continue;
        }
        this.#evaluate(d, k, k.window, nowMs, events);
        if (!k.holds.some((h) => h.firing || h.since !== undefined) && nowMs - k.lastSeenMs > d.idleMs) {
          this.#evictedSourcesGone += k.window.evictedSources;
          d.keys.delete(key);
        }
      }
    }
    return events;
  }

  #evaluate(d: DetectionState, k: KeyState, w: IngressWindow, nowMs: number, out: TrafficEvent[]): void {
    const s = d.settings;
    const rate = k.holds[RATE] as HoldState;
    w.rotate(nowMs);
    w.foldBaseline(nowMs, d.learning, !rate.firing && rate.since === undefined);
    const warm = nowMs - w.firstSeenMs >= s.requestRate.baseline.warmupMs;
    const baseline = warm ? w.baselinePerWindow() : undefined;
    const counts = w.counts(nowMs);
    const allow = s.allow;
    const verdict = allow ? (a: string) => allow.check(a) : undefined;
    let report: TrafficEvent['window'] | undefined;
    const windowReport = (): TrafficEvent['window'] => {
      report ??= {
        ...w.report(nowMs, s.topSources, verdict),
        ...(baseline !== undefined ? { baseline } : {}),
      };
      return report;
    };
    RULES.forEach((rule, i) => {
      const rs = rule.settings(s);
      const hold = k.holds[i] as HoldState;
      const finding = rs.enabled ? rule.evaluate({ ...counts, baseline }, s) : undefined;
      const outcome = stepHold(hold, finding !== undefined, nowMs, rs.holdMs);
      const base = { detection: s, rule, target: { ...k.ref }, atMs: nowMs };
      if (outcome === 'fire' && finding) {
        out.push({
          ...base,
          type: 'fired',
          finding,
          window: windowReport(),
          delta: this.#firstDelta(s, finding, windowReport(), nowMs),
        });
        k.acc[i] = emptyDelta(this.#limits.maxSources, nowMs);
      } else if (outcome === 'clear') {
        out.push({
          ...base,
          type: 'cleared',
          window: windowReport(),
          delta: k.acc[i] ?? emptyDelta(1, nowMs),
        });
        k.acc[i] = undefined;
      } else if (hold.firing) {
        const acc = k.acc[i] ?? emptyDelta(this.#limits.maxSources, nowMs);
        if (finding) acc.lastSeenMs = nowMs;
        out.push({
          ...base,
          type: 'update',
          ...(finding ? { finding } : {}),
          window: windowReport(),
          delta: acc,
        });
        k.acc[i] = emptyDelta(this.#limits.maxSources, acc.lastSeenMs);
      }
    });
  }

  /** The counts of the window that raised an alert, as the first contribution to its totals. */
  #firstDelta(s: TrafficSettings, f: Finding, w: WindowReport, nowMs: number): EpisodeDelta {
    const delta = emptyDelta(this.#limits.maxSources, nowMs);
    delta.requests = w.requests;
    delta.matched = f.matched;
    for (const [code, n] of w.codes) delta.codes.set(code, n);
    const sources = f.matched === w.requests || !s.allow ? w.sources : w.disallowedSources;
    for (const src of sources) delta.sources.add(src.address, src.requests);
    return delta;
  }

  /** Windows held and evictions so far. */
  stats(): EngineStats {
    let windows = 0;
    let live = 0;
    for (const d of this.#detections) {
      for (const [, k] of d.keys.entries()) {
        if (!k.window) continue;
        windows++;
        live += k.window.evictedSources;
      }
    }
    return {
      windows,
      evictedIngresses: this.#evictedIngresses,
      evictedSources: this.#evictedSourcesGone + live,
      forwardedFallbacks: this.#forwardedFallbacks,
    };
  }
}
