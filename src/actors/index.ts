/**
 * Request attribution (DESIGN §4): who made the change an alert is about, beyond managedFields.
 * An observe-only admission webhook and an audit webhook receiver, both over TLS, feed one bounded
 * store; an enricher reads it before each alert is written, a completer patches `spec.actor` once
 * when audit facts arrive later, and the lifecycle controller asks it who moved an alert's state.
 */
import type { Enricher } from '../alerts/enrich.js';
import { ENRICH_TIMEOUT_MS } from '../alerts/enrich.js';
import type { FeatureSettings } from '../config/schema.js';

/** The settings this feature reads. */
type AttributionSettings = FeatureSettings['attribution'];

import type { KubeApi } from '../kube/api.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../runtime/clock.js';
import { readCertDir } from './cert-dir.js';
import { GeneratedCerts } from './cert-secret.js';
import type { KeyPair } from './certs.js';
import { ActorCompleter } from './completer.js';
import { ENDPOINTS, endpointOf } from './endpoints.js';
import { ActorEnricher } from './enricher.js';
import { type ActionIntake, NO_ACTIONS, type RecordCounter } from './handlers.js';
import { AttributionStore } from './store.js';
import { type RunningEndpoint, startTlsEndpoint, type TlsEndpoint } from './tls-server.js';

/** What the rest of the operator uses. */
export interface Attribution {
  /** The actor enricher, or none when both webhooks are off. */
  enrichers: Enricher[];
  /** Who moved `alert` to state `to` (at or after `since`), as the admission webhook saw it. */
  changedBy(alert: string, to: string, since?: Date): string | undefined;
  /** Who created the object with this uid, as the admission webhook saw it; undefined when off. */
  creatorOf?: (uid: string) => { username: string; groups: string[] } | undefined;
  /**
   * True once the receivers have had a serving certificate (from then on a failed renewal keeps
   * the last one): before that every handshake fails, so the replica must not be Ready for the
   * webhook Service yet.
   */
  ready(): boolean;
  stop(): Promise<void>;
}

/** What attribution needs from the operator. */
export interface AttributionDeps {
  client: Pick<KubeApi, 'request'>;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Where action requests go (src/actions/intake.ts); none: every review is attribution's. */
  actions?: ActionIntake;
}

/** Where the serving certificate comes from: a mounted directory (cert-manager) or generated. */
interface CertSource {
  load(): Promise<KeyPair>;
  /** How often to look again (renewals). */
  refreshMs: number;
}

const CERT_SOURCES: ReadonlyArray<{
  id: string;
  applies(s: AttributionSettings): boolean;
  create(s: AttributionSettings, d: AttributionDeps): CertSource;
}> = [
  {
    id: 'directory',
    applies: (s) => s.attributionCertDir !== '',
    create: (s) => ({ load: () => readCertDir(s.attributionCertDir), refreshMs: 60_000 }),
  },
  {
    id: 'generated',
    applies: () => true,
    create: (s, d) => {
      const certs = new GeneratedCerts(d, {
        namespace: s.podNamespace || 'tripline-system',
        secret: s.attributionCertSecret,
        hosts: s.attributionCertHosts
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
        webhookConfiguration: s.admissionWebhookConfiguration,
      });
      return { load: async () => (await certs.ensure()).serving, refreshMs: 3_600_000 };
    },
  },
];

const DISABLED: Attribution = {
  enrichers: [],
  changedBy: () => undefined,
  ready: () => true,
  stop: async () => {},
};

/** Starts the enabled receivers (listening at once) and returns the enricher and lookups. */
export async function startAttribution(
  settings: AttributionSettings,
  deps: AttributionDeps,
): Promise<Attribution> {
  const specs = ENDPOINTS.filter((e) => e.bind(settings) !== 'off');
  if (!attributionEnabled(settings)) return DISABLED;
  const log = deps.log.child({ component: 'attribution' });
  const store = new AttributionStore(
    { maxEntries: settings.attributionCacheSize, ttlMs: settings.attributionTtlSeconds * 1000 },
    deps.clock,
  );
  const m = deps.metrics;
  const count: RecordCounter = (source, outcome, n = 1) => m.actorRecords.inc({ source, outcome }, n);
  const ctx = { store, clock: deps.clock, count, actions: deps.actions ?? NO_ACTIONS };
  const endpoints = await Promise.all(specs.map((s) => endpointOf(s, settings, ctx, m)));
  const running = await listenAll(endpoints, log);
  for (const [i, r] of running.entries())
    log.info('Listening for attribution', { endpoint: specs[i]?.name, port: r.port });
  // The last entry applies always, so find() cannot miss.
  const source = (CERT_SOURCES.find((c) => c.applies(settings)) as (typeof CERT_SOURCES)[number]).create(
    settings,
    { ...deps, log },
  );
  const certs = keepCertificate(source, running, log, settings);
  const completer = new ActorCompleter(
    {
      client: deps.client,
      store,
      clock: deps.clock,
      log,
      onOutcome: (outcome) => m.actorCompletions.inc({ outcome }),
    },
    {
      ttlMs: settings.attributionTtlSeconds * 1000,
      maxPending: settings.attributionCacheSize,
      retryMs: 1000,
      maxAttempts: 10,
    },
  );
  const enricher = new ActorEnricher(store, completer, deps.clock, {
    auditEnabled: specs.some((s) => s.name === 'audit'),
    // Below the enricher timeout, so a wait that runs out still leaves the admission facts in the alert.
    waitMs: Math.min(settings.attributionWaitMs, ENRICH_TIMEOUT_MS - 200),
    maxWaiting: Math.max(1, Math.floor(settings.workers / 4)),
    freshMs: settings.attributionTtlSeconds * 1000,
  });
  return {
    enrichers: [enricher],
    creatorOf: specs.some((s) => s.name === 'admission')
      ? (uid) => {
          const created = store.admission(uid).find((r) => r.operation === 'CREATE');
          return created && { username: created.user.username, groups: created.user.groups };
        }
      : undefined,
    ready: () => certs.serving(),
    changedBy: (alert, to, since) => {
      const after = since?.getTime() ?? Number.NEGATIVE_INFINITY;
      return store
        .statusChanges(alert)
        .filter((c) => c.to === to && c.at >= after)
        .at(-1)?.user.username;
    },
    stop: async () => {
      await certs.stop();
      await completer.stop();
      await Promise.all(running.map((r) => r.close()));
    },
  };
}

/** Opens every listener, or none: a bind failure closes those already open and fails the start. */
async function listenAll(endpoints: TlsEndpoint[], log: Logger): Promise<RunningEndpoint[]> {
  const running: RunningEndpoint[] = [];
  try {
    for (const ep of endpoints) running.push(await startTlsEndpoint(ep, log));
  } catch (err: unknown) {
    await Promise.all(running.map((r) => r.close()));
    throw new Error('listening for attribution', { cause: err });
  }
  return running;
}

/**
 * Obtains the serving certificate and keeps it current: at once, then every `refreshMs` (renewals,
 * another replica's rotation, cert-manager's re-issue); after a failure, again with capped backoff.
 * Until the first success, handshakes fail and the API server ignores the webhook.
 */
function keepCertificate(
  source: CertSource,
  endpoints: RunningEndpoint[],
  log: Logger,
  s: AttributionSettings,
): { serving(): boolean; stop(): Promise<void> } {
  let current = '';
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    try {
      const pair = await source.load();
      if (pair.cert !== current) {
        for (const ep of endpoints) ep.setCertificate(pair);
        log.info(current ? 'Reloaded webhook certificate' : 'Loaded webhook certificate');
        current = pair.cert;
      }
      failures = 0;
    } catch (err: unknown) {
      failures++;
      log.warn('Could not obtain the webhook certificate; alerts carry managedFields only until it works', {
        err,
      });
    }
    const delay =
      failures === 0 ? source.refreshMs : Math.min(s.backoffBaseMs * 2 ** failures, s.backoffMaxMs);
    if (!stopped) timer = setTimeout(() => (inFlight = tick()), delay);
  };
  inFlight = tick();
  return {
    serving: () => current !== '',
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

/** Attribution is on when one of its receivers (admission, audit) listens. */
export function attributionEnabled(settings: AttributionSettings): boolean {
  return ENDPOINTS.some((e) => e.bind(settings) !== 'off');
}
