/**
 * The anomaly rules, as data: each one says which requests it is about, when its condition holds
 * over a window, and how to say so in one line. Thresholds come from the detection
 * (spec.traffic); nothing here keeps state or reads a clock.
 */

import type { SourceVerdict } from '../detections/address.js';
import type { RuleSettings, TrafficSettings } from '../detections/traffic-settings.js';
import type { WindowCounts } from './window.js';

/** Rule ids, as they appear in alert labels, names and `{{traffic.rule}}`. */
export const RULE_IDS = [
  'disallowed-source',
  'request-rate',
  'client-error-ratio',
  'server-error-ratio',
] as const;
/** One of {@link RULE_IDS}. */
export type RuleId = (typeof RULE_IDS)[number];

/** What a rule sees of a window. */
export interface WindowView extends WindowCounts {
  /** Requests per window the learned baseline expects; undefined while warming up or disabled. */
  baseline: number | undefined;
}

/** The facts of a condition that holds: how many requests it is about, against which threshold. */
export interface Finding {
  /** Requests in the window the rule is about (disallowed, 4xx, 5xx, or all). */
  matched: number;
  /** `matched / requests` for the ratio rules. */
  ratio?: number;
  /** For request-rate: which threshold was crossed. */
  trigger?: 'absolute' | 'baseline';
  /** The thresholds that applied, for evidence. */
  threshold: Record<string, number | string | string[]>;
  /** One sentence: what was seen, against what. */
  reason: string;
}

/** One rule. */
export interface RuleDef {
  id: RuleId;
  /** Its settings in a compiled detection. */
  settings(s: TrafficSettings): RuleSettings;
  /** Whether one request counts for the rule (for the running totals of an open alert). */
  matches(status: number, verdict: SourceVerdict | undefined): boolean;
  /** The finding when the condition holds over the window, else undefined. */
  evaluate(w: WindowView, s: TrafficSettings): Finding | undefined;
  /** The alert summary, with the Ingress as `where`. */
  summary(where: string, f: Finding, window: string): string;
}

const pct = (r: number): string => `${Math.round(r * 1000) / 10}%`;
const round = (n: number): number => Math.round(n * 10) / 10;

function ratioRule(
  id: 'client-error-ratio' | 'server-error-ratio',
  cls: 4 | 5,
  pick: (s: TrafficSettings) => TrafficSettings['clientErrorRatio'],
): RuleDef {
  const label = `${cls}xx`;
  return {
    id,
    settings: pick,
    matches: (status) => Math.floor(status / 100) === cls,
    evaluate(w, s) {
      const r = pick(s);
      const matched = w.classes[cls];
      if (w.requests < r.minRequests || w.requests === 0) return undefined;
      const ratio = matched / w.requests;
      if (ratio < r.ratio) return undefined;
      return {
        matched,
        ratio,
        threshold: { ratio: r.ratio, minRequests: r.minRequests, hold: `${r.holdMs / 1000}s` },
        reason: `${matched} of ${w.requests} requests (${pct(ratio)}) were answered ${label}; the threshold is ${pct(r.ratio)} of at least ${r.minRequests} requests`,
      };
    },
    summary: (where, f, window) =>
      `${label} burst on Ingress ${where}: ${pct(f.ratio ?? 0)} of requests answered ${label} within ${window}`,
  };
}

/** Every rule, in evaluation order. */
export const RULES: readonly RuleDef[] = [
  {
    id: 'disallowed-source',
    settings: (s) => s.disallowedSource,
    matches: (_status, verdict) => verdict === 'disallowed',
    evaluate(w, s) {
      const r = s.disallowedSource;
      if (!s.allow || w.disallowed < r.minRequests) return undefined;
      return {
        matched: w.disallowed,
        threshold: {
          allowedCIDRs: s.allow.ranges.map((c) => c.text),
          minRequests: r.minRequests,
          hold: `${r.holdMs / 1000}s`,
        },
        reason: `${w.disallowed} of ${w.requests} requests came from addresses outside the allowed ranges (${s.allow.ranges.map((c) => c.text).join(', ')})`,
      };
    },
    summary: (where, f, window) =>
      `Requests from outside the allowed source ranges reached Ingress ${where}: ${f.matched} within ${window}`,
  },
  {
    id: 'request-rate',
    settings: (s) => s.requestRate,
    matches: () => true,
    evaluate(w, s): Finding | undefined {
      const r = s.requestRate;
      const hold = `${r.holdMs / 1000}s`;
      if (r.maxRequests > 0 && w.requests > r.maxRequests) {
        return {
          matched: w.requests,
          trigger: 'absolute',
          threshold: { maxRequests: r.maxRequests, hold },
          reason: `${w.requests} requests in one window, above the limit of ${r.maxRequests}`,
        };
      }
      const b = r.baseline;
      if (!b.enabled || w.baseline === undefined || w.requests < b.minRequests) return undefined;
      if (w.requests <= b.multiplier * w.baseline) return undefined;
      return {
        matched: w.requests,
        trigger: 'baseline',
        threshold: {
          multiplier: b.multiplier,
          minRequests: b.minRequests,
          baseline: round(w.baseline),
          hold,
        },
        reason: `${w.requests} requests in one window, more than ${b.multiplier}× the learned baseline of ${round(w.baseline)}`,
      };
    },
    summary: (where, f, window) =>
      `Request-rate spike on Ingress ${where}: ${f.matched} requests within ${window} (${f.trigger === 'absolute' ? 'above the limit' : 'against the learned baseline'})`,
  },
  ratioRule('client-error-ratio', 4, (s) => s.clientErrorRatio),
  ratioRule('server-error-ratio', 5, (s) => s.serverErrorRatio),
];

/** What a rule's hold logic decided at one evaluation. */
export type HoldOutcome = 'fire' | 'clear' | undefined;

/** The per-Ingress state of one rule's hold logic. */
export interface HoldState {
  firing: boolean;
  /** When the condition started holding (while not yet firing). */
  since?: number;
  /** When the condition stopped holding (while still firing). */
  clearSince?: number;
}

/**
 * The hold logic shared by every rule, as Prometheus's `for:`: the condition must hold for
 * `holdMs` before the rule fires, and stay false for `holdMs` before it clears (so a ratio that
 * hovers around its threshold does not fire and clear at every evaluation).
 */
export function stepHold(state: HoldState, holds: boolean, nowMs: number, holdMs: number): HoldOutcome {
  if (holds) {
    state.clearSince = undefined;
    if (state.firing) return undefined;
    state.since ??= nowMs;
    if (nowMs - state.since < holdMs) return undefined;
    state.firing = true;
    state.since = undefined;
    return 'fire';
  }
  state.since = undefined;
  if (!state.firing) return undefined;
  state.clearSince ??= nowMs;
  if (nowMs - state.clearSince < holdMs) return undefined;
  state.firing = false;
  state.clearSince = undefined;
  return 'clear';
}
