import { API_VERSION, RESOURCES } from '../api/constants.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import { type CompiledDetection, compileDetection, isActionDetection } from '../detections/compile.js';
import type { KubeApi } from '../kube/api.js';
import { ResilientWatch, type ResilientWatchOptions } from '../kube/list-watch.js';
import type { Logger } from '../observability/logger.js';
import { type ActionEvent, requestDetails } from './events.js';

/**
 * The object an action detection's filters, exceptions and CEL see for a request: metadata names
 * the target (Pod, ServiceAccount or Secret), `action` the request. `object.action.user.username`,
 * `object.action.command` etc. can be used in `match.condition` and `severityOverrides`.
 */
export function actionObject(e: ActionEvent): KubeObject {
  const action: Record<string, unknown> = {
    ...requestDetails(e),
    user: { username: e.user.username, groups: [...e.user.groups] },
  };
  return {
    apiVersion: 'v1',
    kind: e.target.kind,
    metadata: { name: e.target.name, namespace: e.target.namespace },
    action,
  };
}

/** The user of an {@link actionObject}, for exceptions naming users and groups. */
function actorOf(obj: KubeObject): { username: string; groups: string[] } | undefined {
  const u = (obj.action as { user?: { username: string; groups: string[] } } | undefined)?.user;
  return u && { username: u.username, groups: u.groups };
}

/**
 * The action detections (events Exec, Attach, PortForward, TokenRequest, SecretRead), compiled and
 * kept current by a watch on AuditDetections. The detection controller owns their status; one that
 * does not compile is logged once per generation and left out.
 */
export class ActionDetections {
  readonly #watch: ResilientWatch;
  readonly #log: Logger;
  readonly #compiled = new Map<string, { key: string; detection: CompiledDetection | undefined }>();

  constructor(
    client: KubeApi,
    watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>,
    log: Logger,
  ) {
    this.#log = log;
    this.#watch = new ResilientWatch(
      client,
      {
        ...watch,
        path: `/apis/${API_VERSION}/${RESOURCES.detections}`,
        apiVersion: API_VERSION,
        kind: 'AuditDetection',
      },
      { onObject: (type, obj) => this.#observe(type === 'DELETED', obj as unknown as AuditDetection) },
      log,
    );
  }

  /** Starts the watch. CEL must be loaded before (loadCel). */
  start(): void {
    this.#watch.start();
  }

  /** Stops the watch. */
  async stop(): Promise<void> {
    await this.#watch.stop();
  }

  #observe(deleted: boolean, d: AuditDetection): void {
    const name = d.metadata?.name ?? '';
    const events = new Set<string>(d.spec?.events ?? []);
    if (deleted || !isActionDetection(events) || d.spec.enabled === false) {
      this.#compiled.delete(name);
      return;
    }
    const key = `${d.metadata?.uid}/${d.metadata?.generation}`;
    if (this.#compiled.get(name)?.key === key) return;
    const log = this.#log.child({ detection: name, generation: d.metadata?.generation });
    let warned = false;
    const result = compileDetection(
      d,
      (field, message) => {
        if (!warned) log.warn('CEL expression failed for an action, treated as no match', { field, message });
        warned = true;
      },
      actorOf,
    );
    if (result.ok) log.info('Action detection applied');
    else log.warn('Action detection not applied', { errors: result.errors });
    this.#compiled.set(name, { key, detection: result.ok ? result.detection : undefined });
  }

  /** The detections that take this event, with the object they see it as. */
  matching(e: ActionEvent): Array<{ detection: CompiledDetection; object: KubeObject }> {
    const out: Array<{ detection: CompiledDetection; object: KubeObject }> = [];
    for (const { detection: d } of this.#compiled.values()) {
      if (!d?.events.has(e.type)) continue;
      const object = actionObject(e);
      if (d.filter(object) !== true) continue;
      if (d.exception(object) !== undefined) continue;
      out.push({ detection: d, object });
    }
    return out;
  }
}
