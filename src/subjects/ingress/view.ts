/** The shape the Ingress rules read (src/subjects/ingress/risks.ts builds it, checks.ts uses it). */

/** Where a path sends traffic, when it is a Service. */
export interface ServiceBackend {
  name: string;
  /** Where the backend is written, for messages: `spec.rules[0].http.paths[1]`. */
  where: string;
}

/** An Ingress as the rules read it, in the current and the removed `v1beta1` shape. */
export interface IngressView {
  namespace: string;
  className: string | undefined;
  annotations: Record<string, string>;
  /** Each rule's host (`undefined` when it has none) and paths. */
  rules: Array<{ host: string | undefined; paths: string[] }>;
  /** Hosts listed under `spec.tls`; `all` when a TLS entry lists no hosts (the certificate serves every host). */
  tlsHosts: string[] | 'all';
  hasDefaultBackend: boolean;
  services: ServiceBackend[];
  /**
   * Whether a Service exists in the Ingress's namespace: `undefined` when it cannot be known (no
   * cluster, or the lookup failed). Absent: backends are not checked.
   */
  serviceExists?: (namespace: string, name: string) => boolean | undefined;
}
