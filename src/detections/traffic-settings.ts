import type { Severity } from '../api/constants.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import { parseDuration } from '../api/time.js';
import { AllowList, type Cidr, parseCidr } from './address.js';
import { TRAFFIC_EVENT } from './compile.js';
import { compileExceptions } from './exceptions.js';
import { globToRegExp } from './selectors.js';
import { type Step, validateTemplates } from './steps.js';

/** The event that makes an AuditDetection a traffic detection (defined with the other events). */
export { TRAFFIC_EVENT };

/** The spec.traffic block as generated from the CRD. */
export type TrafficSpec = NonNullable<AuditDetection['spec']['traffic']>;

/**
 * The CRD defaults of spec.traffic (crds/tripline.dev_auditdetections.yaml is the source; a unit
 * test fails when these drift from it). The API server applies them to stored objects; they are
 * repeated here only for detections read from files, as in tests.
 */
export const TRAFFIC_DEFAULTS = {
  window: '60s',
  clientAddress: 'RemoteAddr',
  topSources: 10,
  updateInterval: '30s',
  disallowedSource: { enabled: true, hold: '0s', minRequests: 1 },
  requestRate: {
    enabled: true,
    hold: '0s',
    maxRequests: 0,
    baseline: { enabled: true, multiplier: 5, minRequests: 100, halfLife: '10m', warmup: '15m' },
  },
  clientErrorRatio: { enabled: true, hold: '30s', ratio: 0.5, minRequests: 20 },
  serverErrorRatio: { enabled: true, hold: '30s', ratio: 0.2, minRequests: 20 },
} as const;

/** Buckets per window: the window slides in steps of window/12 (5 s for the default 60 s). */
export const BUCKETS = 12;

/** What every rule has. */
export interface RuleSettings {
  enabled: boolean;
  severity: Severity;
  holdMs: number;
  investigation: Step[];
  resolution: Step[];
}

/** A traffic detection, checked and prepared once per generation. */
export interface TrafficSettings {
  name: string;
  generation: number;
  source: AuditDetection;
  windowMs: number;
  bucketMs: number;
  clientAddress: 'RemoteAddr' | 'ForwardedFor';
  topSources: number;
  updateIntervalMs: number;
  /** The allowed ranges; undefined when none are set (the disallowed-source rule is then off). */
  allow: AllowList | undefined;
  disallowedSource: RuleSettings & { minRequests: number };
  requestRate: RuleSettings & {
    maxRequests: number;
    baseline: {
      enabled: boolean;
      multiplier: number;
      minRequests: number;
      halfLifeMs: number;
      warmupMs: number;
    };
  };
  clientErrorRatio: RuleSettings & { ratio: number; minRequests: number };
  serverErrorRatio: RuleSettings & { ratio: number; minRequests: number };
  /** False when match.namespaces or an exception leaves this Ingress out. */
  covers(namespace: string | undefined, ingress: string | undefined): boolean;
}

/** The outcome of {@link compileTraffic}. */
export type TrafficCompileResult = { ok: true; settings: TrafficSettings } | { ok: false; errors: string[] };

/** True for a detection that reads access logs rather than watching objects. */
export const isTrafficDetection = (d: AuditDetection): boolean =>
  (d.spec.events ?? []).includes(TRAFFIC_EVENT as never);

/** A Go duration in ms, or an error message naming the field. */
function duration(value: string, field: string, errors: string[]): number {
  const ms = parseDuration(value);
  if (ms === undefined) errors.push(`${field}: "${value}" is not a duration`);
  return ms ?? 0;
}

function ranges(list: readonly string[] | undefined, errors: string[]): Cidr[] {
  const out: Cidr[] = [];
  for (const [i, raw] of (list ?? []).entries()) {
    const c = parseCidr(raw);
    if (c) out.push(c);
    else
      errors.push(
        `spec.traffic.disallowedSource.allowedCIDRs[${i}]: "${raw}" is not a CIDR range or address`,
      );
  }
  return out;
}

type RuleSpec = {
  enabled?: boolean;
  severity?: Severity;
  hold?: string;
  investigation?: Step[];
  resolution?: Step[];
};

function rule(
  spec: RuleSpec | undefined,
  defaults: { enabled: boolean; hold: string },
  base: Severity,
  field: string,
  errors: string[],
): RuleSettings {
  const steps = [...(spec?.investigation ?? []), ...(spec?.resolution ?? [])];
  for (const e of validateTemplates(steps)) errors.push(`${field}: ${e}`);
  return {
    enabled: spec?.enabled ?? defaults.enabled,
    severity: spec?.severity ?? base,
    holdMs: duration(spec?.hold ?? defaults.hold, `${field}.hold`, errors),
    investigation: spec?.investigation ?? [],
    resolution: spec?.resolution ?? [],
  };
}

/** The namespace filter and exceptions of the detection, applied to an Ingress named in a log. */
function coverage(d: AuditDetection): TrafficSettings['covers'] {
  const include = (d.spec.match?.namespaces?.include ?? []).map(globToRegExp);
  const exclude = (d.spec.match?.namespaces?.exclude ?? []).map(globToRegExp);
  const exceptions = compileExceptions(d.spec.exceptions);
  if (include.length === 0 && exclude.length === 0 && (d.spec.exceptions ?? []).length === 0)
    return () => true;
  return (namespace, ingress) => {
    const ns = namespace ?? '';
    if (include.length > 0 && !include.some((r) => r.test(ns))) return false;
    if (exclude.some((r) => r.test(ns))) return false;
    // Exceptions see the Ingress by namespace and name only: a log line carries nothing else.
    const obj: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { namespace: ns, name: ingress ?? '' },
    };
    return exceptions.match(obj) === undefined;
  };
}

/**
 * Checks a traffic detection and prepares what the windows need: durations in ms, the allow-list
 * parsed, rule settings with their defaults, step templates validated. A detection that does not
 * compile is logged and left out; the others keep running.
 */
export function compileTraffic(d: AuditDetection): TrafficCompileResult {
  const errors: string[] = [];
  const t: TrafficSpec = d.spec.traffic ?? {};
  const D = TRAFFIC_DEFAULTS;
  const base = d.spec.severity as Severity;
  const windowMs = duration(t.window ?? D.window, 'spec.traffic.window', errors);
  const allowed = ranges(t.disallowedSource?.allowedCIDRs, errors);
  const rr = t.requestRate;
  const bl = rr?.baseline;
  const p = 'spec.traffic';
  const settings: TrafficSettings = {
    name: d.metadata?.name ?? '',
    generation: d.metadata?.generation ?? 0,
    source: d,
    windowMs,
    bucketMs: Math.max(1, Math.floor(windowMs / BUCKETS)),
    clientAddress: t.clientAddress ?? D.clientAddress,
    topSources: t.topSources ?? D.topSources,
    updateIntervalMs: duration(t.updateInterval ?? D.updateInterval, `${p}.updateInterval`, errors),
    allow: allowed.length > 0 ? new AllowList(allowed) : undefined,
    disallowedSource: {
      ...rule(t.disallowedSource, D.disallowedSource, base, `${p}.disallowedSource`, errors),
      minRequests: t.disallowedSource?.minRequests ?? D.disallowedSource.minRequests,
    },
    requestRate: {
      ...rule(rr, D.requestRate, base, `${p}.requestRate`, errors),
      maxRequests: rr?.maxRequests ?? D.requestRate.maxRequests,
      baseline: {
        enabled: bl?.enabled ?? D.requestRate.baseline.enabled,
        multiplier: bl?.multiplier ?? D.requestRate.baseline.multiplier,
        minRequests: bl?.minRequests ?? D.requestRate.baseline.minRequests,
        halfLifeMs: duration(
          bl?.halfLife ?? D.requestRate.baseline.halfLife,
          `${p}.requestRate.baseline.halfLife`,
          errors,
        ),
        warmupMs: duration(
          bl?.warmup ?? D.requestRate.baseline.warmup,
          `${p}.requestRate.baseline.warmup`,
          errors,
        ),
      },
    },
    clientErrorRatio: {
      ...rule(t.clientErrorRatio, D.clientErrorRatio, base, `${p}.clientErrorRatio`, errors),
      ratio: t.clientErrorRatio?.ratio ?? D.clientErrorRatio.ratio,
      minRequests: t.clientErrorRatio?.minRequests ?? D.clientErrorRatio.minRequests,
    },
    serverErrorRatio: {
      ...rule(t.serverErrorRatio, D.serverErrorRatio, base, `${p}.serverErrorRatio`, errors),
      ratio: t.serverErrorRatio?.ratio ?? D.serverErrorRatio.ratio,
      minRequests: t.serverErrorRatio?.minRequests ?? D.serverErrorRatio.minRequests,
    },
    covers: coverage(d),
  };
  if (windowMs < BUCKETS) errors.push(`${p}.window: shorter than ${BUCKETS} ms`);
  if (settings.requestRate.baseline.halfLifeMs <= 0)
    errors.push(`${p}.requestRate.baseline.halfLife: must be above 0`);
  errors.push(...validateTemplates([...(d.spec.investigation ?? []), ...(d.spec.resolution ?? [])]));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings };
}
