import { execFile } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

/** A certificate and its private key, both as PEM files and as PEM text. */
export interface CertPair {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

/** What a leaf certificate is for, and who it names. */
export interface CertRequest {
  /** Subject CN (the user name for client certificates). */
  commonName: string;
  /** Subject O entries (the groups for client certificates). */
  organizations?: string[];
  usage: 'server' | 'client';
  /** subjectAltName entries such as `IP:127.0.0.1` or `DNS:localhost` (server certificates). */
  altNames?: string[];
}

/** Every file the local control plane needs for TLS, client auth and service-account tokens. */
export interface Pki {
  ca: CertPair;
  serving: CertPair;
  admin: CertPair;
  serviceAccountKeyPath: string;
  serviceAccountPubPath: string;
}

/** The admin identity: system:masters bypasses RBAC. */
export const ADMIN_USER = 'tripline-admin';

/** Generates a CA, a loopback serving cert, an admin client cert and a service-account key pair. */
export async function createPki(dir: string): Promise<Pki> {
  const [ca, sa] = await Promise.all([createCa(dir), writeServiceAccountKeys(dir)]);
  const [serving, admin] = await Promise.all([
    issueCert(ca, dir, 'serving', {
      commonName: 'kube-apiserver',
      usage: 'server',
      altNames: ['IP:127.0.0.1', 'DNS:localhost'],
    }),
    issueCert(ca, dir, 'admin', {
      commonName: ADMIN_USER,
      organizations: ['system:masters'],
      usage: 'client',
    }),
  ]);
  return { ca, serving, admin, ...sa };
}

/** Creates a self-signed CA (EC P-256, ten years) as `ca.crt`/`ca.key` in `dir`. */
export async function createCa(dir: string): Promise<CertPair> {
  const keyPath = await writeKey(dir, 'ca');
  const certPath = path.join(dir, 'ca.crt');
  const cnf = await writeConfig(dir, 'ca', [
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
    'subjectKeyIdentifier = hash',
  ]);
  await openssl(
    ['req', '-x509', '-new', '-utf8', '-config', cnf, '-extensions', 'ext', '-key', keyPath].concat([
      '-subj',
      '/CN=tripline-local-ca',
      '-days',
      '3650',
      '-sha256',
      '-out',
      certPath,
    ]),
  );
  return readPair(certPath, keyPath);
}

/** Issues a leaf certificate signed by `ca` as `<name>.crt`/`<name>.key` in `dir`. */
export async function issueCert(
  ca: CertPair,
  dir: string,
  name: string,
  req: CertRequest,
): Promise<CertPair> {
  const keyPath = await writeKey(dir, name);
  const certPath = path.join(dir, `${name}.crt`);
  const csrPath = path.join(dir, `${name}.csr`);
  const ext = [
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${req.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    'authorityKeyIdentifier = keyid',
  ];
  if (req.altNames?.length) ext.push(`subjectAltName = ${req.altNames.join(',')}`);
  const cnf = await writeConfig(dir, name, ext);
  await openssl([
    'req',
    '-new',
    '-utf8',
    '-config',
    cnf,
    '-key',
    keyPath,
    '-subj',
    subject(req),
    '-out',
    csrPath,
  ]);
  await openssl(
    ['x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-sha256']
      .concat(['-set_serial', `0x${randomBytes(15).toString('hex')}`, '-days', '365'])
      .concat(['-extfile', cnf, '-extensions', 'ext', '-out', certPath]),
  );
  return readPair(certPath, keyPath);
}

function subject(req: CertRequest): string {
  // openssl -subj separates RDNs with '/' and multi-valued RDNs with '+': escape both in values.
  const esc = (v: string) => v.replace(/[\\/+]/g, (c) => `\\${c}`);
  const orgs = (req.organizations ?? []).map((o) => `/O=${esc(o)}`).join('');
  return `${orgs}/CN=${esc(req.commonName)}`;
}

async function writeServiceAccountKeys(dir: string) {
  const { privateKey, publicKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const serviceAccountKeyPath = path.join(dir, 'sa.key');
  const serviceAccountPubPath = path.join(dir, 'sa.pub');
  await writeFile(serviceAccountKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  await writeFile(serviceAccountPubPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { serviceAccountKeyPath, serviceAccountPubPath };
}

async function writeKey(dir: string, name: string): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const keyPath = path.join(dir, `${name}.key`);
  await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return keyPath;
}

async function writeConfig(dir: string, name: string, ext: string[]): Promise<string> {
  // A config of our own, so the distribution's openssl.cnf cannot add or clash with extensions.
  const cnf = path.join(dir, `${name}.cnf`);
  await writeFile(cnf, ['[req]', 'distinguished_name = dn', '[dn]', '[ext]', ...ext, ''].join('\n'));
  return cnf;
}

async function readPair(certPath: string, keyPath: string): Promise<CertPair> {
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { certPath, keyPath, cert, key };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args);
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'the openssl CLI is required to create the local control plane certificates; install it',
        {
          cause: err,
        },
      );
    }
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim()}`, { cause: err });
  }
}
