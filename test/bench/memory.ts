/** Resident memory of a process, read from /proc (Linux), in MB. */
import { readFileSync } from 'node:fs';

/** Peak (VmHWM) and current (VmRSS) resident set size of a process. */
export interface ResidentMemory {
  peakMB: number;
  currentMB: number;
}

/** Reads VmHWM and VmRSS of `pid` from /proc/<pid>/status; throws when the process is gone. */
export function residentMemory(pid: number): ResidentMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { peakMB: field(status, 'VmHWM'), currentMB: field(status, 'VmRSS') };
}

function field(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!m) throw new Error(`no ${name} in /proc status`);
  return Math.round((Number(m[1]) / 1024) * 10) / 10;
}
