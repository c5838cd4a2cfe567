import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A child process that leads its own process group, with stdout and stderr in a log file. */
export interface ManagedProcess {
  name: string;
  /** The pid, which is also the process group id. */
  pid: number;
  logPath: string;
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** How long `stop` waits after SIGTERM before SIGKILL (kube-apiserver drains for several seconds). */
export const STOP_GRACE_MS = 8_000;

const liveGroups = new Set<number>();
const ownedDirs = new Set<string>();
let hooksInstalled = false;

/**
 * Starts `bin` detached (its own process group, so a terminal's Ctrl-C does not reach it and it can be
 * stopped as a whole), appending its output to `logPath`. The group is registered for cleanup on exit.
 */
export function spawnLogged(name: string, bin: string, args: string[], logPath: string): ManagedProcess {
  installExitHooks();
  const fd = openSync(logPath, 'a');
  try {
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
    const proc: ManagedProcess = { name, pid: child.pid, logPath };
    liveGroups.add(child.pid);
    child.on('error', () => {
      // Spawn failures surface through the missing pid above; later errors end in 'exit'.
    });
    child.on('exit', (code, signal) => {
      proc.exit = { code, signal };
    });
    // The test runner must not wait on these: stop() or the exit hooks end them.
    child.unref();
    return proc;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM the process group, wait up to `graceMs`, then SIGKILL whatever is left. Idempotent. */
export async function stopProcessGroup(proc: ManagedProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  if (!signalGroup(proc.pid, 'SIGTERM')) {
    liveGroups.delete(proc.pid);
    return;
  }
  if (!(await waitGroupGone(proc.pid, graceMs))) {
    signalGroup(proc.pid, 'SIGKILL');
    if (!(await waitGroupGone(proc.pid, 5_000))) {
      throw new Error(`${proc.name} (process group ${proc.pid}) survived SIGKILL`);
    }
  }
  liveGroups.delete(proc.pid);
}

/** Registers a directory to remove if the process exits before its control plane is stopped. */
export function ownDirectory(dir: string): void {
  ownedDirs.add(dir);
}

/** Forgets a directory registered with {@link ownDirectory} (after it was removed normally). */
export function disownDirectory(dir: string): void {
  ownedDirs.delete(dir);
}

/** Returns `count` distinct free TCP ports on 127.0.0.1 (free now; the caller binds them soon after). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = net.createServer();
      return new Promise<net.Server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(logPath: string, lines = 25): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err: unknown) {
    return `(cannot read ${logPath}: ${(err as Error).message})`;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err: unknown) {
    // ESRCH: the group is gone. EPERM cannot happen for our own children; treat it as alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (signalGroup(pgid, 0)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

function killAllSync(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  liveGroups.clear();
  for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  ownedDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  // When ours is the only handler, restore the default disposition and re-raise, so the process ends
  // exactly as it would have without us (exit status 128 + signal). Otherwise the other handlers decide.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  /** What is awaited, for the error message ("kube-apiserver ready"). */
  what: string;
  /** Processes whose early exit fails the wait at once, with their log tail. */
  watch: ManagedProcess[];
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Polls `check` until it resolves true. Fails with the log tail of a watched process as soon as one
 * exits, or of every watched process on timeout. A rejected check counts as "not yet".
 */
export async function waitUntil(check: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const dead = opts.watch.find((p) => p.exit);
    if (dead) {
      const how = dead.exit?.signal ?? `code ${dead.exit?.code}`;
      throw new Error(
        `${dead.name} exited (${how}) before ${opts.what}; ${dead.logPath}:\n${logTail(dead.logPath)}`,
      );
    }
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err: unknown) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const tails = opts.watch.map((p) => `--- ${p.logPath}:\n${logTail(p.logPath)}`).join('\n');
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}\n${tails}`, {
        cause: lastError,
      });
    }
    await sleep(opts.intervalMs ?? 100);
  }
}
