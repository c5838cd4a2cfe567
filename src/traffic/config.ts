/**
 * The operator settings of traffic ingestion, resolved once at start: the token file read, the
 * trusted proxies parsed, the bounds gathered.
 */
import { readFileSync } from 'node:fs';
import type { FeatureSettings } from '../config/schema.js';
import { type Cidr, parseCidr } from '../detections/address.js';
import type { EngineLimits } from './engine.js';

/** The operator settings of traffic ingestion, resolved. */
export interface TrafficConfig {
  /** `host:port` of the HTTP endpoint, or undefined when it is off. */
  listenAddress: string | undefined;
  /** Always set when listenAddress is: the endpoint never runs without it. */
  token: string | undefined;
  logFiles: string[];
  fromStart: boolean;
  pollMs: number;
  maxBodyBytes: number;
  maxLineBytes: number;
  maxConnections: number;
  maxAlertsPerMinute: number;
  limits: EngineLimits;
  /** `--cluster-name`, for the alerts' `tripline.dev/cluster` label; empty: none. */
  cluster: string;
}

function trustedProxies(list: string): Cidr[] {
  const out: Cidr[] = [];
  for (const raw of list
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)) {
    const c = parseCidr(raw);
    if (!c) throw new Error(`--traffic-trusted-proxies: "${raw}" is not a CIDR range or address`);
    out.push(c);
  }
  return out;
}

function readToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err: unknown) {
    throw new Error(`cannot read trafficTokenFile ${file}`, { cause: err });
  }
  if (!token) throw new Error(`trafficTokenFile ${file} is empty`);
  return token;
}

/**
 * The traffic settings, or undefined when no input is configured (no endpoint, no file): then the
 * operator does not even watch detections for traffic. The token file is read here, once.
 */
export function trafficConfig(s: FeatureSettings['traffic']): TrafficConfig | undefined {
  if (!trafficEnabled(s)) return undefined;
  const listenAddress = s.trafficListenAddress === 'off' ? undefined : s.trafficListenAddress;
  const logFiles = logFilesOf(s);
  // Fail closed: an endpoint anyone who reaches the port could feed would let them forge traffic.
  if (listenAddress && !s.trafficTokenFile)
    throw new Error(
      '--traffic-listen-address needs --traffic-token-file: the access-log endpoint does not run without authentication',
    );
  const token = s.trafficTokenFile ? readToken(s.trafficTokenFile) : undefined;
  return {
    listenAddress,
    token,
    logFiles,
    fromStart: s.trafficLogFromStart,
    pollMs: s.trafficPollMs,
    maxBodyBytes: s.trafficMaxBodyBytes,
    maxLineBytes: s.trafficMaxLineBytes,
    maxConnections: s.trafficMaxConnections,
    maxAlertsPerMinute: s.trafficMaxAlertsPerMinute,
    cluster: s.clusterName,
    limits: {
      maxIngresses: s.trafficMaxIngresses,
      maxSources: s.trafficMaxSources,
      trustedProxies: trustedProxies(s.trafficTrustedProxies),
    },
  };
}

/** Whether traffic ingestion has an input: the endpoint, or a log file to follow. */
export function trafficEnabled(
  s: Pick<FeatureSettings['traffic'], 'trafficListenAddress' | 'trafficLogFiles'>,
): boolean {
  return s.trafficListenAddress !== 'off' || logFilesOf(s).length > 0;
}

const logFilesOf = (s: Pick<FeatureSettings['traffic'], 'trafficLogFiles'>): string[] =>
  s.trafficLogFiles
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
