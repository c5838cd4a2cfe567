import 'reflect-metadata'; // before @peculiar/x509: its tsyringe needs the Reflect metadata API at load
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
// One WebCrypto provider for every certificate operation: Node's own.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** A certificate and its private key, PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** What the webhook servers present: the serving pair, plus the CA that clients must trust. */
export interface CertBundle {
  ca: KeyPair;
  serving: KeyPair;
}

/** Lifetimes and renewal margins of generated certificates. */
export const CERT_LIFETIME = {
  caDays: 3650,
  /** A CA this close to expiry is replaced (the caBundle is re-patched; audit kubeconfigs need the new CA). */
  caRenewDays: 365,
  servingDays: 365,
  /** A serving certificate this close to expiry is re-issued from the same CA. */
  servingRenewDays: 30,
} as const;

const DAY_MS = 86_400_000;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** What a bundle needs, if anything: nothing, a new serving certificate, or a new CA (and serving certificate). */
export type Renewal = 'none' | 'serving' | 'ca';

/** A self-signed CA valid from `now` for {@link CERT_LIFETIME.caDays}. */
export async function createCa(now: Date): Promise<KeyPair> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=tripline-webhook-ca',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CERT_LIFETIME.caDays * DAY_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** A serving certificate for `hosts` (DNS names and IP addresses), signed by `ca`. */
export async function issueServing(ca: KeyPair, hosts: readonly string[], now: Date): Promise<KeyPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const names = hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h }));
  const notAfter = Math.min(now.getTime() + CERT_LIFETIME.servingDays * DAY_MS, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${hosts[0] ?? 'tripline-webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** A new CA and a serving certificate from it. */
export async function createBundle(hosts: readonly string[], now: Date): Promise<CertBundle> {
  const ca = await createCa(now);
  return { ca, serving: await issueServing(ca, hosts, now) };
}

/**
 * What an existing bundle needs at `now`: a new CA when it is unreadable or expires within
 * {@link CERT_LIFETIME.caRenewDays}; a new serving certificate when that one expires within
 * {@link CERT_LIFETIME.servingRenewDays}, names other hosts than asked, or is not signed by the CA.
 */
export async function renewalNeeded(b: CertBundle, hosts: readonly string[], now: Date): Promise<Renewal> {
  let ca: x509.X509Certificate;
  let serving: x509.X509Certificate;
  try {
    ca = new x509.X509Certificate(b.ca.cert);
    serving = new x509.X509Certificate(b.serving.cert);
    await importKey(b.ca.key);
  } catch {
    return 'ca'; // unreadable material is replaced, never trusted
  }
  if (ca.notAfter.getTime() - now.getTime() < CERT_LIFETIME.caRenewDays * DAY_MS) return 'ca';
  if (serving.notAfter.getTime() - now.getTime() < CERT_LIFETIME.servingRenewDays * DAY_MS) return 'serving';
  const signed = await serving.verify({ publicKey: ca.publicKey, signatureOnly: true }).catch(() => false);
  if (!signed) return 'serving';
  const san = serving.getExtension(x509.SubjectAlternativeNameExtension);
  const named = new Set((san?.names.items ?? []).map((n) => n.value));
  return hosts.length === named.size && hosts.every((h) => named.has(h)) ? 'none' : 'serving';
}

/** The bundle renewed as {@link renewalNeeded} says (the CA is kept unless it is replaced). */
export async function renew(
  b: CertBundle | undefined,
  need: Renewal,
  hosts: readonly string[],
  now: Date,
): Promise<CertBundle> {
  if (!b || need === 'ca') return await createBundle(hosts, now);
  return { ca: b.ca, serving: await issueServing(b.ca, hosts, now) };
}

/** notAfter of a PEM certificate (for logs). */
export function expiryOf(pem: string): Date {
  return new x509.X509Certificate(pem).notAfter;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return await webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), EC, true, ['sign']);
}
