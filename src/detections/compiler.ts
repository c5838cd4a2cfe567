import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import type { Logger } from '../observability/logger.js';
import { type ActorLookup, type CompileResult, compileDetection } from './compile.js';

/** Told each time a CEL evaluation of a detection's generation runs out of budget (ADR 0014). */
export type BudgetListener = (
  name: string,
  generation: number,
  where: string,
  why: string,
  obj: KubeObject,
) => void;

/**
 * Compiles each detection once per generation: status writes re-deliver the same spec many times,
 * and CEL must never be re-planned for them. A CEL expression failing for an object is logged
 * once per generation.
 */
export class DetectionCompiler {
  readonly #log: Logger;
  readonly #cache = new Map<string, { key: string; result: CompileResult }>();
  readonly #actorOf: ActorLookup | undefined;
  readonly #onBudget: BudgetListener | undefined;
  readonly #now: (() => number) | undefined;

  /** `now` is the injected clock exceptions check their `expires` against (ms). */
  constructor(log: Logger, actorOf?: ActorLookup, onBudget?: BudgetListener, now?: () => number) {
    this.#log = log;
    this.#actorOf = actorOf;
    this.#onBudget = onBudget;
    this.#now = now;
  }

  /** The compiled detection for this uid and generation, compiling it on first sight. */
  compile(name: string, d: AuditDetection): CompileResult {
    const key = `${d.metadata?.uid}/${d.metadata?.generation}`;
    const cached = this.#cache.get(name);
    if (cached?.key === key) return cached.result;
    const generation = d.metadata?.generation ?? 0;
    const log = this.#log.child({ detection: name, generation });
    let logged = false;
    const result = compileDetection(
      d,
      (field, message, obj) =>
        log.warn('CEL expression failed for an object, treated as no match', {
          field,
          message,
          kind: obj.kind,
          namespace: obj.metadata.namespace,
          name: obj.metadata.name,
        }),
      this.#actorOf,
      (field, why, obj) => {
        // Logged once per generation: a tenant can make every object of theirs overrun.
        if (!logged)
          log.warn('CEL evaluation ran out of budget, taken as a match', {
            field,
            why,
            kind: obj.kind,
            namespace: obj.metadata.namespace,
            name: obj.metadata.name,
          });
        logged = true;
        this.#onBudget?.(name, generation, field, why, obj);
      },
      this.#now,
    );
    this.#cache.set(name, { key, result });
    return result;
  }

  /** Forgets a deleted detection. */
  forget(name: string): void {
    this.#cache.delete(name);
  }
}
