/**
 * Who may post to a receiver that can change alerts: mutual TLS alone is not enough, because the CA
 * that signed the API server's client certificate (often the cluster CA) also signs kubelets and
 * users. After the CA check, the client certificate must name one of the pinned identities.
 */

/** The parts of a peer certificate the check reads (a subset of node:tls `PeerCertificate`). */
export interface PeerIdentity {
  subject?: { CN?: string | string[] } | undefined;
  /** `DNS:a, URI:spiffe://b, IP Address:1.2.3.4`, as node:tls reports it. */
  subjectaltname?: string | undefined;
}

/** Splits a comma-separated flag value into names; blanks dropped. */
export function parseClientNames(value: string): string[] {
  return value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
}

/** The names a certificate claims: every subject CN, then its DNS and URI subjectAltNames. */
export function certificateNames(peer: PeerIdentity | undefined): string[] {
  const cn = peer?.subject?.CN;
  const names = cn === undefined ? [] : Array.isArray(cn) ? [...cn] : [cn];
  for (const entry of (peer?.subjectaltname ?? '').split(', ')) {
    const m = /^(DNS|URI):(.+)$/.exec(entry.trim());
    if (m?.[2]) names.push(m[2]);
  }
  return names;
}

/**
 * True when the (already CA-verified) certificate names one of `allowed`, compared exactly and
 * case-sensitively (Kubernetes user names are). An empty allow-list admits nobody: fail closed.
 */
export function identityAllowed(peer: PeerIdentity | undefined, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return false;
  return certificateNames(peer).some((n) => allowed.includes(n));
}
