import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { ObservedType } from '../kube/list-watch.js';
import type { Logger } from '../observability/logger.js';
import { type AlertView, viewOf } from './alert-view.js';

/** Most open alerts remembered (~0.5 KB each); beyond it new ones are not re-sent or reported. */
export const MAX_OPEN_ALERTS = 20_000;

interface Entry {
  view: AlertView;
  /** The list generation that last saw it, to drop alerts that vanished while the watch was down. */
  epoch: number;
}

/** Called when an alert enters the set or changes state in it (`open`), or leaves it (`!open`). */
export type OpenChange = (alert: AlertView, open: boolean) => void;

/**
 * The alerts that are not Resolved, as the lifecycle controller's watch sees them, in small views.
 *
 * Alertmanager re-sends and PolicyReports are level-driven from this set, so an alert raised just
 * before a crash is still sent after the restart (the list hands it over again). Fed only by the
 * watch the lifecycle controller already runs: no extra list. Bounded by {@link MAX_OPEN_ALERTS}.
 */
export class OpenAlerts {
  readonly #max: number;
  readonly #onChange: OpenChange;
  readonly #log: Logger;
  readonly #alerts = new Map<string, Entry>();
  readonly #byNamespace = new Map<string, Set<string>>();
  #epoch = 0;
  #listing = false;
  #synced = false;
  #full = false;
  readonly #counts: Record<string, number> = { Critical: 0, High: 0, Medium: 0, Low: 0, Info: 0 };

  constructor(onChange: OpenChange, log: Logger, max = MAX_OPEN_ALERTS) {
    this.#onChange = onChange;
    this.#log = log;
    this.#max = max;
  }

  /** True once the lifecycle watch has listed every alert. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Number of open alerts. */
  get size(): number {
    return this.#alerts.size;
  }

  /** Every open alert. */
  values(): AlertView[] {
    return [...this.#alerts.values()].map((e) => e.view);
  }

  /** Open alerts whose subject is in `namespace` ("" for cluster-scoped subjects). */
  inNamespace(namespace: string): AlertView[] {
    const names = this.#byNamespace.get(namespace) ?? new Set<string>();
    return [...names].map((n) => this.#alerts.get(n)?.view).filter((v): v is AlertView => v !== undefined);
  }

  /** Open alerts by severity, for the `tripline_open_alerts` gauge. */
  counts(): Readonly<Record<string, number>> {
    return this.#counts;
  }

  /** One alert as the watch delivered it. */
  observe(type: ObservedType, alert: AuditAlert): void {
    const name = alert.metadata?.name;
    if (!name) return;
    if (type === 'LISTED' && !this.#listing) {
      this.#listing = true;
      this.#epoch++;
    }
    const view = viewOf(alert);
    if (type === 'DELETED' || view.state === 'Resolved') {
      this.#remove(name);
      return;
    }
    const old = this.#alerts.get(name);
    if (!old && this.#alerts.size >= this.#max) {
      if (!this.#full) this.#log.warn('Open alert set full, not tracking more', { max: this.#max });
      this.#full = true;
      return;
    }
    this.#full = false;
    if (old) this.#counts[old.view.severity] = (this.#counts[old.view.severity] ?? 1) - 1;
    this.#counts[view.severity] = (this.#counts[view.severity] ?? 0) + 1;
    this.#alerts.set(name, { view, epoch: this.#epoch });
    this.#index(view).add(name);
    if (!old || old.view.state !== view.state || old.view.assignee !== view.assignee)
      this.#onChange(view, true);
  }

  /**
   * A complete list ended: alerts it did not hand over were deleted while the watch was away. A
   * list that handed over nothing means there are no alerts at all.
   */
  listed(): void {
    for (const [name, e] of this.#alerts) if (!this.#listing || e.epoch < this.#epoch) this.#remove(name);
    this.#listing = false;
    this.#synced = true;
  }

  #index(view: AlertView): Set<string> {
    const ns = view.subject.namespace ?? '';
    let set = this.#byNamespace.get(ns);
    if (!set) {
      set = new Set();
      this.#byNamespace.set(ns, set);
    }
    return set;
  }

  #remove(name: string): void {
    const e = this.#alerts.get(name);
    if (!e) return;
    this.#alerts.delete(name);
    this.#counts[e.view.severity] = (this.#counts[e.view.severity] ?? 1) - 1;
    const ns = e.view.subject.namespace ?? '';
    const set = this.#byNamespace.get(ns);
    set?.delete(name);
    if (set?.size === 0) this.#byNamespace.delete(ns);
    this.#onChange(e.view, false);
  }
}
