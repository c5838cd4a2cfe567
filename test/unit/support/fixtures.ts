import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { AuditAlert, AuditAlertSpec } from '../../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../../src/api/kube-object.js';

/** Repository root (this file runs from dist/test/unit/support/). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Every YAML document of a file under the repository root. */
export function loadAll<T = unknown>(relative: string): T[] {
  const text = readFileSync(path.join(ROOT, relative), 'utf8');
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${relative}: ${doc.errors[0]?.message}`);
    return doc.toJS() as T;
  });
}

/** The one object of test/fixtures/subjects/NAME.yaml. */
export function subjectFixture(name: string): KubeObject {
  const [obj] = loadAll<KubeObject>(`test/fixtures/subjects/${name}.yaml`);
  if (!obj) throw new Error(`fixture ${name} is empty`);
  return obj;
}

/** The detections shipped in a folder (default: the default ones in manifests/detections/), by name. */
export function defaultDetections(folder = 'manifests/detections'): Map<string, AuditDetection> {
  const dir = path.join(ROOT, folder);
  const out = new Map<string, AuditDetection>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const d of loadAll<AuditDetection>(`${folder}/${file}`)) out.set(d.metadata.name ?? file, d);
  }
  return out;
}

/**
 * A minimal AuditAlert named `name` (detection `name` without its suffix, Low, Other, Created),
 * its spec fields as given in `spec`.
 */
export function minimalAlert(name: string, spec: Partial<AuditAlertSpec> = {}): AuditAlert {
  return {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditAlert',
    metadata: { name },
    spec: {
      detection: { name: name.replace(/-[0-9a-f]{10}$/, ''), generation: 1 },
      severity: 'Low',
      category: 'Other',
      event: 'Created',
      summary: 's',
      subject: { apiVersion: 'v1', kind: 'Pod', name: 'p' },
      detectedAt: '2026-11-23T00:00:00.000Z',
      ...spec,
    },
  };
}
