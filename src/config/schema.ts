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
    maxConnections: {
      type: 'integer',
      minimum: 2,
      maximum: 1024,
      default: 64,
      description: 'Size of the one connection pool to the API server; each open watch holds one connection.',
    },
    listPageSize: {
      type: 'integer',
      minimum: 10,
      maximum: 10000,
      default: 500,
      description: 'Objects per list page.',
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
      description: 'Overlap re-checked below a persisted watermark (clock skew between API servers).',
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
      description: 'How long the leader tries to renew before giving up; must be below leaseDurationSeconds.',
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
  },
} as const;

/** Settings after defaults and validation. */
export interface Settings {
  kubeconfig: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  logFormat: 'auto' | 'json' | 'text';
  metricsBindAddress: string;
  workers: number;
  maxConnections: number;
  listPageSize: number;
  watchTimeoutSeconds: number;
  watchStallSeconds: number;
  requestTimeoutSeconds: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  watermarkOverlapSeconds: number;
  watermarkFlushSeconds: number;
  retentionSweepSeconds: number;
  recentAlertsCacheSize: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  podName: string;
  podNamespace: string;
}
