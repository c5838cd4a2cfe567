/**
 * Heuristics over what a container runs: its command and args, its literal env values and its
 * image name. They look for the shapes attackers use (entering the node's namespaces, a shell
 * wired to a socket, a cryptominer and its pool) and say which shape matched, never the text.
 * Each pattern needs two parts that benign commands do not combine (`nc -z host 80` is a health
 * check, `nc -e /bin/sh host 80` a shell), and every gap between parts is bounded, so a long value
 * costs linear time. Shell patterns stay within one line (a newline ends a shell command);
 * script patterns span lines, since scripts passed in args often do.
 */
import { asRecord, asString } from '../read.js';
import { normalizeHostPath } from './host-path.js';
import type { ContainerView, PodView } from './pod.js';

/** Most characters one heuristic scans in one pod (command lines, env values, image names); the rest is not read. */
export const MAX_SCANNED_CHARS = 64 * 1024;

type Pattern = readonly [RegExp, string];

const SHELL = String.raw`\b(ba|z|k|da|a)?sh`;
const NETCAT = String.raw`\b(nc|ncat|netcat|nc\.traditional|nc\.openbsd)\b`;

/** Commands that enter the node: nsenter into PID 1's namespaces, PID 1's root directory. */
const HOST_ENTRY: readonly Pattern[] = [
  [/\bnsenter\b[^\n]{0,200}?(--target(=|\s+)1\b|\s-t\s*1\b|\/proc\/1\/ns\/)/, 'nsenter into PID 1'],
  [/\/proc\/1\/root\b/, "PID 1's root directory (/proc/1/root)"],
];
/** Directories where node-escape recipes mount the node's `/`. */
const HOST_ROOT_NAMES = new Set([
  '/host',
  '/hostfs',
  '/host-root',
  '/hostroot',
  '/rootfs',
  '/node',
  '/mnt/host',
]);

/** A shell whose input and output are a network connection. */
const REVERSE_SHELL: readonly Pattern[] = [
  [new RegExp(`${SHELL}\\s+-i\\b[^\\n]{0,200}/dev/(tcp|udp)/`), 'interactive shell on /dev/tcp'],
  [new RegExp(`/dev/(tcp|udp)/[^\\n]{0,200}${SHELL}\\s+-i\\b`), 'interactive shell on /dev/tcp'],
  [/\/dev\/(tcp|udp)\/[^\n]{0,200}\b0\s*[<>]&\s*\d/, 'standard input from /dev/tcp'],
  [new RegExp(`/dev/(tcp|udp)/[^\\n]{0,200}${SHELL}\\s+<&\\s*\\d`), 'shell reading from /dev/tcp'],
  [/\/dev\/(tcp|udp)\/[\s\S]{0,300}\bdo\s+\$\{?\w+\}?\s/, 'commands read from /dev/tcp'],
  [new RegExp(`${SHELL}\\s+-i\\s*[<>]&\\s*[%$\\w]`), 'interactive shell on a socket descriptor'],
  [
    new RegExp(`${NETCAT}[^\\n|;&]{0,200}\\s(-[a-zA-Z]*e|--exec|--sh-exec|--lua-exec)(\\s|=)`),
    'netcat running a program',
  ],
  [new RegExp(`${NETCAT}[^\\n;&]{0,200}\\|\\s*(/usr)?(/bin/)?${SHELL}\\b`), 'netcat piped into a shell'],
  [new RegExp(`${SHELL}\\s+-i\\b[^\\n;]{0,200}\\|\\s*${NETCAT}`), 'shell piped into netcat'],
  [new RegExp(`\\bmkfifo\\b[^\\n]{0,300}${NETCAT}`), 'netcat over a named pipe'],
  [
    new RegExp(`\\bsocat\\b[^\\n]{0,300}\\b(exec|system):["']?(/\\S*/)?${SHELL}\\b`, 'i'),
    'socat running a shell',
  ],
  [
    /\bsocket\b[\s\S]{0,300}\bconnect\s*\([\s\S]{0,300}(pty\.spawn|\bdup2\s*\(|\bexec\w*\s*\(?\s*["']\/bin\/(ba|z|k|da)?sh\b|\b(call|run|Popen)\s*\(\s*\[?\s*["']\/bin\/(ba|z|k|da)?sh\b)/i,
    'script wiring a socket to a shell',
  ],
  [
    /\b(TCPSocket|fsockopen)\b[\s\S]{0,300}\b(exec|spawn|system|popen|proc_open|shell_exec)\b/,
    'script wiring a socket to a shell',
  ],
  [
    /\bnet\.Socket\b[\s\S]{0,600}\bchild_process\b|\bchild_process\b[\s\S]{0,600}\bnet\.Socket\b/,
    'script wiring a socket to a shell',
  ],
];

/** Miner programs, pool protocols and hosts, miner options. */
const MINER_PROGRAMS =
  /\b(xmrig|xmr-stak(-rx|-cpu)?|minerd|cpuminer(-multi|-opt)?|cgminer|bfgminer|ethminer|nbminer|lolminer|phoenixminer|srbminer(-multi)?|teamredminer|kdevtmpfsi|kinsing)\b/i;
const MINER: readonly Pattern[] = [
  [MINER_PROGRAMS, 'miner program'],
  [/\bstratum\d?(\+(tcp|ssl|tls))?:\/\//i, 'stratum pool URL'],
  [
    /\b(minexmr|supportxmr|nanopool|moneroocean|c3pool|hashvault|herominers|2miners|f2pool|minergate|nicehash|unmineable|ethermine|xmrpool|dwarfpool|monerohash|viabtc|antpool|miningpoolhub|zergpool)\.[a-z]{2,}/i,
    'mining pool host',
  ],
  [/--donate-level\b|\b(cryptonight|randomx|rx\/0)\b/i, 'miner options'],
];

/**
 * How much text one heuristic still scans in one pod: {@link MAX_SCANNED_CHARS} in all, shared by
 * every container's command line and env values in order, so a pod of many long containers costs
 * no more than one.
 */
class Budget {
  private left = MAX_SCANNED_CHARS;
  /** `text`, cut to what is left of the budget, which it then uses up. */
  take(text: string): string {
    const out = text.slice(0, Math.max(0, this.left));
    this.left -= out.length;
    return out;
  }
}

/** The container's command line, then its probes' and hooks' commands, one per line. */
const commandLine = (c: ContainerView): string =>
  [[...c.command, ...c.args].join(' '), ...c.hooks].join('\n');

/** What of `patterns` matches `text`, by label. */
const matching = (patterns: readonly Pattern[], text: string): string[] =>
  text.length === 0 ? [] : patterns.filter(([re]) => re.test(text)).map(([, what]) => what);

/** `container x: a, b` for what matched, or nothing. */
const item = (c: ContainerView, found: string[]): string[] =>
  found.length > 0 ? [`${c.label}: ${[...new Set(found)].join(', ')}`] : [];

/** Where the container mounts a hostPath volume of the node's `/`. */
function hostRootMounts(pod: PodView, c: ContainerView): string[] {
  const roots = new Set(
    pod.volumes
      .filter((v) => {
        const path = asString(asRecord(v.hostPath)?.path);
        return path !== undefined && normalizeHostPath(path) === '/';
      })
      .map((v) => asString(v.name)),
  );
  return c.mounts.filter((m) => roots.has(m.name)).map((m) => m.path.replace(/\/+$/, '') || '/');
}

/** chroot into the node's `/`: a hostPath `/` mount of this container, or a directory named for it. */
function chrootIntoHost(pod: PodView, c: ContainerView, line: string): string[] {
  const mounts = new Set(hostRootMounts(pod, c));
  const out: string[] = [];
  for (const m of line.matchAll(/\bchroot\s+(?:--?\S+\s+)*(\/[^\s;&|'"]*)/g)) {
    const target = (m[1] ?? '').replace(/\/+$/, '') || '/';
    if (mounts.has(target)) out.push('chroot into the hostPath mount of /');
    else if (HOST_ROOT_NAMES.has(target)) out.push(`chroot into ${target}`);
  }
  return out;
}

/** Containers whose command enters the node's namespaces or root filesystem. */
export function hostEntry(pod: PodView): string[] {
  const budget = new Budget();
  return pod.containers.flatMap((c) => {
    const line = budget.take(commandLine(c));
    return item(c, [...matching(HOST_ENTRY, line), ...chrootIntoHost(pod, c, line)]);
  });
}

/** Literal env values that match, as `env NAME (what)`; the value is never shown. */
const envMatching = (c: ContainerView, patterns: readonly Pattern[], budget: Budget): string[] =>
  c.env.flatMap((e) => {
    const found = matching(patterns, budget.take(e.value));
    return found.length > 0 ? [`env ${e.name} (${found.join(', ')})`] : [];
  });

/** Containers that wire a shell to a network connection (command, args or env values). */
export function reverseShell(pod: PodView): string[] {
  const budget = new Budget();
  return pod.containers.flatMap((c) =>
    item(c, [
      ...matching(REVERSE_SHELL, budget.take(commandLine(c))),
      ...envMatching(c, REVERSE_SHELL, budget),
    ]),
  );
}

/** Containers that run a cryptominer (image name, command, args or env values). */
export function miner(pod: PodView): string[] {
  const budget = new Budget();
  return pod.containers.flatMap((c) => {
    const image =
      c.image !== undefined && MINER_PROGRAMS.test(budget.take(c.image)) ? ['image named like a miner'] : [];
    return item(c, [
      ...image,
      ...matching(MINER, budget.take(commandLine(c))),
      ...envMatching(c, MINER, budget),
    ]);
  });
}
