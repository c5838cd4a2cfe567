import { subjectRef } from '../generic.js';
import type { Json, Notes } from '../read.js';
import {
  asNumber,
  asRecord,
  asString,
  compact,
  list,
  read,
  rec,
  records,
  str,
  strings,
  unique,
} from '../read.js';
import type { KindAnalysis } from '../types.js';

/** Annotation that selected the controller before `spec.ingressClassName` existed. */
const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** Where a path or the default sends traffic: a Service port, or another resource. */
interface Backend extends Json {
  service?: string;
  port?: string | number;
  resource?: string;
}

const asPort = (v: unknown): string | number | undefined => asNumber(v) ?? asString(v);

/**
 * A backend in either shape: `networking.k8s.io/v1` (`service.name`, `service.port.number|name`,
 * `resource`) or the removed `v1beta1` (`serviceName`, `servicePort`).
 */
function backend(b: Json | undefined, path: string, notes: Notes): Backend | undefined {
  if (!b) return undefined;
  const service = rec(b, 'service', `${path}.service`, notes);
  if (service) {
    const port = rec(service, 'port', `${path}.service.port`, notes);
    return compact({
      service: str(service, 'name', `${path}.service.name`, notes),
      port:
        read(port, 'number', `${path}.service.port.number`, asNumber, notes) ??
        str(port, 'name', `${path}.service.port.name`, notes),
    });
  }
  const resource = rec(b, 'resource', `${path}.resource`, notes);
  if (resource) {
    const kind = str(resource, 'kind', `${path}.resource.kind`, notes) ?? '?';
    return { resource: `${kind}/${str(resource, 'name', `${path}.resource.name`, notes) ?? '?'}` };
  }
  const legacy = str(b, 'serviceName', `${path}.serviceName`, notes);
  if (legacy !== undefined) {
    return compact({ service: legacy, port: read(b, 'servicePort', `${path}.servicePort`, asPort, notes) });
  }
  notes.add(`${path} names neither a service nor a resource`);
  return {};
}

const backendText = (b: Backend): string =>
  b.resource ?? (b.port === undefined ? (b.service ?? '?') : `${b.service ?? '?'}:${b.port}`);

function rules(spec: Json | undefined, notes: Notes): Json[] {
  return records(list(spec, 'rules', 'spec.rules', notes), 'spec.rules', notes).map(([rule, p]) => {
    const http = rec(rule, 'http', `${p}.http`, notes);
    const paths = records(list(http, 'paths', `${p}.http.paths`, notes), `${p}.http.paths`, notes);
    return compact({
      host: str(rule, 'host', `${p}.host`, notes),
      paths: paths.map(([hp, pp]) =>
        compact({
          path: str(hp, 'path', `${pp}.path`, notes),
          pathType: str(hp, 'pathType', `${pp}.pathType`, notes),
          backend: backend(rec(hp, 'backend', `${pp}.backend`, notes), `${pp}.backend`, notes),
        }),
      ),
    });
  });
}

function tls(spec: Json | undefined, notes: Notes): Json[] {
  return records(list(spec, 'tls', 'spec.tls', notes), 'spec.tls', notes).map(([t, p]) =>
    compact({
      hosts: strings(list(t, 'hosts', `${p}.hosts`, notes), `${p}.hosts`, notes),
      secretName: str(t, 'secretName', `${p}.secretName`, notes),
    }),
  );
}

/** Up to three items, then "+N more". */
export function few(items: string[]): string {
  return items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} +${items.length - 3} more`;
}

function ingressSummary(obj: Json, hosts: string[], backends: string[], e: Json): string {
  const where = [...hosts.slice(0, 3), ...(e.anyHost ? ['any host'] : [])];
  const more = hosts.length > 3 ? ` +${hosts.length - 3} more` : '';
  const to = backends.length > 0 ? ` to ${few(backends)}` : '';
  const cls = e.ingressClassName ?? e.classAnnotation;
  const covered = hosts.length - (e.hostsWithoutTLS as string[]).length;
  const tlsText = (e.tls as Json[]).length === 0 ? 'no TLS' : `TLS for ${covered} of ${hosts.length} hosts`;
  const clsText = typeof cls === 'string' ? `class ${cls}` : 'no ingress class';
  return `Ingress ${subjectRef(obj)} routes ${where.join(', ') || 'nothing'}${more}${to} (${clsText}, ${tlsText})`;
}

/** Ingress: class, hosts, paths, backends and TLS, in the current and the removed `v1beta1` shape. */
export function analyseIngress(obj: Json, notes: Notes): KindAnalysis {
  const spec = rec(obj, 'spec', 'spec', notes);
  if (!spec) notes.add('spec is missing; no routing could be read');
  const annotations = asRecord(asRecord(obj.metadata)?.annotations);
  const ruleList = rules(spec, notes);
  const tlsList = tls(spec, notes);
  // networking.k8s.io/v1 says defaultBackend; the removed v1beta1 said backend.
  const defaultKey = spec?.defaultBackend !== undefined ? 'defaultBackend' : 'backend';
  const defaultBackend = backend(
    rec(spec, defaultKey, `spec.${defaultKey}`, notes),
    `spec.${defaultKey}`,
    notes,
  );
  const hosts = unique(ruleList.flatMap((r) => (typeof r.host === 'string' ? [r.host] : [])));
  const tlsHosts = new Set(tlsList.flatMap((t) => (t.hosts as string[] | undefined) ?? []));
  const backends = unique(
    [
      defaultBackend,
      ...ruleList.flatMap((r) =>
        ((r.paths as Json[] | undefined) ?? []).map((p) => p.backend as Backend | undefined),
      ),
    ]
      .filter((b): b is Backend => b !== undefined)
      .map(backendText),
  );
  const evidence = compact({
    ingressClassName: str(spec, 'ingressClassName', 'spec.ingressClassName', notes),
    classAnnotation: asString(annotations?.[CLASS_ANNOTATION]),
    hosts,
    anyHost: ruleList.some((r) => r.host === undefined || r.host === '') || undefined,
    hostsWithoutTLS: hosts.filter((h) => !tlsHosts.has(h)),
    defaultBackend,
    backends,
    rules: ruleList,
    tls: tlsList,
  });
  return { evidence, summary: ingressSummary(obj, hosts, backends, evidence) };
}
