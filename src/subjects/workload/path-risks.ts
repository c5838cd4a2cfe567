/**
 * Workload rules beyond the Pod Security Standards controls (src/subjects/workload/risks.ts): the
 * service account token a Pod carries, privilege escalation asked for explicitly, and heuristics
 * over what its containers run (ids `heuristic.*`: shapes of known techniques, not proof).
 */

import { asString } from '../read.js';
import { cis, doc, pss } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';
import { hostEntry, miner, reverseShell } from './commands.js';
import type { PodView } from './pod.js';
import { containersWhere, isWindows } from './pod-checks.js';

/**
 * The token is mounted unless the pod says `automountServiceAccountToken: false` (the service
 * account's own setting is not in the manifest). Flagged when the pod asks for it explicitly, or
 * when it runs as a named service account, the kind that holds RBAC permissions; the `default`
 * one usually holds none.
 */
function tokenMounted(pod: PodView): string[] {
  const automount = pod.spec.automountServiceAccountToken;
  if (automount === true) return [`${pod.path}.automountServiceAccountToken: true`];
  if (automount === false) return [];
  const sa = asString(pod.spec.serviceAccountName) || asString(pod.spec.serviceAccount);
  return sa && sa !== 'default' ? [`service account ${sa} (automountServiceAccountToken not false)`] : [];
}

/** Workload rules for tokens, explicit privilege escalation and what containers run. */
export const WORKLOAD_PATH_RULES: readonly RiskRule<PodView>[] = [
  {
    id: 'workload.service-account-token-automount',
    severity: 'Low',
    title: 'Mounts its service account token',
    description:
      'Every container gets a token of the Pod’s service account: whoever gets code execution in any of them acts with its RBAC permissions. Set automountServiceAccountToken: false unless the workload calls the API server.',
    reference: cis('5.1.6', 'Ensure that Service Account Tokens are only mounted where necessary'),
    check: tokenMounted,
  },
  {
    id: 'workload.privilege-escalation-explicit',
    severity: 'Medium',
    title: 'Asks for privilege escalation (allowPrivilegeEscalation: true)',
    description:
      'An explicit allowPrivilegeEscalation: true overrides a policy default of false and keeps setuid binaries and file capabilities working: someone wanted the process to gain privileges.',
    reference: pss('Restricted', 'Privilege Escalation'),
    check: (pod) =>
      isWindows(pod) ? [] : containersWhere(pod, (c) => c.sc.allowPrivilegeEscalation === true),
  },
  {
    id: 'heuristic.host-entry',
    severity: 'High',
    title: 'Command enters the node (heuristic)',
    description:
      'A command or argument that runs nsenter into PID 1’s namespaces, reaches /proc/1/root or chroots into a mount of the node’s / takes a shell on the node itself.',
    reference: doc('MITRE ATT&CK T1611 (Escape to Host)', 'https://attack.mitre.org/techniques/T1611/'),
    check: hostEntry,
  },
  {
    id: 'heuristic.reverse-shell',
    severity: 'Critical',
    title: 'Command opens a reverse shell (heuristic)',
    description:
      'A command, argument or env value that wires a shell to a network connection (bash -i on /dev/tcp, nc -e, socat exec:sh, a script joining a socket to a shell) hands the container to whoever listens at the other end.',
    reference: doc(
      'MITRE ATT&CK T1059.004 (Command and Scripting Interpreter: Unix Shell)',
      'https://attack.mitre.org/techniques/T1059/004/',
    ),
    check: reverseShell,
  },
  {
    id: 'heuristic.miner',
    severity: 'High',
    title: 'Runs a cryptocurrency miner (heuristic)',
    description:
      'An image, command, argument or env value naming a miner (xmrig, cpuminer, ...), a stratum pool URL, a known mining pool or miner options: the most common payload of cluster intrusions.',
    reference: doc('MITRE ATT&CK T1496 (Resource Hijacking)', 'https://attack.mitre.org/techniques/T1496/'),
    check: miner,
  },
];
