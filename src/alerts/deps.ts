import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { DetectionView } from '../detections/store.js';
import type { KubeApi } from '../kube/api.js';
import type { Backoff } from '../kube/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../runtime/clock.js';

/** What the operator hands a pipeline that writes alerts of its own (action and traffic detections). */
export interface AlertingDeps {
  client: KubeApi;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /**
   * The compiled detections (src/detections/store.ts, one store for every pipeline, ADR 0022): a
   * pipeline runs exactly the detections the store compiled, the ones their status reports Ready.
   */
  detections: DetectionView;
  backoff: Backoff;
  /** Whether this replica writes alerts (the leader). */
  active(): boolean;
  /** An alert was created (the notification sinks take it from here). */
  onRaised?(alert: AuditAlert): void;
}
