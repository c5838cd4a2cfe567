import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric the operator exports, in one registry (documented in docs/configuration.md, Metrics). */
export interface Metrics {
  registry: Registry;
  alertsRaised: Counter<'detection' | 'severity'>;
  alertCreates: Counter<'detection' | 'outcome'>;
  alertWriteErrors: Counter<'reason'>;
  suppressed: Counter<'detection'>;
  detectionLatency: Histogram<'detection'>;
  watchRestarts: Counter<'resource' | 'reason'>;
  watchRelists: Counter<'resource'>;
  backlogFull: Counter;
  queueDepth: Gauge<'queue'>;
  terminalErrors: Counter<'queue'>;
  ruleFailures: Counter<'rule'>;
  leader: Gauge;
  detectionsReady: Gauge<'state'>;
  httpConnectionsOpened: Gauge;
  httpRequests: Gauge;
  rbacIndexObjects: Gauge<'kind'>;
  rbacIndexSynced: Gauge;
  notificationsSent: Counter<'sink'>;
  notificationsFailed: Counter<'sink' | 'reason'>;
  notificationRetries: Counter<'sink'>;
  notifyQueueDepth: Gauge<'sink'>;
  openAlerts: Gauge<'severity'>;
  trafficLines: Counter<'input' | 'result'>;
  trafficHttpRequests: Counter<'code'>;
  trafficWindows: Gauge;
  trafficAlertsTracked: Gauge;
  trafficEvictions: Counter<'what'>;
  trafficAlerts: Counter<'detection' | 'rule' | 'action'>;
  trafficForwardedFallbacks: Counter;
  actorRecords: Counter<'source' | 'outcome'>;
  actorRejected: Counter<'endpoint' | 'reason'>;
  actorCompletions: Counter<'outcome'>;
  actionEvents: Counter<'event' | 'outcome'>;
  actionAlerts: Counter<'detection' | 'event' | 'outcome'>;
}

/** Creates the registry and the metrics (with Node process metrics). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tripline_' });
  const r = [registry];
  return {
    registry,
    alertsRaised: new Counter({
      name: 'tripline_alerts_raised_total',
      help: 'AuditAlerts created, by detection and severity.',
      labelNames: ['detection', 'severity'],
      registers: r,
    }),
    alertCreates: new Counter({
      name: 'tripline_alert_creates_total',
      help: 'AuditAlert create requests answered, by detection and outcome: created, exists (409: raised before, e.g. re-checked after a restart).',
      labelNames: ['detection', 'outcome'],
      registers: r,
    }),
    alertWriteErrors: new Counter({
      name: 'tripline_alert_write_errors_total',
      help: 'Failed AuditAlert writes (retried), by reason: forbidden, throttled, server, network, other.',
      labelNames: ['reason'],
      registers: r,
    }),
    suppressed: new Counter({
      name: 'tripline_suppressed_total',
      help: 'New objects an exception of the detection suppressed (no alert raised), by detection.',
      labelNames: ['detection'],
      registers: r,
    }),
    detectionLatency: new Histogram({
      name: 'tripline_detection_latency_seconds',
      help: 'Time from the subject creationTimestamp to its AuditAlert being written (1 s resolution at the source).',
      labelNames: ['detection'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: r,
    }),
    watchRestarts: new Counter({
      name: 'tripline_watch_restarts_total',
      help: 'Watch streams restarted, by resource and reason: closed, stalled, error, gone.',
      labelNames: ['resource', 'reason'],
      registers: r,
    }),
    watchRelists: new Counter({
      name: 'tripline_watch_relists_total',
      help: 'Complete (paginated) lists of a watched resource, the first one included.',
      labelNames: ['resource'],
      registers: r,
    }),
    backlogFull: new Counter({
      name: 'tripline_backlog_full_total',
      help: 'Times a watch or list of a watched resource was held back because the alert backlog was full (--alert-backlog).',
      registers: r,
    }),
    leader: new Gauge({
      name: 'tripline_leader',
      help: '1 while this replica holds the leader Lease (or runs without leader election), else 0.',
      registers: r,
    }),
    queueDepth: new Gauge({
      name: 'tripline_queue_depth',
      help: 'Keys with pending work, by queue.',
      labelNames: ['queue'],
      registers: r,
    }),
    terminalErrors: new Counter({
      name: 'tripline_terminal_errors_total',
      help: 'Work dropped because retrying cannot fix its failure (e.g. an AuditAlert refused as invalid even in minimal form), by queue.',
      labelNames: ['queue'],
      registers: r,
    }),
    ruleFailures: new Counter({
      name: 'tripline_rule_failures_total',
      help: 'Risk rule checks that threw while analysing a subject (the alert is raised without that rule, with a note), by rule id.',
      labelNames: ['rule'],
      registers: r,
    }),
    detectionsReady: new Gauge({
      name: 'tripline_detections',
      help: 'AuditDetections by state: ready, stalled, disabled.',
      labelNames: ['state'],
      registers: r,
    }),
    httpConnectionsOpened: new Gauge({
      name: 'tripline_api_connections_opened',
      help: 'Connections the operator opened to the API server since start (one keep-alive pool).',
      registers: r,
    }),
    httpRequests: new Gauge({
      name: 'tripline_api_requests',
      help: 'Requests the operator sent to the API server since start.',
      registers: r,
    }),
    rbacIndexObjects: new Gauge({
      name: 'tripline_rbac_index_objects',
      help: 'Roles, ClusterRoles, RoleBindings and ClusterRoleBindings held by the RBAC index, by kind.',
      labelNames: ['kind'],
      registers: r,
    }),
    rbacIndexSynced: new Gauge({
      name: 'tripline_rbac_index_synced',
      help: '1 once the RBAC index has listed all four RBAC kinds (whoCan and serviceaccount.* risks are added from then on).',
      registers: r,
    }),
    notificationsSent: new Counter({
      name: 'tripline_notifications_sent_total',
      help: 'Notifications delivered, by sink: events, alertmanager, webhook, slack, policyreport.',
      labelNames: ['sink'],
      registers: r,
    }),
    notificationsFailed: new Counter({
      name: 'tripline_notifications_failed_total',
      help: 'Notifications given up, by sink and reason: rejected (4xx), exhausted (retries used up), queue_full (dropped).',
      labelNames: ['sink', 'reason'],
      registers: r,
    }),
    notificationRetries: new Counter({
      name: 'tripline_notification_retries_total',
      help: 'Failed deliveries to a sink that are tried again (5xx, 429, network errors, timeouts), by sink.',
      labelNames: ['sink'],
      registers: r,
    }),
    notifyQueueDepth: new Gauge({
      name: 'tripline_notify_queue_depth',
      help: 'Notifications waiting for delivery, by sink (bounded by notifyQueueSize).',
      labelNames: ['sink'],
      registers: r,
    }),
    openAlerts: new Gauge({
      name: 'tripline_open_alerts',
      help: 'AuditAlerts not Resolved (Open or Acknowledged), by severity, as the lifecycle watch sees them.',
      labelNames: ['severity'],
      registers: r,
    }),
    // Traffic ingestion (src/traffic/, docs/traffic.md).
    trafficLines: new Counter({
      name: 'tripline_traffic_lines_total',
      help: 'Access-log lines read, by input (http, file) and result: accepted, late (older than the window), unmatched (Host of no Ingress: counted here only), malformed, oversized.',
      labelNames: ['input', 'result'],
      registers: r,
    }),
    trafficHttpRequests: new Counter({
      name: 'tripline_traffic_http_requests_total',
      help: 'Requests to the traffic endpoint, by answer code (200, 400, 401, 413, 503, ...).',
      labelNames: ['code'],
      registers: r,
    }),
    trafficWindows: new Gauge({
      name: 'tripline_traffic_windows',
      help: 'Ingress windows held (per traffic detection, bounded by trafficMaxIngresses each).',
      registers: r,
    }),
    trafficAlertsTracked: new Gauge({
      name: 'tripline_traffic_alerts_tracked',
      help: 'Traffic alerts with a firing rule or a status write pending.',
      registers: r,
    }),
    trafficEvictions: new Counter({
      name: 'tripline_traffic_evictions_total',
      help: 'Bounded-memory evictions, by what: ingress (least recently seen window dropped), source (address replaced in a top-k summary).',
      labelNames: ['what'],
      registers: r,
    }),
    trafficAlerts: new Counter({
      name: 'tripline_traffic_alerts_total',
      help: 'Traffic AuditAlert writes, by detection, rule and action: created, updated (status.traffic), suppressed (held back by trafficMaxAlertsPerMinute).',
      labelNames: ['detection', 'rule', 'action'],
      registers: r,
    }),
    trafficForwardedFallbacks: new Counter({
      name: 'tripline_traffic_forwarded_for_fallbacks_total',
      help: 'Lines whose X-Forwarded-For held no address at the client position (clientAddress: ForwardedFor): the connecting peer was taken.',
      registers: r,
    }),
    actorRecords: new Counter({
      name: 'tripline_actor_records_total',
      help: 'Requests the attribution webhooks received, by source (admission, audit) and outcome (recorded, or why ignored).',
      labelNames: ['source', 'outcome'],
      registers: r,
    }),
    actorRejected: new Counter({
      name: 'tripline_actor_requests_rejected_total',
      help: 'Requests to the attribution webhooks refused, by endpoint and reason: unauthenticated, too-large, bad-request, not-found.',
      labelNames: ['endpoint', 'reason'],
      registers: r,
    }),
    actionEvents: new Counter({
      name: 'tripline_action_events_total',
      help: 'Action requests (Exec, Attach, PortForward, TokenRequest, SecretRead) the webhooks delivered, by outcome: queued, unmatched, duplicate, follower, overflow, or why ignored. Requests made while no replica was reachable never arrive and are not counted.',
      labelNames: ['event', 'outcome'],
      registers: r,
    }),
    actionAlerts: new Counter({
      name: 'tripline_action_alerts_total',
      help: 'Action episodes by outcome: raised (a new AuditAlert), updated (counts added to an open one), failed (a write given up; the requests of that write are lost).',
      labelNames: ['detection', 'event', 'outcome'],
      registers: r,
    }),
    actorCompletions: new Counter({
      name: 'tripline_actor_completions_total',
      help: 'Alerts whose spec.actor awaited a late audit event, by outcome: patched, refused, failed, expired.',
      labelNames: ['outcome'],
      registers: r,
    }),
  };
}

/** The queue hooks that feed `tripline_queue_depth` and `tripline_terminal_errors_total` for one queue. */
export function queueMetrics(
  metrics: Metrics,
  queue: string,
): { depth(n: number): void; terminal(key: string, err: unknown): void } {
  return {
    depth: (n) => metrics.queueDepth.set({ queue }, n),
    terminal: () => metrics.terminalErrors.inc({ queue }),
  };
}
