import type { CelEnv, CelFunc } from '@bufbuild/cel';

type CelLib = typeof import('@bufbuild/cel');

/**
 * What one evaluation of one CEL expression may spend (ADR 0014). `cost` is counted in units of
 * about one character or element touched by a function call or one iteration of a macro (`all`,
 * `exists`, `map`, `filter`); `deadlineMs` is a wall-clock backstop for work the units misjudge.
 */
export interface CelBudget {
  cost: number;
  deadlineMs: number;
}

/**
 * The default budget. Measured on the CI machine (ADR 0014): a million units of the costliest
 * calls (string `replace`, `matches`, concatenation) take 5–15 ms, so the budget ends an
 * evaluation well before the ~50 ms per object the event loop can spare.
 */
export const DEFAULT_CEL_BUDGET: CelBudget = { cost: 1_000_000, deadlineMs: 20 };

/**
 * Units of a function call and of one macro iteration beyond the characters and elements they
 * touch: what the evaluator spends around them (activations, dispatch), measured as ~50 times one
 * character's worth (ADR 0014).
 */
const CALL_UNITS = 50;
const ITERATION_UNITS = 50;
/**
 * Units per element of a macro's range: the evaluator copies the whole range into an array before
 * the first iteration (even when the first element ends it), ~0.25 µs per element.
 */
const RANGE_UNITS = 20;
/** The clock is read every this many charges (reading it costs more than most charges). */
const CLOCK_EVERY = 16;

/** The message of the CEL error every metered call returns once the budget is spent. */
const OVER = 'evaluation budget exceeded';

/**
 * The budget of the evaluation in progress. Evaluation is synchronous, so one meter at a time is
 * active; function calls and macro iterations charge it.
 */
export class CelMeter {
  #left: number;
  #charges = 0;
  readonly #deadline: number;
  /** Why the budget ran out; undefined while within it. */
  exceeded: string | undefined;

  constructor(budget: CelBudget) {
    this.#left = budget.cost;
    this.#deadline = performance.now() + budget.deadlineMs;
  }

  /** Takes `units` from the budget; false (and `exceeded` set) when they are not there. */
  charge(units: number): boolean {
    if (this.exceeded) return false;
    this.#left -= units;
    if (this.#left < 0) this.exceeded = 'cost limit';
    else if (++this.#charges % CLOCK_EVERY === 0 && performance.now() > this.#deadline)
      this.exceeded = 'time limit';
    return this.exceeded === undefined;
  }
}

let active: CelMeter | undefined;

/** Runs `f` with `meter` charged by every metered call it makes. */
export function metered<T>(meter: CelMeter, f: () => T): T {
  const outer = active;
  active = meter;
  try {
    return f();
  } finally {
    active = outer;
  }
}

/** Name of the function counting macro iterations (not spellable in CEL: it starts with `@`). */
export const TICK = '@tripline.tick';
/** Name of the function charging for a macro's range before it is copied. */
export const RANGE = '@tripline.range';

/** Units of one value: characters of a string, bytes, elements of a list or map; 1 otherwise. */
function units(v: unknown, lib: CelLib): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.length;
  if (lib.isCelList(v) || lib.isCelMap(v)) return v.size;
  return 1;
}

/** Extra units charged before a call whose result can be much larger than its inputs. */
function precharge(name: string, target: unknown, args: readonly unknown[]): number {
  if (name !== 'replace' || typeof target !== 'string') return 0;
  const [sub, repl, n] = args;
  if (typeof sub !== 'string' || typeof repl !== 'string') return 0;
  const given = typeof n === 'bigint' ? Number(n) : undefined;
  if (sub.length === 0) return Math.max(given ?? target.length, 0) * repl.length;
  const most = Math.floor(target.length / sub.length);
  const count = given !== undefined && given >= 0 && given < most ? given : most;
  return count * repl.length;
}

/** A function group as the planner uses it (the resolver's `find` result). */
interface FuncGroup {
  readonly name: string;
  call(id: bigint, target: unknown, args: unknown[]): unknown;
  [Symbol.iterator](): Iterator<unknown>;
}

/** Wraps a function group so that every call charges the active meter. */
function meteredGroup(group: FuncGroup, lib: CelLib): FuncGroup {
  return {
    name: group.name,
    [Symbol.iterator]: () => group[Symbol.iterator](),
    call(id, target, args) {
      const meter = active;
      if (!meter) return group.call(id, target, args);
      let cost =
        CALL_UNITS + precharge(group.name, target, args) + (target === undefined ? 0 : units(target, lib));
      for (const a of args) cost += units(a, lib);
      if (!meter.charge(cost)) return lib.celError(OVER, id);
      const r = group.call(id, target, args);
      if (!meter.charge(units(r, lib))) return lib.celError(OVER, id);
      return r;
    },
  };
}

/** A group that passes its argument through and charges `cost(argument)` units. */
function passThrough(name: string, lib: CelLib, cost: (v: unknown) => number): FuncGroup {
  return {
    name,
    [Symbol.iterator]: () => [][Symbol.iterator](),
    call(id, _target, args) {
      if (active && !active.charge(cost(args[0]))) return lib.celError(OVER, id);
      return args[0];
    },
  };
}

/**
 * An environment for the planner in which every function call is metered and `@tripline.tick`
 * exists. Only `plan` sees it; the planner reads `funcs`, `registry` and `namespace`.
 */
export function meteredEnv(env: CelEnv, lib: CelLib): CelEnv {
  const cache = new Map<string, FuncGroup | undefined>();
  const tick = passThrough(TICK, lib, () => ITERATION_UNITS);
  const range = passThrough(RANGE, lib, (v) => 1 + RANGE_UNITS * units(v, lib));
  const funcs = {
    ...env.funcs,
    [Symbol.iterator]: () => env.funcs[Symbol.iterator](),
    find(name: string) {
      if (name === TICK) return tick;
      if (name === RANGE) return range;
      if (!cache.has(name)) {
        const g = env.funcs.find(name) as FuncGroup | undefined;
        cache.set(name, g ? meteredGroup(g, lib) : undefined);
      }
      return cache.get(name);
    },
  };
  return { namespace: env.namespace, registry: env.registry, variables: env.variables, funcs } as CelEnv;
}

/** A parsed expression node, as far as the rewrite below needs it. */
interface Node {
  id: bigint;
  exprKind: { case: string | undefined; value?: unknown };
}

/**
 * Makes every macro charge the meter: each comprehension's range is wrapped in
 * `@tripline.range(...)` (charged per element, as the evaluator copies it) and its loop condition
 * (evaluated once per element) in `@tripline.tick(...)`. Without them, `l.all(a, l.all(b, true))`
 * would iterate |l|² times without a single metered call. Changes the tree in place.
 */
export function tickComprehensions(root: Node): void {
  let next = maxId(root) + 1n;
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const c of n) walk(c);
      return;
    }
    const node = n as Partial<Node> & Record<string, unknown>;
    for (const [k, v] of Object.entries(node)) if (k !== '$typeName') walk(v);
    if (node.exprKind?.case !== 'comprehensionExpr') return;
    const c = node.exprKind.value as { loopCondition?: Node; iterRange?: Node };
    const wrap = (fn: string, arg: Node): Node =>
      ({ id: next++, exprKind: { case: 'callExpr', value: { function: fn, args: [arg] } } }) as Node;
    if (c.loopCondition) c.loopCondition = wrap(TICK, c.loopCondition);
    if (c.iterRange) c.iterRange = wrap(RANGE, c.iterRange);
  };
  walk(root);
}

function maxId(n: unknown): bigint {
  if (!n || typeof n !== 'object') return 0n;
  let m = typeof (n as { id?: unknown }).id === 'bigint' ? ((n as { id: bigint }).id as bigint) : 0n;
  for (const v of Object.values(n)) {
    const c = maxId(v);
    if (c > m) m = c;
  }
  return m;
}

/**
 * `replace` in linear time. The strings extension rebuilds the whole string for each occurrence
 * (quadratic: a 150 KiB annotation took seconds); this scans once and joins once, with the same
 * results, including its handling of an empty search string and of a count.
 */
export function linearReplace(lib: CelLib): CelFunc[] {
  const { celMethod, CelScalar } = lib;
  const { STRING, INT } = CelScalar;
  function replace(this: string, sub: string, repl: string, num?: bigint): string {
    const count = num === undefined ? this.length : Number(num);
    if (count <= 0) return this;
    // Every occurrence: the engine's split and join, the fastest linear way.
    if (num === undefined) return sub === '' ? repl.repeat(count) + this : this.split(sub).join(repl);
    // The extension inserts `repl` `count` times in front for an empty search string.
    if (sub === '') return repl.repeat(count) + this;
    const parts: string[] = [];
    let from = 0;
    let done = 0;
    for (let at = this.indexOf(sub); at !== -1 && done < count; at = this.indexOf(sub, from)) {
      parts.push(this.slice(from, at), repl);
      from = at + sub.length;
      done++;
    }
    parts.push(this.slice(from));
    return parts.join('');
  }
  return [
    celMethod('replace', STRING, [STRING, STRING], STRING, replace),
    celMethod('replace', STRING, [STRING, STRING, INT], STRING, replace),
  ];
}
