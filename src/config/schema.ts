/**
 * The operator's settings: one JSON Schema, with a description and a default per field. Flags,
 * environment variables and the config file are all checked against it by one ajv instance.
 * Defaults live here and nowhere else.
 */
export const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kubeconfig: {
      type: 'string',
      default: '',
      description:
        'Path to a kubeconfig. Empty: in-cluster config when running in a Pod, else $KUBECONFIG or ~/.kube/config.',
    },
    logLevel: {
      enum: ['error', 'warn', 'info', 'debug'],
      default: 'info',
      description: 'Lowest log level written.',
    },
    logFormat: {
      enum: ['auto', 'json', 'text'],
      default: 'auto',
      description:
        'Log format: json for log collectors, text for people; auto picks text on a terminal, json otherwise.',
    },
    metricsBindAddress: {
      type: 'string',
      default: ':8080',
      description:
        'host:port serving /metrics, /healthz and /readyz (port 0 picks a free port; "off" disables).',
    },
    workers: {
      type: 'integer',
      minimum: 1,
      maximum: 128,
      default: 32,
      description:
        'Alert writes in flight at once; a burst is latency-bound, so more in flight keeps pace with creators.',
    },
    alertBacklog: {
      type: 'integer',
      minimum: 1,
      default: 5000,
      description:
        'Objects waiting for their alerts at most; beyond it watches and lists are read no further until the backlog drains, so memory stays bounded in a burst or a catch-up (the API server keeps what is not read yet).',
    },
    alertBacklogMib: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: 8,
      description:
        "MiB of object JSON waiting for (or being turned into) alerts at most, the same hold-back as --alert-backlog counted in bytes: a flood of objects near etcd's 1.5 MiB limit cannot fill the heap.",
    },
    maxConnections: {
      type: 'integer',
      minimum: 2,
      maximum: 1024,
      default: 64,
      description:
        'Connections to the API server at most: with leader election the Lease keeps 1 of its own, the rest is the one shared pool, where each open watch holds one; start-up refuses fewer than the watches + workers + Lease (config/pool.ts).',
    },
    listPageSize: {
      type: 'integer',
      minimum: 10,
      maximum: 10000,
      default: 500,
      description: 'Objects per list page at most.',
    },
    listPageMib: {
      type: 'integer',
      minimum: 2,
      maximum: 256,
      default: 4,
      description:
        "MiB of one list page answer at most: a page that passes it is abandoned and asked again with fewer objects, and the next pages are sized from the bytes per object seen (objects near etcd's size limit are listed a few at a time).",
    },
    watchTimeoutSeconds: {
      type: 'integer',
      minimum: 10,
      default: 300,
      description: 'Server-side watch timeout; each watch picks a random value in [t, 2t).',
    },
    watchStallSeconds: {
      type: 'integer',
      minimum: 1,
      default: 120,
      description:
        'A watch silent this long (no event, no bookmark) is abandoned and resumed from its resourceVersion.',
    },
    requestTimeoutSeconds: {
      type: 'integer',
      minimum: 1,
      default: 30,
      description: 'Timeout of each non-watch request.',
    },
    backoffBaseMs: {
      type: 'integer',
      minimum: 1,
      default: 200,
      description: 'First retry delay after a failure.',
    },
    backoffMaxMs: {
      type: 'integer',
      minimum: 10,
      default: 30000,
      description: 'Cap of the exponential retry delay.',
    },
    watermarkOverlapSeconds: {
      type: 'integer',
      minimum: 0,
      default: 5,
      description:
        'Overlap re-checked below a persisted watermark (clock skew between API servers, slow validating webhooks).',
    },
    watermarkFlushSeconds: {
      type: 'integer',
      minimum: 1,
      default: 5,
      description: 'How often advanced watermarks are written to AuditDetection status.',
    },
    retentionSweepSeconds: {
      type: 'integer',
      minimum: 1,
      default: 300,
      description: "How often resolved AuditAlerts past their detection's retention.resolvedTTL are deleted.",
    },
    recentAlertsCacheSize: {
      type: 'integer',
      minimum: 0,
      default: 20000,
      description: 'Alerts remembered as existing, to skip idempotent re-creates on updates and relists.',
    },
    // RBAC enrichment (src/rbac/, README "Who can, and what the workload can do").
    rbacIndex: {
      type: 'boolean',
      default: true,
      description:
        "Watch Roles, ClusterRoles and their bindings to add whoCan and the workload service account's permissions (serviceaccount.* risks) to alerts.",
    },
    rbacIndexMaxEntries: {
      type: 'integer',
      minimum: 1000,
      default: 100000,
      description:
        'Entries the RBAC index holds at most (each object one, each rule one plus one per item of its lists, each subject one; about 190 bytes of heap each). Objects beyond it are left out, and alerts whose RBAC facts may therefore miss grants say so in a note; tripline_rbac_index_incomplete counts them.',
    },
    whoCanLimit: {
      type: 'integer',
      minimum: 0,
      maximum: 256,
      default: 5,
      description:
        'Most whoCan entries in one alert (most specific first: grants in the namespace, then people and teams). Five covers who usually answers; every entry is an object the API server decodes, validates and keeps in its watch cache for every alert, so the rest is counted in evidence.whoCanSummary and printed in full by kubectl tripline who-can ALERT.',
    },
    // Notification sinks (src/notify/, README "Notifications"). Secrets come from files, never from values.
    kubeEvents: {
      type: 'boolean',
      default: true,
      description:
        'Kubernetes Events: Warning AuditAlertRaised on the subject, Normal lifecycle Events on the AuditAlert.',
    },
    kubeEventsQps: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 10,
      description:
        'Kubernetes Events created per second at most (a burst of alerts queues its Events instead of doubling the API write load).',
    },
    kubeEventsBurst: {
      type: 'integer',
      minimum: 1,
      default: 100,
      description: 'Kubernetes Events created at once before kubeEventsQps applies.',
    },
    clusterName: {
      type: 'string',
      default: '',
      maxLength: 63,
      pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
      description:
        'Name of this cluster, carried by every alert (label tripline.dev/cluster) and notification (Alertmanager label cluster, webhook field cluster, Slack text, PolicyReport property), so one Alertmanager or channel can serve a fleet. A label value (63 characters at most). Empty: omitted everywhere.',
    },
    alertmanagerUrls: {
      type: 'string',
      default: '',
      description:
        'Comma-separated Alertmanager base URLs (e.g. http://alertmanager:9093); each gets every alert (v2 API). Empty: off.',
    },
    alertmanagerMinSeverity: {
      enum: ['Critical', 'High', 'Medium', 'Low', 'Info'],
      default: 'Info',
      description: 'Lowest severity sent to Alertmanager.',
    },
    alertmanagerTtlSeconds: {
      type: 'integer',
      minimum: 2,
      default: 900,
      description:
        'endsAt of a firing alert is now + this; Alertmanager resolves it by itself if the operator stops re-sending.',
    },
    alertmanagerResendSeconds: {
      type: 'integer',
      minimum: 1,
      default: 300,
      description: 'How often open alerts are re-sent to Alertmanager; must be below alertmanagerTtlSeconds.',
    },
    webhookUrl: {
      type: 'string',
      default: '',
      description: 'Generic webhook: JSON POSTs signed with X-Tripline-Signature. Empty: off.',
    },
    webhookSecretFile: {
      type: 'string',
      default: '',
      description:
        'File holding the webhook HMAC-SHA256 key (required with webhookUrl; re-read when it changes).',
    },
    webhookMinSeverity: {
      enum: ['Critical', 'High', 'Medium', 'Low', 'Info'],
      default: 'Info',
      description: 'Lowest severity sent to the webhook.',
    },
    slackWebhookUrlFile: {
      type: 'string',
      default: '',
      description:
        'File holding a Slack or Mattermost incoming-webhook URL (the URL is a secret). Empty: off.',
    },
    slackMinSeverity: {
      enum: ['Critical', 'High', 'Medium', 'Low', 'Info'],
      default: 'Info',
      description: 'Lowest severity sent to Slack.',
    },
    policyReports: {
      enum: ['auto', 'on', 'off'],
      default: 'auto',
      description:
        'PolicyReport results (wgpolicyk8s.io, else openreports.io) when the CRDs exist; on: also warn while they are missing.',
    },
    policyReportDiscoverySeconds: {
      type: 'integer',
      minimum: 1,
      default: 300,
      description:
        'How often the PolicyReport CRDs are looked for (they may be installed after the operator).',
    },
    policyReportMaxResults: {
      type: 'integer',
      minimum: 1,
      maximum: 2000,
      default: 500,
      description: 'Most results in one report (the most severe, then newest, are kept).',
    },
    notifyQueueSize: {
      type: 'integer',
      minimum: 1,
      default: 1000,
      description: 'Notifications waiting per sink; beyond it new ones are dropped and counted.',
    },
    notifyTimeoutSeconds: {
      type: 'integer',
      minimum: 1,
      default: 10,
      description: 'Timeout of one delivery to a sink.',
    },
    notifyMaxAttempts: {
      type: 'integer',
      minimum: 1,
      default: 8,
      description:
        'Deliveries tried per notification (backoffBaseMs..backoffMaxMs between tries) on 5xx, 429 and network errors.',
    },
    // Traffic anomalies from ingress access logs (src/traffic/, README "Traffic anomalies").
    trafficListenAddress: {
      type: 'string',
      default: 'off',
      description:
        'host:port of the access-log endpoint (POST /ingest, NDJSON or a JSON array, as Fluent Bit sends); "off" disables it.',
    },
    trafficTokenFile: {
      type: 'string',
      default: '',
      description:
        'File holding the bearer token the access-log endpoint requires (read at start). Required with trafficListenAddress: the endpoint never runs unauthenticated.',
    },
    trafficLogFiles: {
      type: 'string',
      default: '',
      description:
        'Comma-separated JSON access-log files to follow (appends, truncation, rotation by rename).',
    },
    trafficLogFromStart: {
      type: 'boolean',
      default: false,
      description:
        'Read what the log files already hold at start; by default they are followed from their end.',
    },
    trafficPollMs: {
      type: 'integer',
      minimum: 10,
      maximum: 60000,
      default: 250,
      description: 'How often the log files are checked for new lines, truncation and rotation.',
    },
    trafficMaxBodyBytes: {
      type: 'integer',
      minimum: 1024,
      maximum: 268435456,
      default: 4194304,
      description: 'Largest access-log request body, after gzip decompression; larger ones get 413.',
    },
    trafficMaxLineBytes: {
      type: 'integer',
      minimum: 256,
      maximum: 1048576,
      default: 16384,
      description: 'Longest access-log line; longer ones are dropped and counted as oversized.',
    },
    trafficMaxConnections: {
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 128,
      description:
        'Connections the access-log endpoint holds at once; beyond it new ones are closed (the shipper retries).',
    },
    trafficTrustedProxies: {
      type: 'string',
      default: '',
      description:
        'Comma-separated CIDR ranges of proxies in front of the ingress controller, for clientAddress: ForwardedFor: the client is the rightmost X-Forwarded-For address not in them. Empty: only the connecting peer is trusted (the rightmost entry is the client).',
    },
    trafficMaxAlertsPerMinute: {
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 20,
      description:
        'New traffic alerts one detection may create per minute (burst of the same size); beyond it one aggregate alert is raised instead and the rest are counted.',
    },
    trafficMaxIngresses: {
      type: 'integer',
      minimum: 1,
      maximum: 1000000,
      default: 5000,
      description:
        'Ingress windows kept per traffic detection; beyond it the least recently seen is evicted.',
    },
    trafficMaxSources: {
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 64,
      description:
        'Source addresses tracked per window summary and per open alert (top-k); beyond it the smallest count is replaced.',
    },
    leaderElect: {
      type: 'boolean',
      default: false,
      description:
        'Campaign for a coordination.k8s.io Lease; only the leader raises alerts (the install runs 2 replicas with this on).',
    },
    leaderElectionNamespace: {
      type: 'string',
      default: '',
      description: 'Namespace of the Lease. Empty: podNamespace, else tripline-system.',
    },
    leaderElectionId: {
      type: 'string',
      default: 'tripline-operator',
      minLength: 1,
      maxLength: 253,
      description: 'Name of the Lease.',
    },
    leaseDurationSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 15,
      description:
        "How long followers wait after the Lease's last renewal before taking over (client-go default).",
    },
    renewDeadlineSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 10,
      description:
        'How long the leader tries to renew before giving up; must be below leaseDurationSeconds. The Lease has a connection of its own and each attempt is aborted after half of it (at least one retry period), so a leader cut off from a stalled API server gives up in time.',
    },
    retryPeriodSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 2,
      description: 'Time between attempts to acquire or renew; must be below renewDeadlineSeconds.',
    },
    podName: {
      type: 'string',
      default: '',
      description: "This replica's Pod name (downward API); the Lease holder identity. Empty: the host name.",
    },
    podNamespace: {
      type: 'string',
      default: '',
      description: "This replica's namespace (downward API).",
    },
    // Request attribution (src/actors/, README "Who did it: attribution").
    admissionBindAddress: {
      type: 'string',
      default: 'off',
      description:
        'host:port of the observe-only admission webhook (HTTPS, POST /admission; never denies; needs admissionClientCaFile with admissionClientNames, or admissionTokenFile). "off" disables.',
    },
    auditBindAddress: {
      type: 'string',
      default: 'off',
      description:
        'host:port of the audit webhook receiver (HTTPS, POST /audit; needs auditClientCaFile with auditClientNames, or auditTokenFile). "off" disables.',
    },
    auditClientCaFile: {
      type: 'string',
      default: '',
      description:
        'PEM CA file: the audit receiver accepts only clients with a certificate it signed and named in auditClientNames.',
    },
    auditClientNames: {
      type: 'string',
      default: '',
      description:
        "Comma-separated names (certificate CN or DNS/URI SAN) the audit receiver accepts after the CA check: the API server's client certificate.",
    },
    auditTokenFile: {
      type: 'string',
      default: '',
      description:
        'File holding a bearer token the API server must send to the audit receiver (its kubeconfig token).',
    },
    admissionClientCaFile: {
      type: 'string',
      default: '',
      description:
        'PEM CA file: the admission webhook accepts only clients with a certificate it signed and named in admissionClientNames.',
    },
    admissionClientNames: {
      type: 'string',
      default: '',
      description:
        "Comma-separated names (certificate CN or DNS/URI SAN) the admission webhook accepts after the CA check: the API server's client certificate (AdmissionConfiguration kubeConfigFile).",
    },
    admissionTokenFile: {
      type: 'string',
      default: '',
      description:
        'File holding a bearer token the API server must send to the admission webhook (the token of its AdmissionConfiguration kubeConfigFile).',
    },
    attributionCertDir: {
      type: 'string',
      default: '',
      description:
        'Directory with tls.crt and tls.key for both receivers (e.g. a mounted cert-manager Secret). Empty: generated.',
    },
    attributionCertSecret: {
      type: 'string',
      default: 'tripline-webhook-certs',
      description:
        'Secret in podNamespace (else tripline-system) holding the generated CA and serving certificate.',
    },
    attributionCertHosts: {
      type: 'string',
      default: 'tripline-webhook.tripline-system.svc,tripline-webhook.tripline-system.svc.cluster.local',
      description: 'Comma-separated DNS names and IP addresses of the generated serving certificate.',
    },
    admissionWebhookConfiguration: {
      type: 'string',
      default: 'tripline-attribution',
      description:
        'ValidatingWebhookConfiguration whose caBundle is kept set to the generated CA. Empty: never patched.',
    },
    attributionWaitMs: {
      type: 'integer',
      minimum: 0,
      maximum: 1800,
      default: 1500,
      description:
        'Longest a new alert waits for its audit event before it is written; a later event completes spec.actor.',
    },
    attributionCacheSize: {
      type: 'integer',
      minimum: 100,
      default: 10000,
      description: 'Most objects, alerts and audit coordinates remembered by the attribution store.',
    },
    attributionTtlSeconds: {
      type: 'integer',
      minimum: 10,
      default: 300,
      description:
        'How long attribution records are kept, and how long a written alert may still be completed.',
    },
  },
} as const;

/** Settings after defaults and validation. */
export interface Settings {
  kubeconfig: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  logFormat: 'auto' | 'json' | 'text';
  metricsBindAddress: string;
  workers: number;
  alertBacklog: number;
  alertBacklogMib: number;
  maxConnections: number;
  listPageSize: number;
  listPageMib: number;
  watchTimeoutSeconds: number;
  watchStallSeconds: number;
  requestTimeoutSeconds: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  watermarkOverlapSeconds: number;
  watermarkFlushSeconds: number;
  retentionSweepSeconds: number;
  recentAlertsCacheSize: number;
  rbacIndex: boolean;
  rbacIndexMaxEntries: number;
  whoCanLimit: number;
  kubeEvents: boolean;
  kubeEventsQps: number;
  kubeEventsBurst: number;
  clusterName: string;
  alertmanagerUrls: string;
  alertmanagerMinSeverity: 'Critical' | 'High' | 'Medium' | 'Low' | 'Info';
  alertmanagerTtlSeconds: number;
  alertmanagerResendSeconds: number;
  webhookUrl: string;
  webhookSecretFile: string;
  webhookMinSeverity: 'Critical' | 'High' | 'Medium' | 'Low' | 'Info';
  slackWebhookUrlFile: string;
  slackMinSeverity: 'Critical' | 'High' | 'Medium' | 'Low' | 'Info';
  policyReports: 'auto' | 'on' | 'off';
  policyReportDiscoverySeconds: number;
  policyReportMaxResults: number;
  notifyQueueSize: number;
  notifyTimeoutSeconds: number;
  notifyMaxAttempts: number;
  trafficListenAddress: string;
  trafficTokenFile: string;
  trafficLogFiles: string;
  trafficLogFromStart: boolean;
  trafficPollMs: number;
  trafficMaxBodyBytes: number;
  trafficMaxLineBytes: number;
  trafficMaxConnections: number;
  trafficTrustedProxies: string;
  trafficMaxAlertsPerMinute: number;
  trafficMaxIngresses: number;
  trafficMaxSources: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  podName: string;
  podNamespace: string;
  admissionBindAddress: string;
  auditBindAddress: string;
  auditClientCaFile: string;
  auditClientNames: string;
  auditTokenFile: string;
  admissionClientCaFile: string;
  admissionClientNames: string;
  admissionTokenFile: string;
  attributionCertDir: string;
  attributionCertSecret: string;
  attributionCertHosts: string;
  admissionWebhookConfiguration: string;
  attributionWaitMs: number;
  attributionCacheSize: number;
  attributionTtlSeconds: number;
}

/** A setting's name. */
export type SettingName = keyof Settings;

/**
 * The settings of each feature, by the prefixes of their names; every other setting is core. The
 * groups of the config file's nested form (`traffic: { maxIngresses: … }`) and of the table in
 * docs/configuration.md. Flags and `TRIPLINE_*` names stay flat: one name per setting everywhere.
 */
export const SETTING_GROUPS = {
  attribution: {
    title: 'Attribution (src/actors, docs/attribution.md)',
    prefixes: ['attribution', 'admission', 'audit'],
  },
  rbac: { title: 'RBAC enrichment (src/rbac, docs/risks.md)', prefixes: ['rbac', 'whoCan'] },
  notify: {
    title: 'Notifications (src/notify, docs/notifications.md)',
    prefixes: ['notify', 'alertmanager', 'webhook', 'slack', 'policyReport', 'kubeEvents'],
  },
  traffic: { title: 'Traffic anomalies (src/traffic, docs/traffic.md)', prefixes: ['traffic'] },
} as const;

/** A group of settings: `core` or a feature's. */
export type SettingGroup = 'core' | keyof typeof SETTING_GROUPS;

type PrefixesOf<G extends keyof typeof SETTING_GROUPS> = (typeof SETTING_GROUPS)[G]['prefixes'][number];
/** The names of a group's settings. */
type NamesOf<G extends keyof typeof SETTING_GROUPS> = Extract<SettingName, `${PrefixesOf<G>}${string}`>;
/** The names of the core settings (no feature's prefix). */
type CoreName = Exclude<SettingName, NamesOf<keyof typeof SETTING_GROUPS>>;

/** The group a setting belongs to (the first whose prefix its name starts with; else core). */
export function groupOf(name: string): SettingGroup {
  for (const [group, g] of Object.entries(SETTING_GROUPS) as [
    keyof typeof SETTING_GROUPS,
    { prefixes: readonly string[] },
  ][])
    if (g.prefixes.some((p) => name.startsWith(p))) return group;
  return 'core';
}

/**
 * Where a setting sits in the config file's nested form: under its group, its name without the
 * group's name (`trafficMaxIngresses` → `traffic.maxIngresses`, `rbacIndex` → `rbac.index`,
 * `alertmanagerUrls` → `notify.alertmanagerUrls`); core settings under `core:` or at the top level.
 */
export function nestedKey(name: string): { group: SettingGroup; key: string } {
  const group = groupOf(name);
  const rest = name.slice(group.length);
  const stripped = name.startsWith(group) && /^[A-Z]/.test(rest);
  return { group, key: stripped ? rest.charAt(0).toLowerCase() + rest.slice(1) : name };
}

/**
 * What each feature is handed (`ctx.settings.<feature>` in src/features): its group's settings,
 * under the same names as the flags, plus the named core settings it reads. Action detections
 * read the receivers' settings (they are on when a receiver is).
 */
export const FEATURE_SLICES = {
  traffic: { groups: ['traffic'], core: ['clusterName'] },
  attribution: {
    groups: ['attribution'],
    core: ['podNamespace', 'workers', 'backoffBaseMs', 'backoffMaxMs'],
  },
  actions: { groups: ['attribution'], core: ['clusterName'] },
  rbac: { groups: ['rbac'], core: [] },
  notify: { groups: ['notify'], core: ['clusterName', 'backoffBaseMs', 'backoffMaxMs', 'podName'] },
} as const satisfies Record<
  string,
  { groups: readonly (keyof typeof SETTING_GROUPS)[]; core: readonly CoreName[] }
>;

type SliceOf<F extends keyof typeof FEATURE_SLICES> = Pick<
  Settings,
  NamesOf<(typeof FEATURE_SLICES)[F]['groups'][number]> | (typeof FEATURE_SLICES)[F]['core'][number]
>;

/** The settings each feature reads: a feature is handed its slice, so what it may read is in its signature. */
export type FeatureSettings = { [F in keyof typeof FEATURE_SLICES]: SliceOf<F> };

/** The settings nested by feature, as the features table hands them out: the core ones, and each feature's slice. */
export type SettingsByFeature = FeatureSettings & { core: Pick<Settings, CoreName> };

/** Nests flat settings by feature; each slice holds only its own settings (copies, so a feature cannot see another's). */
export function settingsByFeature(s: Settings): SettingsByFeature {
  const pick = <K extends SettingName>(names: readonly K[]): Pick<Settings, K> =>
    Object.fromEntries(names.map((n) => [n, s[n]])) as Pick<Settings, K>;
  const all = Object.keys(s) as SettingName[];
  const slice = (f: keyof typeof FEATURE_SLICES) => {
    const { groups, core } = FEATURE_SLICES[f];
    return pick([...all.filter((n) => (groups as readonly string[]).includes(groupOf(n))), ...core]);
  };
  return {
    core: pick(all.filter((n) => groupOf(n) === 'core') as CoreName[]),
    traffic: slice('traffic') as FeatureSettings['traffic'],
    attribution: slice('attribution') as FeatureSettings['attribution'],
    actions: slice('actions') as FeatureSettings['actions'],
    rbac: slice('rbac') as FeatureSettings['rbac'],
    notify: slice('notify') as FeatureSettings['notify'],
  };
}
