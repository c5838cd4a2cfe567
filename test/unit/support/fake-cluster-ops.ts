/**
 * The pure parts of the fake API server (fake-cluster.ts): patch formats and selectors, as the
 * real API server applies them, to the extent the operator uses them.
 */

type Json = unknown;
type JsonObject = Record<string, unknown>;

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch (also used for strategic-merge and apply patches: see ADR 0023). */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** One RFC 6902 operation; `move` and `copy` are not used by the operator and not modelled. */
interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: Json;
}

/** Thrown when a JSON patch cannot apply (the API server answers 422 Invalid). */
export class PatchError extends Error {}

/** RFC 6902 JSON patch; a failed `test` or a missing path throws {@link PatchError}. */
export function jsonPatch(target: Json, ops: JsonPatchOp[]): Json {
  let doc = structuredClone(target);
  for (const op of ops) doc = applyOp(doc, op);
  return doc;
}

function applyOp(doc: Json, op: JsonPatchOp): Json {
  const tokens = op.path
    .split('/')
    .slice(1)
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (tokens.length === 0) {
    if (op.op === 'test') return testValue(doc, op);
    return op.op === 'remove' ? null : structuredClone(op.value);
  }
  const last = tokens.pop() as string;
  let parent: Json = doc;
  for (const t of tokens) {
    parent = isObject(parent) || Array.isArray(parent) ? (parent as JsonObject)[t] : undefined;
    if (parent === undefined) throw new PatchError(`path ${op.path} does not exist`);
  }
  const container = parent as JsonObject;
  if (op.op === 'test') {
    testValue(container[last], op);
    return doc;
  }
  if (op.op !== 'add' && !(last in container)) throw new PatchError(`path ${op.path} does not exist`);
  if (Array.isArray(container)) {
    const list = container as Json[];
    const i = last === '-' ? list.length : Number(last);
    if (op.op === 'remove') list.splice(i, 1);
    else list.splice(i, op.op === 'add' ? 0 : 1, structuredClone(op.value));
  } else if (op.op === 'remove') delete container[last];
  else container[last] = structuredClone(op.value);
  return doc;
}

function testValue(actual: Json, op: JsonPatchOp): Json {
  if (JSON.stringify(actual) !== JSON.stringify(op.value))
    throw new PatchError(`testing value ${op.path} failed`);
  return actual;
}

/**
 * True when `labels` satisfy an equality- or existence-based label selector (`a=b,c!=d,e,!f`);
 * set-based terms (`in`, `notin`) are not modelled.
 */
export function matchesLabels(labels: Record<string, string> | undefined, selector: string): boolean {
  const l = labels ?? {};
  return terms(selector).every((term) => {
    if (term.startsWith('!')) return !(term.slice(1) in l);
    const ne = term.split('!=');
    if (ne.length === 2) return l[ne[0] as string] !== ne[1];
    const eq = term.split(/==?/);
    if (eq.length === 2) return l[eq[0] as string] === eq[1];
    return term in l;
  });
}

/**
 * True when the object's fields satisfy a field selector (`metadata.name=x,status.state!=y`).
 * The real API server serves only the fields a resource declares selectable; the fake serves any
 * dotted path, so a test must not rely on it to prove a field is selectable.
 */
export function matchesFields(obj: JsonObject, selector: string): boolean {
  return terms(selector).every((term) => {
    const ne = term.split('!=');
    const [path, want] = ne.length === 2 ? ne : term.split(/==?/);
    let v: Json = obj;
    for (const part of (path as string).split('.')) v = isObject(v) ? v[part] : undefined;
    const equal = String(v ?? '') === want;
    return ne.length === 2 ? !equal : equal;
  });
}

const terms = (selector: string): string[] =>
  selector
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
