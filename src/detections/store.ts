import { API_VERSION, DETECTIONS_PATH } from '../api/constants.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeApi } from '../kube/api.js';
import { ResilientWatch, type ResilientWatchOptions } from '../kube/list-watch.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import { BudgetOverruns } from './budget-status.js';
import { loadCel } from './cel.js';
import { type ActorLookup, type CompiledDetection, isActionDetection, TRAFFIC_EVENT } from './compile.js';
import { DetectionCompiler } from './compiler.js';
import { compileTraffic, type TrafficSettings } from './traffic-settings.js';

/** Which pipeline runs a detection: object feeds, access-log windows, or webhook requests. */
export type Pipeline = 'objects' | 'traffic' | 'actions';

/**
 * What one generation of a detection compiled to. `stalled` is final for that generation: no
 * pipeline runs it, and the detection controller reports exactly this message.
 */
export type Verdict =
  | { kind: 'disabled' }
  | { kind: 'stalled'; reason: 'InvalidSpec'; message: string }
  | { kind: 'compiled'; pipeline: 'objects' | 'actions'; detection: CompiledDetection }
  | { kind: 'compiled'; pipeline: 'traffic'; detection: CompiledDetection; traffic: TrafficSettings };

/** One detection in the store. */
export interface StoredDetection {
  name: string;
  /** The object as last observed, status included (read-only: clone before changing). */
  source: AuditDetection;
  /** What its generation compiled to, computed once per uid and generation. */
  verdict: Verdict;
}

/**
 * Told of every change to a detection: `compiled` is true when its verdict changed (a new
 * generation, a new uid, or a deletion), false for status-only updates.
 */
export type StoreListener = (name: string, compiled: boolean) => void;

/** The read-only face of the store that pipelines and the detection controller consume. */
export interface DetectionView {
  /** True once the detections have been listed. */
  readonly synced: boolean;
  get(name: string): StoredDetection | undefined;
  names(): string[];
  /** The compiled detections of one pipeline, sorted by name (stalled and disabled ones are not). */
  running(pipeline: Pipeline): CompiledDetection[];
  /** The compiled traffic detections' settings, sorted by name. */
  traffic(): TrafficSettings[];
  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: StoreListener): () => void;
}

/** What the store needs. */
export interface DetectionStoreDeps {
  log: Logger;
  clock: Clock;
  /** The creator of an object as the admission webhook saw it (object exceptions by user); absent without attribution. */
  actorOf?: ActorLookup;
  /**
   * The user of an action object (src/actions/detections.ts `actionActor`): action detections'
   * exceptions by user match the requesting user, not an object's creator. Injected, so the
   * store does not depend on the actions feature.
   */
  actionActorOf: ActorLookup;
}

/**
 * Every AuditDetection, compiled once per generation into what each consumer needs (object feeds,
 * traffic settings, action rules) with one verdict: the one place that decides whether a detection
 * runs (ADR 0022). Runs on every replica from one watch, so followers keep their traffic windows
 * and action rules current; only the leader's detection controller writes status from it.
 */
export class DetectionStore implements DetectionView {
  readonly #log: Logger;
  readonly #entries = new Map<string, StoredDetection>();
  readonly #listeners = new Set<StoreListener>();
  /** CEL budget overruns per detection and generation, for the controller's status (ADR 0014). */
  readonly overruns = new BudgetOverruns();
  readonly #objects: DetectionCompiler;
  readonly #actions: DetectionCompiler;
  #watch: ResilientWatch | undefined;
  #synced: () => void = () => {};
  readonly #whenSynced = new Promise<void>((resolve) => {
    this.#synced = resolve;
  });

  constructor(deps: DetectionStoreDeps) {
    this.#log = deps.log.child({ component: 'detection-store' });
    const nowMs = () => deps.clock.now().getTime();
    const budget = this.overruns.listener(nowMs);
    this.#objects = new DetectionCompiler(this.#log, deps.actorOf, budget, nowMs);
    // An action's exceptions by user match the requesting user, not an object's creator.
    this.#actions = new DetectionCompiler(this.#log, deps.actionActorOf, budget, nowMs);
  }

  get synced(): boolean {
    return this.#watch?.synced ?? false;
  }

  /** Loads CEL (so every generation compiles synchronously, in event order), then lists and watches. */
  async start(client: KubeApi, watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind'>) {
    await loadCel();
    this.#watch = new ResilientWatch(
      client,
      {
        ...watch,
        path: DETECTIONS_PATH,
        apiVersion: API_VERSION,
        kind: 'AuditDetection',
      },
      {
        onObject: (type, obj) => this.observe(type === 'DELETED', obj as unknown as AuditDetection),
        onSynced: () => this.#synced(),
      },
      this.#log,
    );
    this.#watch.start();
  }

  /** Resolves once the detections have been listed (and compiled). */
  whenSynced(): Promise<void> {
    return this.#whenSynced;
  }

  /** Stops the watch. */
  async stop(): Promise<void> {
    await this.#watch?.stop();
  }

  /**
   * Takes one observed object (from the watch, or a status write's answer), compiling it when its
   * uid or generation is new. CEL must be loaded (start does).
   */
  observe(deleted: boolean, d: AuditDetection): void {
    const name = d.metadata?.name ?? '';
    const prev = this.#entries.get(name);
    if (deleted) {
      if (!prev) return;
      this.#entries.delete(name);
      this.#objects.forget(name);
      this.#actions.forget(name);
      this.overruns.forget(name);
      this.#log.info('Detection removed from store', { detection: name });
      this.#notify(name, true);
      return;
    }
    const same = prev && sameGeneration(prev.source, d);
    const verdict = same ? prev.verdict : this.#compile(name, d);
    this.#entries.set(name, { name, source: d, verdict });
    this.#notify(name, !same);
  }

  get(name: string): StoredDetection | undefined {
    return this.#entries.get(name);
  }

  /** The AuditDetection of that name as last observed. */
  detection(name: string): AuditDetection | undefined {
    return this.#entries.get(name)?.source;
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  running(pipeline: Pipeline): CompiledDetection[] {
    const out: CompiledDetection[] = [];
    for (const { verdict: v } of this.#entries.values())
      if (v.kind === 'compiled' && v.pipeline === pipeline) out.push(v.detection);
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  traffic(): TrafficSettings[] {
    const out: TrafficSettings[] = [];
    for (const { verdict: v } of this.#entries.values())
      if (v.kind === 'compiled' && v.pipeline === 'traffic') out.push(v.traffic);
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  onChange(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #compile(name: string, d: AuditDetection): Verdict {
    const verdict = compileVerdict(d, (x) =>
      (isActionDetection(eventsOf(x)) ? this.#actions : this.#objects).compile(name, x),
    );
    const generation = d.metadata?.generation;
    if (verdict.kind === 'stalled')
      this.#log.warn('Detection not applied', { detection: name, generation, message: verdict.message });
    else if (verdict.kind === 'compiled')
      this.#log.info('Detection compiled', { detection: name, generation, pipeline: verdict.pipeline });
    return verdict;
  }

  #notify(name: string, compiled: boolean): void {
    for (const l of this.#listeners) {
      try {
        l(name, compiled);
      } catch (err: unknown) {
        // One consumer's failure must not keep the change from the others.
        this.#log.error('Detection store listener failed', { detection: name, err });
      }
    }
  }
}

/** The events of a detection, with the CRD default. */
function eventsOf(d: AuditDetection): ReadonlySet<string> {
  return new Set<string>(d.spec.events && d.spec.events.length > 0 ? d.spec.events : ['Created']);
}

const sameGeneration = (a: AuditDetection, b: AuditDetection): boolean =>
  a.metadata?.uid === b.metadata?.uid && a.metadata?.generation === b.metadata?.generation;

/**
 * The verdict for one generation: disabled, stalled with every reason it cannot run (the whole
 * detection and, for a traffic detection, its thresholds), or compiled for its pipeline. Pure but
 * for `compile` (cached per generation by the store).
 */
export function compileVerdict(
  d: AuditDetection,
  compile: (d: AuditDetection) => ReturnType<DetectionCompiler['compile']>,
): Verdict {
  if (d.spec.enabled === false) return { kind: 'disabled' };
  const compiled = compile(d);
  const events = eventsOf(d);
  const traffic = events.has(TRAFFIC_EVENT) ? compileTraffic(d) : undefined;
  const errors = [...(compiled.ok ? [] : compiled.errors), ...(traffic && !traffic.ok ? traffic.errors : [])];
  if (!compiled.ok || (traffic && !traffic.ok))
    return { kind: 'stalled', reason: 'InvalidSpec', message: [...new Set(errors)].join('; ') };
  const detection = compiled.detection;
  if (traffic) return { kind: 'compiled', pipeline: 'traffic', detection, traffic: traffic.settings };
  return { kind: 'compiled', pipeline: isActionDetection(events) ? 'actions' : 'objects', detection };
}
