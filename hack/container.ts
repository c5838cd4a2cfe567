/**
 * How the shipped container runs Node, read from the files that ship it: the V8 flags of the
 * Dockerfile ENTRYPOINT and the operator container's memory limit in the Deployment. `make bench`
 * reads them at the start of a run and refuses to run when the flags the project starts the operator
 * with (src/runtime/node-flags.ts) differ; a unit test keeps the three files in agreement.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** The shipped container's Node settings. */
export interface ContainerSettings {
  /** V8 flags of the Dockerfile ENTRYPOINT. */
  nodeFlags: string[];
  /** The operator container's memory limit in the Deployment, in MiB. */
  memoryLimitMiB: number;
  /** The old-generation cap those flags set (`--max-old-space-size`), in MB. */
  heapCapMB: number;
}

export const DOCKERFILE = 'Dockerfile';
export const DEPLOYMENT = 'manifests/manager/deployment.yaml';
/** The operator's container in the Deployment. */
const CONTAINER = 'operator';

/** The Node flags (arguments starting with `--` before the script) of the exec-form ENTRYPOINT. */
export function entrypointNodeFlags(dockerfile: string): string[] {
  const lines = dockerfile.split('\n').filter((l) => /^\s*ENTRYPOINT\s/.test(l));
  const line = lines.at(-1);
  if (!line) throw new Error('the Dockerfile has no ENTRYPOINT');
  let argv: unknown;
  try {
    argv = JSON.parse(line.replace(/^\s*ENTRYPOINT\s+/, ''));
  } catch (err: unknown) {
    throw new Error('the Dockerfile ENTRYPOINT is not in exec (JSON array) form', { cause: err });
  }
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string'))
    throw new Error('the Dockerfile ENTRYPOINT is not an array of strings');
  const script = argv.findIndex((a, i) => i > 0 && !a.startsWith('--'));
  return argv.slice(1, script < 0 ? undefined : script);
}

/** A Kubernetes memory quantity (`256Mi`, `1Gi`, `300M`, `268435456`) in MiB. */
export function quantityMiB(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (!m) throw new Error(`not a memory quantity: "${q}"`);
  const factor: Record<string, number> = {
    '': 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return (Number(m[1]) * (factor[m[2] ?? ''] as number)) / 2 ** 20;
}

interface Deployment {
  spec?: {
    template?: {
      spec?: { containers?: { name?: string; resources?: { limits?: { memory?: string } } }[] };
    };
  };
}

/** The memory limit of the operator container of a Deployment manifest, in MiB. */
export function deploymentMemoryLimitMiB(yaml: string): number {
  const doc = YAML.parse(yaml) as Deployment;
  const c = doc.spec?.template?.spec?.containers?.find((x) => x.name === CONTAINER);
  if (!c) throw new Error(`the Deployment has no container "${CONTAINER}"`);
  const limit = c.resources?.limits?.memory;
  if (!limit) throw new Error(`the container "${CONTAINER}" has no memory limit`);
  return quantityMiB(limit);
}

/** The `--max-old-space-size` of some Node flags, in MB; undefined when they set none. */
export function heapCapOf(flags: readonly string[]): number | undefined {
  for (const f of flags) {
    const m = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(f);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/**
 * The old-generation cap the project ships for a memory limit: half of it (ADR 0028). Left to
 * itself, Node sizes the heap from the cgroup limit as V8 does from physical memory — a quarter,
 * times two on 64-bit — but never below V8's floor of 256 MB: in a 256 Mi container the heap alone
 * may grow to the whole limit, so the kernel kills the process before V8 collects hard.
 */
export const heapCapFor = (memoryLimitMiB: number): number => Math.floor(memoryLimitMiB / 2);

/** Reads the shipped settings from the repository at `root`; throws when the Dockerfile sets no heap cap. */
export function containerSettings(root: string): ContainerSettings {
  const nodeFlags = entrypointNodeFlags(readFileSync(path.join(root, DOCKERFILE), 'utf8'));
  const memoryLimitMiB = deploymentMemoryLimitMiB(readFileSync(path.join(root, DEPLOYMENT), 'utf8'));
  const heapCapMB = heapCapOf(nodeFlags);
  if (heapCapMB === undefined) throw new Error(`the ${DOCKERFILE} ENTRYPOINT sets no --max-old-space-size`);
  return { nodeFlags, memoryLimitMiB, heapCapMB };
}
