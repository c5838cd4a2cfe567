import type { CelEnv } from '@bufbuild/cel';
import type { KubeObject } from '../api/kube-object.js';
import {
  type CelBudget,
  CelMeter,
  DEFAULT_CEL_BUDGET,
  linearReplace,
  metered,
  meteredEnv,
  tickComprehensions,
} from './cel-budget.js';

type CelLib = typeof import('@bufbuild/cel');
let lib: CelLib | undefined;
let env: CelEnv | undefined;

/**
 * Loads the CEL library on first need. It costs ~28 MB of RSS, a fifth of the operator's memory
 * budget (DESIGN §9), and the default detections use no CEL, so it is only loaded when a detection
 * does. Call before {@link compileCel}.
 */
export async function loadCel(): Promise<void> {
  if (lib) return;
  const [cel, ext] = await Promise.all([import('@bufbuild/cel'), import('@bufbuild/cel/ext')]);
  // One environment for every expression: the standard library plus the strings extension (as
  // Kubernetes), with `replace` in linear time, and every call metered (ADR 0014).
  env = meteredEnv(cel.celEnv({ funcs: [...ext.strings, ...linearReplace(cel)] }), cel);
  lib = cel;
}

/** The variables a detection's CEL expressions may use. */
export const CEL_VARIABLES = ['object', 'oldObject'] as const;

/**
 * The outcome of evaluating a condition for one object. `overBudget` marks an evaluation stopped
 * by its budget (ADR 0014): the expression's value is unknown, not false.
 */
export type CelOutcome = { ok: true; value: boolean } | { ok: false; error: string; overBudget?: true };

/** A compiled CEL expression: parsed and planned once, evaluated per object. */
export interface CelCondition {
  readonly source: string;
  /**
   * Evaluates against an object (and its previous state for updates) within the budget; never
   * throws. The outcome for one version of an object is remembered, so the feed's look and the
   * alert worker's look at the same object cost one evaluation.
   */
  evaluate(object: KubeObject, oldObject?: KubeObject): CelOutcome;
}

/** The outcome of {@link compileCel}. */
export type CelCompileResult = { ok: true; condition: CelCondition } | { ok: false; error: string };

/** Outcomes remembered per condition (versions of objects; the oldest is forgotten first). */
const REMEMBERED_OUTCOMES = 1024;

/**
 * Parses and plans a CEL expression once. Syntax errors, references to variables other than
 * `object`/`oldObject` and unknown functions are compile errors, reported with the parser's message.
 * Each evaluation runs within `budget` (ADR 0014).
 */
export function compileCel(source: string, budget: CelBudget = DEFAULT_CEL_BUDGET): CelCompileResult {
  if (!lib || !env) throw new Error('compileCel called before loadCel');
  const { isCelError, parse, plan } = lib;
  let parsed: ReturnType<CelLib['parse']>;
  try {
    parsed = parse(source);
  } catch (err: unknown) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const unknown = undeclared(parsed.expr);
  if (unknown) return { ok: false, error: unknown };
  tickComprehensions(parsed.expr as unknown as Parameters<typeof tickComprehensions>[0]);
  const program = plan(env, parsed);
  const run = (object: KubeObject, oldObject?: KubeObject): CelOutcome => {
    const vars = { object: celInput(object), oldObject: oldObject ? celInput(oldObject) : null };
    const meter = new CelMeter(budget);
    let r: unknown;
    try {
      r = metered(meter, () => program(vars));
    } catch (err: unknown) {
      // The evaluator promises not to throw; an object it cannot represent is still only a non-match.
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    // Checked first: `||` and `&&` can absorb the error that stopped the evaluation.
    if (meter.exceeded)
      return { ok: false, overBudget: true, error: `evaluation budget exceeded (${meter.exceeded})` };
    if (isCelError(r)) return { ok: false, error: r.message };
    if (typeof r !== 'boolean') return { ok: false, error: `expression yields ${typeof r}, not bool` };
    return { ok: true, value: r };
  };
  const outcomes = new Map<string, CelOutcome>();
  return {
    ok: true,
    condition: {
      source,
      evaluate(object, oldObject) {
        const key = versionKey(object, oldObject);
        const known = key === undefined ? undefined : outcomes.get(key);
        if (known) return known;
        const outcome = run(object, oldObject);
        if (key === undefined) return outcome;
        outcomes.set(key, outcome);
        if (outcomes.size > REMEMBERED_OUTCOMES) outcomes.delete(outcomes.keys().next().value as string);
        return outcome;
      },
    },
  };
}

/**
 * Identifies the input of an evaluation: the object's uid and resourceVersion (a version's content
 * never changes), and the previous state's resourceVersion. Undefined when either is missing.
 */
function versionKey(object: KubeObject, oldObject?: KubeObject): string | undefined {
  const { uid, resourceVersion } = object.metadata ?? {};
  if (!uid || !resourceVersion) return undefined;
  const old = oldObject ? `old:${oldObject.metadata?.resourceVersion ?? ''}` : 'none';
  return `${uid}/${resourceVersion}/${old}`;
}

/** A node of the parsed expression tree, as far as the walk below needs it. */
interface Node {
  exprKind: { case: string | undefined; value?: unknown };
}

/** The first name the expression uses that is neither a declared variable nor a known function. */
function undeclared(root: Node): string | undefined {
  const walk = (n: Node | undefined, bound: ReadonlySet<string>): string | undefined => {
    if (!n) return undefined;
    const v = n.exprKind.value as Record<string, unknown>;
    switch (n.exprKind.case) {
      case 'identExpr': {
        const name = v.name as string;
        const known = bound.has(name) || (CEL_VARIABLES as readonly string[]).includes(name);
        return known ? undefined : `undeclared reference to '${name}' (use object or oldObject)`;
      }
      case 'selectExpr':
        return walk(v.operand as Node, bound);
      case 'callExpr': {
        const fn = v.function as string;
        if (/^[A-Za-z]/.test(fn) && !env?.funcs.find(fn)) return `undeclared reference to function '${fn}'`;
        for (const c of [v.target as Node | undefined, ...(v.args as Node[])]) {
          const e = walk(c, bound);
          if (e) return e;
        }
        return undefined;
      }
      case 'listExpr':
        return firstOf(v.elements as Node[], (c) => walk(c, bound));
      case 'structExpr':
        return firstOf(v.entries as { mapKey?: Node; value?: Node }[], (e) =>
          firstOf([e.mapKey, e.value], (c) => walk(c, bound)),
        );
      case 'comprehensionExpr': {
        const inner = new Set([...bound, v.iterVar as string, v.iterVar2 as string, v.accuVar as string]);
        return (
          walk(v.iterRange as Node, bound) ??
          walk(v.accuInit as Node, bound) ??
          firstOf([v.loopCondition, v.loopStep, v.result] as Node[], (c) => walk(c, inner))
        );
      }
      default:
        return undefined;
    }
  };
  return walk(root, new Set());
}

function firstOf<T>(items: readonly T[], f: (t: T) => string | undefined): string | undefined {
  for (const i of items) {
    const r = f(i);
    if (r) return r;
  }
  return undefined;
}

/** JSON values as CEL sees them: whole numbers become `int` (as in Kubernetes CEL), others `double`. */
type CelJson = null | boolean | string | number | bigint | CelJson[] | { [k: string]: CelJson };

const converted = new WeakMap<object, CelJson>();

/**
 * The object as a CEL value, converted once per object (every detection on a feed shares it) and
 * forgotten with the object.
 */
export function celInput(obj: KubeObject): CelJson {
  let v = converted.get(obj);
  if (v === undefined) {
    v = toCel(obj);
    converted.set(obj, v);
  }
  return v;
}

function toCel(v: unknown): CelJson {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toCel);
  if (typeof v === 'object') {
    const out: { [k: string]: CelJson } = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toCel(x);
    return out;
  }
  return null;
}
