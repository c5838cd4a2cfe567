import { asRecord, asString, type Json, list, Notes, records, strings } from '../read.js';
import { cve, doc } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';
import {
  annotationsNamed,
  injectedAnnotations,
  sensitivePaths,
  snippetAnnotations,
  withoutTls,
} from './checks.js';
import type { IngressView, ServiceBackend } from './view.js';

export type { IngressView, ServiceBackend } from './view.js';

/** Annotation that selected the controller before `spec.ingressClassName` existed. */
const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** Annotation that holds the whole applied object: never read, never shown. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function serviceOf(b: Json | undefined): string | undefined {
  return asString(asRecord(b?.service)?.name) ?? asString(b?.serviceName);
}

/** Reads an Ingress for the rules below; odd shapes read as empty. */
export function readIngress(obj: Json): IngressView {
  const notes = new Notes();
  const spec = asRecord(obj.spec) ?? {};
  const meta = asRecord(obj.metadata);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(meta?.annotations) ?? {}))
    if (typeof v === 'string' && k !== LAST_APPLIED) annotations[k] = v;
  const services: ServiceBackend[] = [];
  const defaultKey = spec.defaultBackend !== undefined ? 'defaultBackend' : 'backend';
  const defaultService = serviceOf(asRecord(spec[defaultKey]));
  if (defaultService) services.push({ name: defaultService, where: `spec.${defaultKey}` });
  const rules = records(list(spec, 'rules', 'spec.rules', notes), 'spec.rules', notes).map(([r, p]) => {
    const paths = records(
      list(asRecord(r.http), 'paths', `${p}.http.paths`, notes),
      `${p}.http.paths`,
      notes,
    );
    for (const [hp, pp] of paths) {
      const name = serviceOf(asRecord(hp.backend));
      if (name) services.push({ name, where: pp });
    }
    return { host: asString(r.host), paths: paths.map(([hp]) => asString(hp.path) ?? '') };
  });
  const tls = records(list(spec, 'tls', 'spec.tls', notes), 'spec.tls', notes).map(([t, p]) =>
    strings(list(t, 'hosts', `${p}.hosts`, notes), `${p}.hosts`, notes),
  );
  return {
    namespace: asString(meta?.namespace) ?? '',
    className: asString(spec.ingressClassName) || asString(annotations[CLASS_ANNOTATION]) || undefined,
    annotations,
    rules,
    tlsHosts: tls.some((hosts) => hosts.length === 0) ? 'all' : tls.flat(),
    hasDefaultBackend: spec[defaultKey] !== undefined && spec[defaultKey] !== null,
    services,
  };
}

/** Risk rules of Ingresses. */
export const INGRESS_RULES: readonly RiskRule<IngressView>[] = [
  {
    id: 'ingress.no-tls',
    severity: 'Medium',
    title: 'Serves hosts without TLS',
    description:
      'Hosts not listed under spec.tls are served over plain HTTP: credentials and cookies cross the network in clear text.',
    reference: doc(
      'Kubernetes Ingress: TLS',
      'https://kubernetes.io/docs/concepts/services-networking/ingress/#tls',
    ),
    check: withoutTls,
  },
  {
    id: 'ingress.wildcard-host',
    severity: 'Medium',
    title: 'Routes a wildcard host',
    description:
      'A *. host sends every subdomain, including ones nobody registered on purpose, to the backend.',
    reference: doc(
      'Kubernetes Ingress: hostname wildcards',
      'https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards',
    ),
    check: (ing) => ing.rules.filter((r) => r.host?.startsWith('*')).map((r) => `host ${r.host}`),
  },
  {
    id: 'ingress.empty-host',
    severity: 'Medium',
    title: 'Routes requests for any host name',
    description:
      'A rule without a host (or a default backend) answers every host name and requests to the bare IP address: the backend is reachable by anyone who finds the load balancer.',
    reference: doc(
      'Kubernetes Ingress: Ingress rules',
      'https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-rules',
    ),
    check: (ing) => [
      ...ing.rules.flatMap((r, i) => (r.host ? [] : [`spec.rules[${i}] has no host`])),
      ...(ing.hasDefaultBackend ? ['spec.defaultBackend'] : []),
    ],
  },
  {
    id: 'ingress.default-class',
    severity: 'Low',
    title: 'Names no ingress class',
    description:
      'Without spec.ingressClassName (or the legacy kubernetes.io/ingress.class annotation) the cluster’s default class serves it, which may be a public controller.',
    reference: doc(
      'Kubernetes Ingress: default IngressClass',
      'https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class',
    ),
    check: (ing) => (ing.className === undefined ? ['spec.ingressClassName unset'] : []),
  },
  {
    id: 'ingress.snippet-annotation',
    severity: 'High',
    title: 'Uses a snippet annotation (raw NGINX configuration)',
    description:
      'Snippet annotations paste configuration into the controller, which can read its service account token and every Secret it can see; ingress-nginx disables them by default since 1.9.',
    reference: cve('CVE-2021-25742'),
    check: snippetAnnotations,
  },
  {
    id: 'ingress.annotation-injection',
    severity: 'Critical',
    title: 'An NGINX annotation value carries configuration injection',
    description:
      'Values with directive separators, braces, newlines, alias/root, Lua, load_module, ssl_engine or paths to /etc and service account tokens break out of the annotation into the controller’s configuration (file reads, code execution).',
    reference: cve('CVE-2023-5043', 'CVE-2023-5044', 'CVE-2025-1974'),
    check: injectedAnnotations,
  },
  {
    id: 'ingress.auth-url-annotation',
    severity: 'Medium',
    title: 'Uses the auth-url annotation',
    description:
      'auth-url is copied into the controller configuration; unpatched ingress-nginx lets it inject directives (IngressNightmare).',
    reference: cve('CVE-2025-24514'),
    check: annotationsNamed(['auth-url']),
  },
  {
    id: 'ingress.auth-tls-match-cn-annotation',
    severity: 'Medium',
    title: 'Uses the auth-tls-match-cn annotation',
    description:
      'auth-tls-match-cn is copied into the controller configuration; unpatched ingress-nginx lets it inject directives (IngressNightmare).',
    reference: cve('CVE-2025-1097'),
    check: annotationsNamed(['auth-tls-match-cn']),
  },
  {
    id: 'ingress.mirror-annotation',
    severity: 'Medium',
    title: 'Uses a mirror annotation (copies requests elsewhere)',
    description:
      'mirror-target, mirror-host and mirror-uri send a copy of every request, credentials included, to another address; unpatched ingress-nginx lets them inject directives.',
    reference: cve('CVE-2025-1098'),
    check: annotationsNamed(['mirror-target', 'mirror-host', 'mirror-uri']),
  },
  {
    id: 'ingress.sensitive-path',
    severity: 'High',
    title: 'Routes a path aimed at sensitive files',
    description:
      'Paths such as /.git, /.env, /etc/passwd or ../ publish repository metadata, credentials or host files, or try to traverse out of the web root.',
    reference: doc(
      'CWE-538 (File and Directory Information Exposure)',
      'https://cwe.mitre.org/data/definitions/538.html',
    ),
    check: sensitivePaths,
  },
  {
    id: 'ingress.backend-missing',
    severity: 'Medium',
    title: 'Routes to a Service that does not exist',
    description:
      'A backend Service that does not exist answers 503 today, and tomorrow sends the host’s traffic to whoever creates a Service of that name in the namespace.',
    reference: doc(
      'Kubernetes Ingress: the Ingress resource',
      'https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource',
    ),
    check: (ing) => {
      const exists = ing.serviceExists;
      if (!exists) return [];
      return ing.services
        .filter((s) => exists(ing.namespace, s.name) === false)
        .map((s) => `service ${s.name} (${s.where})`);
    },
  },
];
