import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { loadAll } from './fixtures.js';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface Crd {
  spec: { versions: Array<{ storage: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }> };
}

/**
 * A validator for objects of a CRD in crds/, from its OpenAPI schema (types, enums, required,
 * maxLength, maxItems, patterns, date-time). CEL rules are not evaluated here; the e2e tests run
 * them on the real API server.
 */
export function crdValidator(file: string): ValidateFunction {
  const [crd] = loadAll<Crd>(`crds/${file}`);
  const version = crd?.spec.versions.find((v) => v.storage);
  if (!version) throw new Error(`${file}: no storage version`);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(version.schema.openAPIV3Schema);
}

/** The validator's errors as one readable string. */
export const errorsOf = (v: ValidateFunction): string =>
  (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
