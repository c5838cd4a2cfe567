import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric the operator exports, in one registry (documented in the README). */
export interface Metrics {
  registry: Registry;
  alertsRaised: Counter<'detection' | 'severity'>;
  alertWriteErrors: Counter<'reason'>;
  suppressed: Counter<'detection'>;
  detectionLatency: Histogram<'detection'>;
  watchRestarts: Counter<'resource' | 'reason'>;
  watchRelists: Counter<'resource'>;
  queueDepth: Gauge<'queue'>;
  leader: Gauge;
  detectionsReady: Gauge<'state'>;
  httpConnectionsOpened: Gauge;
  httpRequests: Gauge;
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
  };
}
