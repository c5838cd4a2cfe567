import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { Logger } from '../observability/logger.js';
import { type ActorLookup, type CompileResult, compileDetection } from './compile.js';

/**
 * Compiles each detection once per generation: status writes re-deliver the same spec many times,
 * and CEL must never be re-planned for them. A CEL expression failing for an object is logged
 * once per generation.
 */
export class DetectionCompiler {
  readonly #log: Logger;
  readonly #cache = new Map<string, { key: string; result: CompileResult }>();
  readonly #actorOf: ActorLookup | undefined;

  constructor(log: Logger, actorOf?: ActorLookup) {
    this.#log = log;
    this.#actorOf = actorOf;
  }

  /** The compiled detection for this uid and generation, compiling it on first sight. */
  compile(name: string, d: AuditDetection): CompileResult {
    const key = `${d.metadata?.uid}/${d.metadata?.generation}`;
    const cached = this.#cache.get(name);
    if (cached?.key === key) return cached.result;
    const log = this.#log.child({ detection: name, generation: d.metadata?.generation });
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
    );
    this.#cache.set(name, { key, result });
    return result;
  }

  /** Forgets a deleted detection. */
  forget(name: string): void {
    this.#cache.delete(name);
  }
}
