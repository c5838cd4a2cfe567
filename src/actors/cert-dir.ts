import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyPair } from './certs.js';

/**
 * The serving pair from a directory with `tls.crt` and `tls.key`: a Secret of cert-manager (or any
 * other issuer) mounted into the Pod. Kubelet updates mounted Secrets in place, so reading again
 * picks up renewals; the caBundle is cert-manager's cainjector's job, not the operator's.
 */
export async function readCertDir(dir: string): Promise<KeyPair> {
  try {
    const [cert, key] = await Promise.all([
      readFile(path.join(dir, 'tls.crt'), 'utf8'),
      readFile(path.join(dir, 'tls.key'), 'utf8'),
    ]);
    return { cert, key };
  } catch (err: unknown) {
    throw new Error(`reading tls.crt and tls.key from ${dir}`, { cause: err });
  }
}
