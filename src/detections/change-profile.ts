/**
 * Which parts of an object count as a change for a detection (`spec.changes`), compiled once per
 * detection generation into a projection: the change key is a digest of the projection, so only a
 * change of the counted fields raises an Updated alert, and the same version of those fields always
 * yields the same key (and so the same alert name), however often it is observed.
 */

import { createHash } from 'node:crypto';
import type { AuditDetectionSpec } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import { relevantState, stableJson } from '../subjects/changes.js';
import { writeName, writesTo } from '../subjects/writes.js';
import { compileGlob, type Glob } from './glob.js';

/** `spec.changes` of an AuditDetection. */
export type ChangesSpec = NonNullable<AuditDetectionSpec['changes']>;

/** A compiled `spec.changes`: the part of an object whose change counts. */
export interface ChangeProfile {
  /** Equal specs give equal ids, so detections with the same profile share one change memory. */
  readonly id: string;
  /** The counted part of the object; its digest keys the change, its diff is the evidence. */
  project(obj: KubeObject): Record<string, unknown>;
}

/** Everything but status and server-written metadata (detections without `spec.changes`). */
export const DEFAULT_PROFILE: ChangeProfile = { id: 'default', project: relevantState };

/** The metadata fields a person or tool writes; the rest of metadata is server-written. */
const METADATA_FIELDS: ReadonlySet<string> = new Set([
  'metadata.labels',
  'metadata.annotations',
  'metadata.ownerReferences',
]);
const FIELD_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const TOP_FIELD = /^[A-Za-z0-9_-]+$/;

/** Why `spec.fields` entry `f` can never count, or undefined when it can. */
function fieldError(f: string): string | undefined {
  if (!FIELD_PATH.test(f)) return 'is not a dot-separated field path';
  if (f === 'status' || f.startsWith('status.')) return 'status never counts as a change';
  if ((f === 'metadata' || f.startsWith('metadata.')) && !METADATA_FIELDS.has(f))
    return 'under metadata only labels, annotations and ownerReferences can be named';
  return undefined;
}

/**
 * What the CRD schema also refuses (repeated here so a detection applied without the schema, or
 * read from a file by `tripline analyze`, fails the same way), as readable errors.
 */
export function changesErrors(spec: ChangesSpec | undefined): string[] {
  if (!spec) return [];
  const errors: string[] = [];
  for (const [i, f] of (spec.fields ?? []).entries()) {
    const why = fieldError(f);
    if (why) errors.push(`spec.changes.fields[${i}]: "${f}" ${why}`);
  }
  for (const [i, f] of (spec.writtenFields ?? []).entries())
    if (!TOP_FIELD.test(f))
      errors.push(`spec.changes.writtenFields[${i}]: "${f}" is not a top-level field name`);
  if (spec.fields?.length === 0 && (spec.writtenFields ?? []).length === 0)
    errors.push('spec.changes: counts nothing; list fields, writtenFields or both');
  return errors;
}

/** The profile of a detection's `spec.changes` (the default profile when absent). */
export function changeProfile(spec: ChangesSpec | undefined): ChangeProfile {
  if (!spec) return DEFAULT_PROFILE;
  const id = `changes:${createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 12)}`;
  const ignore = (spec.ignoreAnnotations ?? []).map(compileGlob);
  const fields = spec.fields;
  const written = spec.writtenFields ?? [];
  return {
    id,
    project(obj) {
      const base = withoutAnnotations(relevantState(obj), ignore);
      const out = fields ? pick(base, fields) : base;
      const writes = written.length > 0 ? writesTo(obj, written) : [];
      if (writes.length === 0) return out;
      // Under metadata.managedFields, where they come from: no field of the object can collide.
      const managedFields = Object.fromEntries(
        writes.map((w) => [writeName(w), { time: w.time ?? '', fields: w.fields }]),
      );
      const metadata = { ...((out.metadata as Record<string, unknown> | undefined) ?? {}), managedFields };
      return { ...out, metadata };
    },
  };
}

/** `state` with the annotations matching `ignore` left out (a copy; the input is not changed). */
function withoutAnnotations(
  state: Record<string, unknown>,
  ignore: readonly Glob[],
): Record<string, unknown> {
  const meta = state.metadata as Record<string, unknown> | undefined;
  const annotations = meta?.annotations as Record<string, unknown> | undefined;
  if (!meta || !annotations || ignore.length === 0) return state;
  const kept = Object.fromEntries(
    Object.entries(annotations).filter(([k]) => !ignore.some((r) => r.test(k))),
  );
  const { annotations: _a, ...rest } = meta;
  const metadata = Object.keys(kept).length > 0 ? { ...rest, annotations: kept } : rest;
  const { metadata: _m, ...others } = state;
  return Object.keys(metadata).length > 0 ? { ...others, metadata } : others;
}

/** Only the given dot paths of `state`, nested as in `state`; absent paths are left out. */
function pick(state: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const parts = path.split('.');
    let from: unknown = state;
    for (const p of parts) from = (from as Record<string, unknown> | undefined)?.[p];
    if (from === undefined) continue;
    let into = out;
    for (const p of parts.slice(0, -1)) {
      const next = (into[p] as Record<string, unknown> | undefined) ?? {};
      into[p] = next;
      into = next;
    }
    into[parts.at(-1) as string] = from;
  }
  return out;
}
