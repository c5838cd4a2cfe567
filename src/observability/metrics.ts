import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric the operator exports, in one registry (documented in docs/configuration.md, Metrics). */
export type Metrics = ReturnType<typeof createMetrics>;

/** Creates the registry and the metrics (with Node process metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tripline_' });
  const registers = [registry];
  const counter = <L extends string>(name: string, labelNames: readonly L[], help: string) =>
    new Counter<L>({ name, labelNames, help, registers });
  const gauge = <L extends string>(name: string, labelNames: readonly L[], help: string) =>
    new Gauge<L>({ name, labelNames, help, registers });
  const histogram = <L extends string>(
    name: string,
    labelNames: readonly L[],
    buckets: number[],
    help: string,
  ) => new Histogram<L>({ name, labelNames, buckets, help, registers });
  return {
    registry,
    alertsRaised: counter(
      'tripline_alerts_raised_total',
      ['detection', 'severity'],
      'AuditAlerts created, by detection and severity.',
    ),
    alertCreates: counter(
      'tripline_alert_creates_total',
      ['detection', 'outcome'],
      'AuditAlert create requests answered, by detection and outcome: created, exists (409: raised before, e.g. re-checked after a restart).',
    ),
    alertWriteErrors: counter(
      'tripline_alert_write_errors_total',
      ['reason'],
      'Failed AuditAlert writes (retried), by reason: forbidden, throttled, server, network, other.',
    ),
    suppressed: counter(
      'tripline_suppressed_total',
      ['detection'],
      'New objects an exception of the detection suppressed (no alert raised), by detection.',
    ),
    detectionLatency: histogram(
      'tripline_detection_latency_seconds',
      ['detection'],
      [0.5, 1, 2, 5, 10, 30, 60, 300],
      'Time from the subject creationTimestamp to its AuditAlert being written (1 s resolution at the source).',
    ),
    watchRestarts: counter(
      'tripline_watch_restarts_total',
      ['resource', 'reason'],
      'Watch streams restarted, by resource and reason: closed, stalled, error, gone.',
    ),
    watchRelists: counter(
      'tripline_watch_relists_total',
      ['resource'],
      'Complete (paginated) lists of a watched resource, the first one included.',
    ),
    listPagesShrunk: counter(
      'tripline_list_pages_shrunk_total',
      ['resource'],
      'List pages that passed --list-page-mib and were asked again with fewer objects, by resource.',
    ),
    backlogFull: counter(
      'tripline_backlog_full_total',
      [],
      'Times a watch or list of a watched resource was held back because the alert backlog was full (--alert-backlog objects or --alert-backlog-mib of their JSON).',
    ),
    leader: gauge(
      'tripline_leader',
      [],
      '1 while this replica holds the leader Lease (or runs without leader election), else 0.',
    ),
    queueDepth: gauge('tripline_queue_depth', ['queue'], 'Keys with pending work, by queue.'),
    terminalErrors: counter(
      'tripline_terminal_errors_total',
      ['queue'],
      'Work dropped because retrying cannot fix its failure (e.g. an AuditAlert refused as invalid even in minimal form), by queue.',
    ),
    ruleFailures: counter(
      'tripline_rule_failures_total',
      ['rule'],
      'Risk rule checks that threw while analysing a subject (the alert is raised without that rule, with a note), by rule id.',
    ),
    detectionsReady: gauge(
      'tripline_detections',
      ['state'],
      'AuditDetections by state: ready, stalled, disabled.',
    ),
    httpConnectionsOpened: gauge(
      'tripline_api_connections_opened',
      [],
      'Connections the operator opened to the API server since start (one keep-alive pool).',
    ),
    httpRequests: gauge(
      'tripline_api_requests',
      [],
      'Requests the operator sent to the API server since start.',
    ),
    rbacIndexObjects: gauge(
      'tripline_rbac_index_objects',
      ['kind'],
      'Roles, ClusterRoles, RoleBindings and ClusterRoleBindings held by the RBAC index, by kind.',
    ),
    rbacIndexEntries: gauge(
      'tripline_rbac_index_entries',
      [],
      'Entries (rules, their list items, binding subjects) the RBAC index holds; at most --rbac-index-max-entries.',
    ),
    rbacIndexIncomplete: gauge(
      'tripline_rbac_index_incomplete',
      ['reason'],
      'RBAC objects the index does not hold whole: left-out (the index was full) or cut (one object past its entry bound); alerts say so in a note.',
    ),
    rbacIndexSynced: gauge(
      'tripline_rbac_index_synced',
      [],
      '1 once the RBAC index has listed all four RBAC kinds (whoCan and serviceaccount.* risks are added from then on).',
    ),
    notificationsSent: counter(
      'tripline_notifications_sent_total',
      ['sink'],
      'Notifications delivered, by sink: events, alertmanager, webhook, slack, policyreport.',
    ),
    notificationsFailed: counter(
      'tripline_notifications_failed_total',
      ['sink', 'reason'],
      'Notifications given up, by sink and reason: rejected (4xx), exhausted (retries used up), queue_full (dropped).',
    ),
    notificationRetries: counter(
      'tripline_notification_retries_total',
      ['sink'],
      'Failed deliveries to a sink that are tried again (5xx, 429, network errors, timeouts), by sink.',
    ),
    notifyQueueDepth: gauge(
      'tripline_notify_queue_depth',
      ['sink'],
      'Notifications waiting for delivery, by sink (bounded by notifyQueueSize).',
    ),
    openAlerts: gauge(
      'tripline_open_alerts',
      ['severity'],
      'AuditAlerts not Resolved (Open or Acknowledged), by severity, as the lifecycle watch sees them.',
    ),
    // Traffic ingestion (src/traffic/, docs/traffic.md).
    trafficLines: counter(
      'tripline_traffic_lines_total',
      ['input', 'result'],
      'Access-log lines read, by input (http, file) and result: accepted, late (older than the window), unmatched (Host of no Ingress: counted here only), malformed, oversized.',
    ),
    trafficHttpRequests: counter(
      'tripline_traffic_http_requests_total',
      ['code'],
      'Requests to the traffic endpoint, by answer code (200, 400, 401, 413, 503, ...).',
    ),
    trafficWindows: gauge(
      'tripline_traffic_windows',
      [],
      'Ingress windows held (per traffic detection, bounded by trafficMaxIngresses each).',
    ),
    trafficAlertsTracked: gauge(
      'tripline_traffic_alerts_tracked',
      [],
      'Traffic alerts with a firing rule or a status write pending.',
    ),
    trafficEvictions: counter(
      'tripline_traffic_evictions_total',
      ['what'],
      'Bounded-memory evictions, by what: ingress (least recently seen window dropped), source (address replaced in a top-k summary).',
    ),
    trafficAlerts: counter(
      'tripline_traffic_alerts_total',
      ['detection', 'rule', 'action'],
      'Traffic AuditAlert writes, by detection, rule and action: created, updated (status.traffic), suppressed (held back by trafficMaxAlertsPerMinute).',
    ),
    trafficForwardedFallbacks: counter(
      'tripline_traffic_forwarded_for_fallbacks_total',
      [],
      'Lines whose X-Forwarded-For held no address at the client position (clientAddress: ForwardedFor): the connecting peer was taken.',
    ),
    actorRecords: counter(
      'tripline_actor_records_total',
      ['source', 'outcome'],
      'Requests the attribution webhooks received, by source (admission, audit) and outcome (recorded, or why ignored).',
    ),
    actorRejected: counter(
      'tripline_actor_requests_rejected_total',
      ['endpoint', 'reason'],
      'Requests to the attribution webhooks refused, by endpoint and reason: unauthenticated, too-large, bad-request, not-found.',
    ),
    actionEvents: counter(
      'tripline_action_events_total',
      ['event', 'outcome'],
      'Action requests (Exec, Attach, PortForward, TokenRequest, SecretRead) the webhooks delivered, by outcome: queued, unmatched, duplicate, follower, overflow, or why ignored. Requests made while no replica was reachable never arrive and are not counted.',
    ),
    actionAlerts: counter(
      'tripline_action_alerts_total',
      ['detection', 'event', 'outcome'],
      'Action episodes by outcome: raised (a new AuditAlert), updated (counts added to an open one), failed (a write given up; the requests of that write are lost).',
    ),
    actorCompletions: counter(
      'tripline_actor_completions_total',
      ['outcome'],
      'Alerts whose spec.actor awaited a late audit event, by outcome: patched, refused, failed, expired.',
    ),
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
