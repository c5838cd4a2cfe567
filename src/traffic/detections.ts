import { API_VERSION, RESOURCES } from '../api/constants.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeApi } from '../kube/api.js';
import { ResilientWatch, type ResilientWatchOptions } from '../kube/list-watch.js';
import type { Logger } from '../observability/logger.js';
import { compileTraffic, isTrafficDetection, type TrafficSettings } from './settings.js';

/**
 * The traffic detections (events [TrafficAnomaly]) as compiled settings, kept current by a watch on
 * AuditDetections. The detection controller owns their status (Ready/Stalled); this only needs
 * their thresholds. One that does not compile is logged once per generation and left out, never
 * stopping the others.
 */
export class TrafficDetections {
  readonly #watch: ResilientWatch;
  readonly #log: Logger;
  readonly #compiled = new Map<string, { key: string; settings: TrafficSettings | undefined }>();
  readonly #onChange: (list: TrafficSettings[]) => void;

  constructor(
    client: KubeApi,
    watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>,
    log: Logger,
    onChange: (list: TrafficSettings[]) => void,
  ) {
    this.#log = log;
    this.#onChange = onChange;
    this.#watch = new ResilientWatch(
      client,
      {
        ...watch,
        path: `/apis/${API_VERSION}/${RESOURCES.detections}`,
        apiVersion: API_VERSION,
        kind: 'AuditDetection',
      },
      {
        onObject: (type, obj) => this.#observe(type === 'DELETED', obj as unknown as AuditDetection),
      },
      log,
    );
  }

  /** True once the detections have been listed. */
  get synced(): boolean {
    return this.#watch.synced;
  }

  /** Starts the watch (list, then watch, with the operator's recovery). */
  start(): void {
    this.#watch.start();
  }

  /** Stops the watch. */
  async stop(): Promise<void> {
    await this.#watch.stop();
  }

  #observe(deleted: boolean, d: AuditDetection): void {
    const name = d.metadata?.name ?? '';
    const before = this.#compiled.get(name)?.settings;
    if (deleted || !isTrafficDetection(d) || d.spec.enabled === false) {
      if (!this.#compiled.delete(name)) return;
    } else {
      const key = `${d.metadata?.uid}/${d.metadata?.generation}`;
      if (this.#compiled.get(name)?.key === key) return;
      const result = compileTraffic(d);
      if (!result.ok)
        this.#log.warn('Traffic detection not applied', { detection: name, errors: result.errors });
      else
        this.#log.info('Traffic detection applied', { detection: name, generation: d.metadata?.generation });
      this.#compiled.set(name, { key, settings: result.ok ? result.settings : undefined });
      if (!before && !result.ok) return;
    }
    this.#onChange(this.list());
  }

  /** The compiled traffic detections, by name. */
  list(): TrafficSettings[] {
    const out: TrafficSettings[] = [];
    for (const c of this.#compiled.values()) if (c.settings) out.push(c.settings);
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}
