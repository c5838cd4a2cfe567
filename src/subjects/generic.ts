import type { Json, Notes } from './read.js';
import { asRecord, compact, list, MAX_ITEMS, num, rec, records, str, strings, truncateUtf8 } from './read.js';
import type { KindAnalysis } from './types.js';

/** Annotation that holds the whole applied object, possibly with secret values: never copied. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Longest annotation value kept in evidence, in bytes. */
export const MAX_ANNOTATION_BYTES = 1024;
/** Most labels or annotations kept in evidence. */
const MAX_ENTRIES = 64;

/** `namespace/name`, or `name` for a cluster-scoped object; `?` for what is missing. */
export function subjectRef(obj: Json): string {
  const meta = asRecord(obj.metadata);
  const name = typeof meta?.name === 'string' ? meta.name : '?';
  return typeof meta?.namespace === 'string' && meta.namespace ? `${meta.namespace}/${name}` : name;
}

/** The string entries of a map (labels, annotations), at most {@link MAX_ENTRIES}, others noted. */
export function stringMap(
  from: Json | undefined,
  key: string,
  path: string,
  notes: Notes,
): Record<string, string> {
  const map = rec(from, key, path, notes) ?? {};
  const out: Record<string, string> = {};
  const entries = Object.entries(map);
  for (const [k, v] of entries.slice(0, MAX_ENTRIES)) {
    if (typeof v === 'string') out[k] = v;
    else notes.add(`${path}[${JSON.stringify(k)}] is not a string; skipped`);
  }
  if (entries.length > MAX_ENTRIES) notes.add(`${path} has ${entries.length} entries; kept ${MAX_ENTRIES}`);
  return out;
}

/** Annotations without last-applied-configuration, each value cut to {@link MAX_ANNOTATION_BYTES}. */
function annotations(meta: Json | undefined, notes: Notes): Record<string, string> {
  const all = stringMap(meta, 'annotations', 'metadata.annotations', notes);
  delete all[LAST_APPLIED];
  for (const [k, v] of Object.entries(all)) {
    const cut = truncateUtf8(v, MAX_ANNOTATION_BYTES);
    if (cut === v) continue;
    all[k] = `${cut}…`;
    notes.add(`annotation ${k} is ${Buffer.byteLength(v)} bytes; kept the first ${MAX_ANNOTATION_BYTES}`);
  }
  return all;
}

/**
 * The objects of the list `metadata.<key>`, each as `pick` makes it (compacted); `field` reads one
 * of its string fields, noting a wrong type.
 */
function metadataList(
  meta: Json | undefined,
  key: string,
  notes: Notes,
  pick: (field: (name: string) => string | undefined, item: Json) => Json,
): Json[] {
  const path = `metadata.${key}`;
  return records(list(meta, key, path, notes), path, notes).map(([item, p]) =>
    compact(pick((name) => str(item, name, `${p}.${name}`, notes), item)),
  );
}

const ownerReferences = (meta: Json | undefined, notes: Notes): Json[] =>
  metadataList(meta, 'ownerReferences', notes, (field, o) => ({
    apiVersion: field('apiVersion'),
    kind: field('kind'),
    name: field('name'),
    controller: o.controller === true ? true : undefined,
  }));

/** managedFields without the field sets: who wrote the object, how and when. */
const managers = (meta: Json | undefined, notes: Notes): Json[] =>
  metadataList(meta, 'managedFields', notes, (field) => ({
    manager: field('manager'),
    operation: field('operation'),
    subresource: field('subresource') || undefined,
    time: field('time'),
  }));

/** `value` unless it is an empty list or map, which would only add noise to evidence. */
const nonEmpty = <T extends object>(value: T): T | undefined =>
  Object.keys(value).length > 0 ? value : undefined;

/** The metadata facts every alert carries, whatever the kind. */
export function readMetadata(obj: Json, notes: Notes): Json {
  const meta = rec(obj, 'metadata', 'metadata', notes);
  if (!meta) notes.add('metadata is missing');
  const finalizers = strings(
    list(meta, 'finalizers', 'metadata.finalizers', notes),
    'metadata.finalizers',
    notes,
  );
  return compact({
    creationTimestamp: str(meta, 'creationTimestamp', 'metadata.creationTimestamp', notes),
    generation: num(meta, 'generation', 'metadata.generation', notes),
    deletionTimestamp: str(meta, 'deletionTimestamp', 'metadata.deletionTimestamp', notes),
    labels: nonEmpty(stringMap(meta, 'labels', 'metadata.labels', notes)),
    annotations: nonEmpty(annotations(meta, notes)),
    ownerReferences: nonEmpty(ownerReferences(meta, notes)),
    finalizers: nonEmpty(finalizers),
    managedFields: nonEmpty(managers(meta, notes)),
  });
}

/** Up to {@link MAX_ITEMS} top-level scalar fields of `spec`, and the names of the others. */
function specOutline(spec: Json): Json {
  const scalars: Json = {};
  const nested: string[] = [];
  for (const [k, v] of Object.entries(spec).slice(0, MAX_ITEMS)) {
    if (typeof v === 'string') scalars[k] = truncateUtf8(v, MAX_ANNOTATION_BYTES);
    else if (typeof v === 'number' || typeof v === 'boolean') scalars[k] = v;
    else if (v !== null && v !== undefined) nested.push(k);
  }
  return compact({ fields: scalars, nestedFields: nested.length > 0 ? nested : undefined });
}

/** Any kind without its own analyser: the outline of its spec. */
export function analyseGeneric(obj: Json, notes: Notes): KindAnalysis {
  const spec = rec(obj, 'spec', 'spec', notes);
  const kind = typeof obj.kind === 'string' ? obj.kind : 'Object';
  return {
    evidence: spec ? { spec: specOutline(spec) } : {},
    summary: `${kind} ${subjectRef(obj)}`,
  };
}
