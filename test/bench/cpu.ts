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
  /**
   * The whole machine over the same interval (/proc/stat): busy CPU seconds of every process, the
   * part not accounted to the roles above (other work on the machine disturbing the figures), and
   * steal (time the hypervisor gave the vCPUs to someone else).
   */
  machine: { busySeconds: number; otherSeconds: number; stealSeconds: number; topOthers: OtherProcess[] };
}

/** A process outside the accounted roles that used CPU during the interval (who disturbed the run). */
export interface OtherProcess {
  pid: number;
  command: string;
  seconds: number;
}

/** Other processes using less than this over an interval are not named. */
const OTHER_MIN_SECONDS = 0.5;

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux platform Node supports.

const numericEntries = (): number[] =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);

/** CPU seconds so far of every process not in `exclude`. */
function otherProcesses(exclude: Set<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of numericEntries()) if (!exclude.has(pid)) out.set(pid, cpuSeconds(pid));
  return out;
}

/** The biggest CPU users among other processes between two snapshots (a process started meanwhile counts whole). */
function topOthers(before: Map<number, number>, after: Map<number, number>): OtherProcess[] {
  return [...after]
    .map(([pid, v]) => ({ pid, seconds: Math.round((v - (before.get(pid) ?? 0)) * 10) / 10 }))
    .filter((o) => o.seconds >= OTHER_MIN_SECONDS)
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 3)
    .map((o) => ({ ...o, command: commandOf(o.pid) }));
}

/** The command line of a process, `[name]` for a kernel thread (no command line), `(exited)` when gone. */
function commandOf(pid: number): string {
  const cmd = readCmdline(pid).trim();
  if (cmd) return cmd.slice(0, 100);
  try {
    return `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
  } catch {
    // It ended after the snapshot; its CPU is still counted, only the name is lost.
    return '(exited)';
  }
}

/**
 * The pids of a local control plane's kube-apiserver and etcd: the processes whose command line
 * mentions its directory (certs, data and logs live there).
 */
export function controlPlanePids(dir: string): CpuRoles {
  const roles: CpuRoles = { apiserver: [], etcd: [] };
  for (const pid of numericEntries()) {
    const cmd = readCmdline(pid);
    if (!cmd.includes(dir)) continue;
    if (/kube-apiserver/.test(cmd)) roles.apiserver?.push(pid);
    else if (/\betcd\b/.test(cmd)) roles.etcd?.push(pid);
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

interface MachineTicks {
  busy: number;
  steal: number;
}

/**
 * Aggregate CPU ticks of the machine: user, nice and system as busy (what processes can be charged
 * with; interrupt time is left out, it is mostly the kernel moving loopback traffic); steal apart.
 */
function machineTicks(): MachineTicks {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [user, nice, system, , , , , steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: (user ?? 0) + (nice ?? 0) + (system ?? 0), steal: steal ?? 0 };
  } catch {
    // No /proc/stat (not Linux): the machine figures read 0 rather than failing the benchmark.
    return { busy: 0, steal: 0 };
  }
}

/**
 * Starts accounting; the returned function gives the usage since then. Roles listed in `sinceSpawn`
 * count from their process start instead (a process spawned just before, whose start-up counts),
 * and `sinceMs` (a Date.now() value) backdates the wall clock to that spawn.
 */
export function cpuMeter(
  roles: CpuRoles,
  opts: { sinceSpawn?: string[]; sinceMs?: number } = {},
): () => CpuUsage {
  const sample = (): Record<string, number> =>
    Object.fromEntries(
      Object.entries(roles).map(([r, pids]) => [r, pids.reduce((s, p) => s + cpuSeconds(p), 0)]),
    );
  const start = sample();
  for (const r of opts.sinceSpawn ?? []) start[r] = 0;
  const t0 = opts.sinceMs ?? Date.now();
  const m0 = machineTicks();
  const ours = new Set(Object.values(roles).flat());
  const others0 = otherProcesses(ours);
  return () => {
    const end = sample();
    const m1 = machineTicks();
    const others1 = otherProcesses(ours);
    const seconds = Object.fromEntries(
      Object.entries(end).map(([r, v]) => [r, Math.round((v - (start[r] ?? 0)) * 100) / 100]),
    );
    const accounted = Object.values(seconds).reduce((a, b) => a + b, 0);
    const busySeconds = (m1.busy - m0.busy) / TICKS_PER_SECOND;
    return {
      wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
      cores: os.availableParallelism(),
      seconds,
      machine: {
        busySeconds: Math.round(busySeconds * 10) / 10,
        otherSeconds: Math.round(Math.max(0, busySeconds - accounted) * 10) / 10,
        stealSeconds: Math.round(((m1.steal - m0.steal) / TICKS_PER_SECOND) * 10) / 10,
        topOthers: topOthers(others0, others1),
      },
    };
  };
}
