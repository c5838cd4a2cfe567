/**
 * Where the CPU went during a scenario: user+system seconds of kube-apiserver, etcd, the operator and
 * the benchmark itself, read from /proc (Linux). On 2 cores they all compete, so this is what tells
 * "the operator is slow" apart from "the API server is saturated".
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Processes to account, by role. */
export type CpuRoles = Record<string, number[]>;

/** CPU seconds per role over an interval, plus the wall time and the cores available. */
export interface CpuUsage {
  wallSeconds: number;
  cores: number;
  seconds: Record<string, number>;
}

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux platform Node supports.

/**
 * The pids of a local control plane's kube-apiserver and etcd: the processes whose command line
 * mentions its directory (certs, data and logs live there).
 */
export function controlPlanePids(dir: string): CpuRoles {
  const roles: CpuRoles = { apiserver: [], etcd: [] };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = readCmdline(Number(entry));
    if (!cmd.includes(dir)) continue;
    if (/kube-apiserver/.test(cmd)) roles.apiserver?.push(Number(entry));
    else if (/\betcd\b/.test(cmd)) roles.etcd?.push(Number(entry));
  }
  return roles;
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    // The process ended between readdir and read; it is not one we need.
    return '';
  }
}

/** utime + stime of a process in seconds (0 when it is gone). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    // Gone: its CPU is no longer attributable, and the caller reports only what it can read.
    return 0;
  }
}

/**
 * Starts accounting; the returned function gives the usage since then. Roles listed in `sinceSpawn`
 * count from their process start instead (a process spawned just before, whose start-up counts).
 */
export function cpuMeter(roles: CpuRoles, sinceSpawn: string[] = []): () => CpuUsage {
  const sample = (): Record<string, number> =>
    Object.fromEntries(
      Object.entries(roles).map(([r, pids]) => [r, pids.reduce((s, p) => s + cpuSeconds(p), 0)]),
    );
  const start = sample();
  for (const r of sinceSpawn) start[r] = 0;
  const t0 = Date.now();
  return () => {
    const end = sample();
    const seconds = Object.fromEntries(
      Object.entries(end).map(([r, v]) => [r, Math.round((v - (start[r] ?? 0)) * 100) / 100]),
    );
    return {
      wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
      cores: os.availableParallelism(),
      seconds,
    };
  };
}
