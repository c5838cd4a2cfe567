import { asRecord, type Json } from '../read.js';
import { cis, doc } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';

/** The Pod Security admission labels of a Namespace, by mode (`enforce`, `audit`, `warn`). */
export interface NamespaceView {
  podSecurity: Record<string, string>;
}

const PREFIX = 'pod-security.kubernetes.io/';
const PSA = 'https://kubernetes.io/docs/concepts/security/pod-security-admission/';

/** Reads the Pod Security labels of a Namespace. */
export function readNamespace(obj: Json): NamespaceView {
  const labels = asRecord(asRecord(obj.metadata)?.labels) ?? {};
  const podSecurity: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels))
    if (k.startsWith(PREFIX) && typeof v === 'string') podSecurity[k.slice(PREFIX.length)] = v;
  return { podSecurity };
}

/** Risk rules of Namespaces. */
export const NAMESPACE_RULES: readonly RiskRule<NamespaceView>[] = [
  {
    id: 'namespace.pss-enforce-missing',
    severity: 'Medium',
    title: 'No Pod Security enforce label',
    description:
      'Without pod-security.kubernetes.io/enforce the cluster default applies, which is privileged unless configured: any Pod, privileged and hostPath included, is admitted.',
    reference: cis(
      '5.2.1',
      'Ensure that the cluster has at least one active policy control mechanism in place',
    ),
    check: (ns) => (ns.podSecurity.enforce === undefined ? ['pod-security.kubernetes.io/enforce unset'] : []),
  },
  {
    id: 'namespace.pss-enforce-privileged',
    severity: 'High',
    title: 'Pod Security enforce level is privileged',
    description:
      'enforce=privileged admits every Pod: privileged containers, host namespaces and hostPath mounts included.',
    reference: doc('Pod Security Admission: privileged level', PSA),
    check: (ns) =>
      ns.podSecurity.enforce === 'privileged' ? ['pod-security.kubernetes.io/enforce=privileged'] : [],
  },
  {
    id: 'namespace.pss-audit-warn-privileged',
    severity: 'Low',
    title: 'Pod Security audit or warn level is privileged',
    description:
      'audit=privileged or warn=privileged silences the audit annotations and warnings that would show risky Pods.',
    reference: doc('Pod Security Admission: modes', PSA),
    check: (ns) =>
      (['audit', 'warn'] as const)
        .filter((mode) => ns.podSecurity[mode] === 'privileged')
        .map((mode) => `pod-security.kubernetes.io/${mode}=privileged`),
  },
];
