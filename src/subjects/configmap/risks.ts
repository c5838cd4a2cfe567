import { asRecord, asString, type Json } from '../read.js';
import { cve } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';

/** What the ConfigMap rules read: the names and values of `data` (binaryData is never read). */
export interface ConfigMapView {
  data: Record<string, string>;
}

/** Reads a ConfigMap's string data; odd shapes read as empty. */
export function readConfigMap(obj: Json): ConfigMapView {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(obj.data) ?? {})) {
    const s = asString(v);
    if (s !== undefined) data[k] = s;
  }
  return { data };
}

/** `true` as ingress-nginx parses a boolean setting (Go's strconv.ParseBool). */
const isTrue = (v: string | undefined): boolean =>
  v !== undefined && ['1', 't', 'true'].includes(v.trim().toLowerCase());

/**
 * The ingress-nginx controller setting that lets every Ingress writer paste raw configuration:
 * `allow-snippet-annotations` (1.12 and later also need `annotations-risk-level: Critical`, named
 * when set; older controllers need nothing more). Only these keys are read, so any ConfigMap can be
 * checked: the key names belong to ingress-nginx alone.
 */
function snippetsAllowed(cm: ConfigMapView): string[] {
  if (!isTrue(cm.data['allow-snippet-annotations'])) return [];
  const critical = cm.data['annotations-risk-level']?.trim().toLowerCase() === 'critical';
  return [
    'data.allow-snippet-annotations: true',
    ...(critical ? ['data.annotations-risk-level: Critical'] : []),
  ];
}

/** Risk rules of ConfigMaps (the ingress-nginx controller's configuration). */
export const CONFIGMAP_RULES: readonly RiskRule<ConfigMapView>[] = [
  {
    id: 'configmap.nginx-snippets-allowed',
    severity: 'Medium',
    title: 'Lets Ingress annotations carry raw NGINX configuration (ingress-nginx controller settings)',
    description:
      'allow-snippet-annotations: "true" makes ingress-nginx accept snippet annotations from anyone who can write an Ingress, who can then read the controller’s service account token and every Secret it sees. Each Ingress that uses a snippet is High on its own.',
    reference: cve('CVE-2021-25742'),
    check: snippetsAllowed,
  },
];
