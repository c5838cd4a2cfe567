import { condition, setConditions } from '../api/conditions.js';
import type { KubeObject } from '../api/kube-object.js';
import type { BudgetListener } from './compiler.js';
import type { Condition } from './status.js';

/** Condition type set on a detection while CEL evaluations of it run out of budget (ADR 0014). */
export const BUDGET_CONDITION = 'EvaluationBudgetExceeded';

/**
 * How long after the last overrun the condition turns False again. A new generation of the
 * detection clears it at once (its expressions are new); otherwise it stays for this long, so a
 * reader sees it although a single costly object passes in a moment.
 */
export const BUDGET_QUIET_MS = 15 * 60_000;

interface Overrun {
  generation: number;
  lastMs: number;
  message: string;
}

/**
 * The latest budget overrun of each detection, turned into its `EvaluationBudgetExceeded`
 * condition when status is written. Memory: one entry per detection.
 */
export class BudgetOverruns {
  readonly #byName = new Map<string, Overrun>();
  readonly #quietMs: number;

  constructor(quietMs = BUDGET_QUIET_MS) {
    this.#quietMs = quietMs;
  }

  /** Records that an evaluation of the detection's `where` ran out of budget for `obj`. */
  record(name: string, generation: number, where: string, why: string, obj: KubeObject, nowMs: number): void {
    const m = obj.metadata;
    const subject = `${obj.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
    const message = `${where} stopped by its budget (${why}) for ${subject}; such objects are taken as matches and their alerts carry a note`;
    this.#byName.set(name, { generation, lastMs: nowMs, message });
  }

  /** {@link record} as the compiler's budget listener, timed by `nowMs` (the injected clock). */
  listener(nowMs: () => number): BudgetListener {
    return (name, generation, where, why, obj) => this.record(name, generation, where, why, obj, nowMs());
  }

  /** Forgets a deleted detection. */
  forget(name: string): void {
    this.#byName.delete(name);
  }

  /**
   * The condition the detection should carry now, or undefined when it should carry none (it
   * never had one); `current` are its conditions as last written.
   */
  conditionFor(
    name: string,
    generation: number,
    current: readonly Condition[],
    nowMs: number,
  ): Condition | undefined {
    const o = this.#byName.get(name);
    if (o && o.generation === generation && nowMs - o.lastMs < this.#quietMs)
      return condition(BUDGET_CONDITION, true, 'OverBudget', o.message);
    if (o) this.#byName.delete(name);
    const had = current.find((c) => c.type === BUDGET_CONDITION);
    if (!had) return undefined;
    return condition(
      BUDGET_CONDITION,
      false,
      'WithinBudget',
      'No CEL evaluation of this generation ran out of budget recently',
    );
  }

  /**
   * `current` with the EvaluationBudgetExceeded condition brought up to date, or undefined when
   * that changes nothing (most status writes: then the conditions are left alone).
   */
  updated(name: string, generation: number, current: Condition[], now: Date): Condition[] | undefined {
    const wanted = this.conditionFor(name, generation, current, now.getTime());
    if (!wanted) return undefined;
    const next = setConditions(current, [wanted], generation, now);
    return JSON.stringify(next) === JSON.stringify(current) ? undefined : next;
  }
}
