/**
 * The attribution receivers, wired by table: where each listens, how the API server authenticates
 * to it, how much it reads, and what it does with a body.
 */
import { readFile } from 'node:fs/promises';
import { flagName, SettingsError } from '../config/load.js';
import type { FeatureSettings } from '../config/schema.js';

/** The settings this feature reads. */
type AttributionSettings = FeatureSettings['attribution'];

import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../runtime/clock.js';
import { parseClientNames } from './client-identity.js';
import { type ActionIntake, admissionHandler, auditHandler, type RecordCounter } from './handlers.js';
import type { AttributionStore } from './store.js';
import type { Reply, TlsEndpoint } from './tls-server.js';

/** What the handlers write to. */
export interface EndpointContext {
  store: AttributionStore;
  clock: Clock;
  count: RecordCounter;
  /** The action detections' intake (src/actions/intake.ts). */
  actions: ActionIntake;
}

/** One receiver: where it listens, how callers authenticate, what it does with a body. */
export interface EndpointSpec {
  name: 'admission' | 'audit';
  path: string;
  maxBodyBytes: number;
  /** Body bytes held at once (a few requests of the largest size). */
  maxInFlightBytes: number;
  /** Flag names, for errors that tell the user what to set. */
  flags: { bind: string; ca: string; names: string; token: string };
  bind(s: AttributionSettings): string;
  clientCaFile(s: AttributionSettings): string;
  clientNames(s: AttributionSettings): string;
  tokenFile(s: AttributionSettings): string;
  handler(c: EndpointContext): (body: unknown) => Reply;
}

/**
 * The settings of a receiver, named after it (`auditBindAddress`, `auditClientCaFile`,
 * `auditClientNames`, `auditTokenFile`), and their flags.
 */
function receiverSettings(
  name: EndpointSpec['name'],
): Pick<EndpointSpec, 'flags' | 'bind' | 'clientCaFile' | 'clientNames' | 'tokenFile'> {
  const key = {
    bind: `${name}BindAddress`,
    ca: `${name}ClientCaFile`,
    names: `${name}ClientNames`,
    token: `${name}TokenFile`,
  } as const;
  return {
    flags: {
      bind: flagName(key.bind),
      ca: flagName(key.ca),
      names: flagName(key.names),
      token: flagName(key.token),
    },
    bind: (s) => s[key.bind],
    clientCaFile: (s) => s[key.ca],
    clientNames: (s) => s[key.names],
    tokenFile: (s) => s[key.token],
  };
}

const MiB = 1024 * 1024;
/**
 * The receivers, wired by table. Both can raise, change or suppress alerts (a forged `userInfo`
 * makes a `users` exception match), so neither starts without client authentication.
 */
export const ENDPOINTS: readonly EndpointSpec[] = [
  {
    name: 'admission',
    path: '/admission',
    // kube-apiserver refuses request bodies over 3 MiB and etcd objects over 1.5 MiB, so a review
    // (object and oldObject of a watched kind, plus a small envelope) fits; a larger one is
    // answered 413 and ignored by failurePolicy (the alert keeps managedFields attribution).
    maxBodyBytes: 3 * MiB,
    maxInFlightBytes: 12 * MiB,
    ...receiverSettings('admission'),
    handler: (c) => admissionHandler(c.store, c.clock, c.count, c.actions),
  },
  {
    name: 'audit',
    path: '/audit',
    // Metadata-level batches of 400 events are ~1 MiB; kube-apiserver's truncating backend
    // (--audit-webhook-truncate-enabled) keeps any batch under its default 10 MiB.
    maxBodyBytes: 10 * MiB,
    maxInFlightBytes: 20 * MiB,
    ...receiverSettings('audit'),
    handler: (c) => auditHandler(c.store, c.count, c.actions),
  },
];

/** The TLS endpoint of a receiver; fails the start (SettingsError) when its client authentication is missing. */
export async function endpointOf(
  spec: EndpointSpec,
  s: AttributionSettings,
  ctx: EndpointContext,
  m: Metrics,
): Promise<TlsEndpoint> {
  const caFile = spec.clientCaFile(s);
  const tokenFile = spec.tokenFile(s);
  const names = parseClientNames(spec.clientNames(s));
  checkAuthSettings(spec, caFile, names, tokenFile);
  const ep: TlsEndpoint = {
    name: spec.name,
    bind: spec.bind(s),
    path: spec.path,
    maxBodyBytes: spec.maxBodyBytes,
    maxInFlightBytes: spec.maxInFlightBytes,
    handle: spec.handler(ctx),
    onRejected: (reason) => m.actorRejected.inc({ endpoint: spec.name, reason }),
  };
  if (caFile) {
    ep.clientCa = await readSetting(caFile, `${spec.name} client CA`);
    ep.clientNames = names;
  }
  if (tokenFile) ep.token = (await readSetting(tokenFile, `${spec.name} token`)).trim();
  if (ep.token === '') throw new SettingsError(`${spec.flags.token}: the file ${tokenFile} is empty`);
  return ep;
}

/**
 * Fails the start of a receiver anyone could post to: anyone who reaches it could forge who made a
 * change (and so suppress alerts), or hold bodies open. A CA alone is not enough: the cluster CA
 * also signs kubelets and users, so the API server's certificate name must be pinned too.
 */
function checkAuthSettings(spec: EndpointSpec, caFile: string, names: string[], tokenFile: string): void {
  const f = spec.flags;
  if (caFile && names.length === 0) {
    throw new SettingsError(
      `${f.ca} needs ${f.names}: the CA may also sign kubelets and users, so name the API server's client certificate (its CN or a DNS/URI SAN)`,
    );
  }
  if (!caFile && names.length > 0) throw new SettingsError(`${f.names} needs ${f.ca}`);
  if (!caFile && !tokenFile) {
    throw new SettingsError(
      `${f.bind} needs client authentication: set ${f.ca} and ${f.names} (mutual TLS with the API server's client certificate) or ${f.token}; without it anyone who can reach the ${spec.name} receiver could forge attribution`,
    );
  }
}

async function readSetting(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err: unknown) {
    throw new SettingsError(`cannot read the ${what} file ${file}`, { cause: err });
  }
}
