/**
 * Memory bounds of the hostile tests: the operator's peak RSS against the memory limit of the shipped
 * Deployment, so "under its memory limit" means the limit a cluster would enforce.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../../hack/controlplane/binaries.js';

/** Peak resident memory of a process (VmHWM), in bytes. */
export async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/** The operator container's memory `limits` or `requests` in manifests/manager/deployment.yaml, in bytes. */
export async function deploymentMemory(which: 'limits' | 'requests' = 'limits'): Promise<number> {
  const text = await readFile(path.join(repoRoot(), 'manifests/manager/deployment.yaml'), 'utf8');
  type Resources = Record<'limits' | 'requests', { memory: string }>;
  const d = parse(text) as { spec: { template: { spec: { containers: Array<{ resources: Resources }> } } } };
  const value = d.spec.template.spec.containers[0]?.resources[which]?.memory ?? '';
  const m = /^(\d+)Mi$/.exec(value);
  if (!m) throw new Error(`unexpected memory ${which} ${value}`);
  return Number(m[1]) * 1024 * 1024;
}

/** The operator container's memory limit (what a cluster enforces), in bytes. */
export const deploymentMemoryLimit = (): Promise<number> => deploymentMemory('limits');

/** Resident memory of a process now (VmRSS), in bytes. */
export async function currentRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/**
 * Resets the peak RSS (VmHWM) of a process to its current RSS (Linux `clear_refs` 5), so a test
 * measures the peak of its own attack, not of what the process did before (e.g. catching up on
 * objects earlier suites left on the shared control plane: that burst's memory is measured by
 * `make bench`, not here).
 */
export async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}
