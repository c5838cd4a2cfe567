import type { SourceVerdict } from '../detections/address.js';
import { BUCKETS } from '../detections/traffic-settings.js';
import { TopK, topOf } from './top-k.js';

/** Counts over the current window of one Ingress. */
export interface WindowCounts {
  requests: number;
  /** Requests by status class: index 1 = 1xx … 5 = 5xx. */
  classes: [number, number, number, number, number, number];
  /** Requests from addresses outside the allowed ranges (0 without an allow-list). */
  disallowed: number;
}

/** One source address in a report. */
export interface SourceCount {
  address: string;
  requests: number;
  /** Inside the allowed ranges; undefined when the detection has none. */
  allowed?: boolean;
}

/** Where the window of an Ingress stands, for alerts. */
export interface WindowReport extends WindowCounts {
  startMs: number;
  endMs: number;
  /** The busiest sources (over the last one to two windows), allowed and disallowed. */
  sources: SourceCount[];
  /** The busiest disallowed sources (over the last one to two windows). */
  disallowedSources: SourceCount[];
  /** Requests by status code (over the last one to two windows), most frequent first. */
  codes: Array<[number, number]>;
}

/** Capacities of the bounded parts of a window. */
export interface WindowLimits {
  /** Source addresses tracked per generation (Space-Saving summary). */
  maxSources: number;
}

/** Distinct status codes kept per generation; HTTP defines far fewer. */
const MAX_CODES = 64;
/** Per ring slot: bucket index, total, classes 1xx..5xx, disallowed. */
const STRIDE = 8;
const EPOCH = 0;
const TOTAL = 1;
const DISALLOWED = 7;

/** The busiest sources and the status codes of one generation (one window's worth of time). */
interface Generation {
  sources: TopK;
  /** Created on the first disallowed request only. */
  disallowed: TopK | undefined;
  codes: Map<number, number>;
}

/**
 * The sliding window of one Ingress: exact request counts in {@link BUCKETS} ring buckets, plus the
 * busiest sources and the status codes in two generations of one window each (so "recent" covers
 * the last one to two windows at bounded cost), plus the learned rate baseline.
 *
 * Compact on purpose, because a flood of new Ingresses creates one per line until the LRU bound
 * evicts them: one typed array for the ring, and the summaries only once traffic needs them.
 * Times are the request times of the log lines (bucketed on the epoch, so all Ingresses share
 * bucket boundaries); nothing here reads a clock.
 */
export class IngressWindow {
  readonly #bucketMs: number;
  readonly #windowMs: number;
  readonly #capacity: number;
  readonly #ring = new Float64Array(BUCKETS * STRIDE);
  /** Current generation first, previous second. */
  #gens: [Generation | undefined, Generation | undefined] = [undefined, undefined];
  #generationStart: number;
  #evictedGone = 0;
  /** Learned requests per bucket (EWMA); undefined until a bucket completed. */
  #ewma: number | undefined;
  /** Last bucket folded into the baseline. */
  #folded: number | undefined;
  readonly firstSeenMs: number;

  constructor(bucketMs: number, nowMs: number, limits: WindowLimits) {
    this.#bucketMs = bucketMs;
    this.#windowMs = bucketMs * BUCKETS;
    this.#capacity = limits.maxSources;
    this.firstSeenMs = nowMs;
    this.#generationStart = nowMs;
    for (let slot = 0; slot < BUCKETS; slot++) this.#ring[slot * STRIDE + EPOCH] = -1;
  }

  /** Source entries replaced in the summaries (for the evictions metric). */
  get evictedSources(): number {
    let n = this.#evictedGone;
    for (const g of this.#gens) n += (g?.sources.evicted ?? 0) + (g?.disallowed?.evicted ?? 0);
    return n;
  }

  /**
   * Counts one request at time `t` (ms). False when `t` falls in a bucket the ring has already
   * reused for a later time (older than the window): such a line is late and not counted.
   */
  record(t: number, status: number, source: string, verdict: SourceVerdict | undefined): boolean {
    const b = Math.floor(t / this.#bucketMs);
    const base = (b % BUCKETS) * STRIDE;
    const ring = this.#ring;
    const held = ring[base + EPOCH] as number;
    if (held > b) return false;
    if (held !== b) {
      ring.fill(0, base, base + STRIDE);
      ring[base + EPOCH] = b;
    }
    ring[base + TOTAL] = (ring[base + TOTAL] as number) + 1;
    const cls = Math.floor(status / 100);
    if (cls >= 1 && cls <= 5) ring[base + 1 + cls] = (ring[base + 1 + cls] as number) + 1;
    let g = this.#gens[0];
    if (!g) {
      g = { sources: new TopK(this.#capacity), disallowed: undefined, codes: new Map() };
      this.#gens[0] = g;
    }
    g.sources.add(source);
    if (verdict === 'disallowed') {
      ring[base + DISALLOWED] = (ring[base + DISALLOWED] as number) + 1;
      g.disallowed ??= new TopK(this.#capacity);
      g.disallowed.add(source);
    }
    const c = g.codes.get(status);
    if (c !== undefined) g.codes.set(status, c + 1);
    else if (g.codes.size < MAX_CODES) g.codes.set(status, 1);
    return true;
  }

  /** Exact counts of the buckets that make up the window ending at `nowMs`. */
  counts(nowMs: number): WindowCounts {
    const nowB = Math.floor(nowMs / this.#bucketMs);
    const out: WindowCounts = { requests: 0, classes: [0, 0, 0, 0, 0, 0], disallowed: 0 };
    const ring = this.#ring;
    for (let base = 0; base < BUCKETS * STRIDE; base += STRIDE) {
      const b = ring[base + EPOCH] as number;
      if (b < 0 || b > nowB || b <= nowB - BUCKETS) continue;
      out.requests += ring[base + TOTAL] as number;
      for (let c = 1; c <= 5; c++)
        out.classes[c] = (out.classes[c] as number) + (ring[base + 1 + c] as number);
      out.disallowed += ring[base + DISALLOWED] as number;
    }
    return out;
  }

  /** Requests in bucket `b`, 0 when the ring no longer (or never) held it. */
  #bucketRequests(b: number): number {
    const base = (b % BUCKETS) * STRIDE;
    return this.#ring[base + EPOCH] === b ? (this.#ring[base + TOTAL] as number) : 0;
  }

  /**
   * Starts a new generation of the source and status-code summaries once the current one is a
   * window old, dropping the generation before it. Called on every evaluation tick.
   */
  rotate(nowMs: number): void {
    if (nowMs - this.#generationStart < this.#windowMs) return;
    this.#generationStart = nowMs;
    const dropped = this.#gens[1];
    this.#evictedGone += (dropped?.sources.evicted ?? 0) + (dropped?.disallowed?.evicted ?? 0);
    this.#gens = [undefined, this.#gens[0]];
  }

  /**
   * Folds the buckets completed since the last call into the baseline (an EWMA of requests per
   * bucket, with weight `learning.alpha` for the newest). With `learn` false (the rate rule is
   * firing, or about to) the buckets are skipped, so a spike never becomes the new normal. Each
   * sample is also capped at `multiplier` × the baseline (but at least `floorPerBucket`): a spike
   * that ramps up slowly is not learned before it crosses the threshold, while a real step up in
   * traffic is still learned, by a bounded factor per bucket.
   */
  foldBaseline(nowMs: number, learning: BaselineLearning, learn: boolean): void {
    const last = Math.floor(nowMs / this.#bucketMs) - 1;
    if (this.#folded === undefined) {
      // The bucket in which the Ingress was first seen is partial: start learning after it.
      this.#folded = Math.floor(this.firstSeenMs / this.#bucketMs);
    }
    if (last <= this.#folded) return;
    const from = this.#folded + 1;
    this.#folded = last;
    if (!learn) return;
    const { alpha, multiplier, floorPerBucket } = learning;
    // Buckets older than the ring held no requests we still know of: fold them in closed form.
    const quietUntil = last - BUCKETS;
    let start = from;
    if (quietUntil >= from) {
      const n = quietUntil - from + 1;
      this.#ewma = this.#ewma === undefined ? 0 : this.#ewma * (1 - alpha) ** n;
      start = quietUntil + 1;
    }
    for (let b = start; b <= last; b++) {
      const x = this.#bucketRequests(b);
      if (this.#ewma === undefined) {
        this.#ewma = x;
        continue;
      }
      const sample = Math.min(x, Math.max(multiplier * this.#ewma, floorPerBucket));
      this.#ewma = alpha * sample + (1 - alpha) * this.#ewma;
    }
  }

  /** The learned requests per window, undefined before the first bucket completed. */
  baselinePerWindow(): number | undefined {
    return this.#ewma === undefined ? undefined : this.#ewma * BUCKETS;
  }

  /** The window for an alert: counts, time range, busiest sources and status codes. */
  report(nowMs: number, top: number, verdict?: (address: string) => SourceVerdict): WindowReport {
    const counts = this.counts(nowMs);
    const endB = Math.floor(nowMs / this.#bucketMs) + 1;
    const mark = (e: [string, number]): SourceCount => sourceCount(e[0], e[1], verdict);
    const gens = this.#gens.filter((g): g is Generation => g !== undefined);
    const codes = new Map<number, number>();
    for (const g of gens) for (const [k, v] of g.codes) codes.set(k, (codes.get(k) ?? 0) + v);
    const disallowed = gens.flatMap((g) => (g.disallowed ? [g.disallowed] : []));
    return {
      ...counts,
      startMs: (endB - BUCKETS) * this.#bucketMs,
      endMs: Math.min(nowMs, endB * this.#bucketMs),
      sources: topOf(
        gens.map((g) => g.sources),
        top,
      ).map(mark),
      disallowedSources: topOf(disallowed, top).map(mark),
      codes: [...codes].sort((a, b) => b[1] - a[1] || a[0] - b[0]),
    };
  }
}

/** A source in a report, marked allowed or not when the detection has an allow-list. */
export function sourceCount(
  address: string,
  requests: number,
  verdict: ((address: string) => SourceVerdict) | undefined,
): SourceCount {
  return verdict ? { address, requests, allowed: verdict(address) === 'allowed' } : { address, requests };
}

/** How the baseline learns: EWMA weight per bucket, and the cap on one sample. */
export interface BaselineLearning {
  alpha: number;
  multiplier: number;
  floorPerBucket: number;
}

/** Per-bucket EWMA weight for a half-life: the weight of a bucket halves every `halfLifeMs`. */
export function ewmaAlpha(bucketMs: number, halfLifeMs: number): number {
  return 1 - 0.5 ** (bucketMs / halfLifeMs);
}
