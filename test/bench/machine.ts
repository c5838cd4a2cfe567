/** What a result was measured on: the machine, the date and the commit, recorded with every run. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine and code a benchmark ran on. */
export interface RunContext {
  date: string;
  commit: string;
  /** True when the working tree had uncommitted changes (the figures may not match the commit). */
  dirty: boolean;
  machine: {
    cpuModel: string;
    cores: number;
    memoryMB: number;
    nodeVersion: string;
    platform: string;
    kernel: string;
  };
}

/** Collects the run context; git facts read "unknown" outside a git checkout. */
export function runContext(repoDir: string): RunContext {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    commit: git(repoDir, ['rev-parse', 'HEAD']) || 'unknown',
    dirty: git(repoDir, ['status', '--porcelain', '--untracked-files=no']) !== '',
    machine: {
      cpuModel: cpus[0]?.model.trim() || cpuModelFromProc(),
      cores: os.availableParallelism(),
      memoryMB: Math.round(os.totalmem() / 2 ** 20),
      nodeVersion: process.version,
      platform: `${os.platform()}-${os.arch()}`,
      kernel: os.release(),
    },
  };
}

function git(dir: string, args: string[]): string {
  try {
    return execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // Not a git checkout (e.g. an unpacked tarball): the figures are still worth reporting.
    return '';
  }
}

function cpuModelFromProc(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    // Not Linux; os.cpus() was empty as well, so there is nothing better to report.
    return 'unknown';
  }
}
