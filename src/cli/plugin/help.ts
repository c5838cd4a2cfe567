import { COMMANDS, type CommandName, type PatchInvocation } from './args.js';
import { kubectlEquivalent } from './patches.js';

/** One example per patch command, shown with its raw kubectl equivalent in the command's help. */
const EXAMPLES: Partial<Record<CommandName, PatchInvocation>> = {
  ack: { command: 'ack', name: 'NAME', note: 'TEXT' },
  resolve: { command: 'resolve', name: 'NAME', reason: 'FalsePositive', note: 'TEXT' },
  reopen: { command: 'reopen', name: 'NAME' },
  assign: { command: 'assign', name: 'NAME', user: 'USER' },
  remediate: { command: 'remediate', name: 'NAME', action: 'DeleteSubject' },
};

/** What a command's help says beyond its summary. */
const DETAILS: Partial<Record<CommandName, string>> = {
  'who-can': `An alert's spec.whoCan lists only the first few grants (--who-can-limit) and counts the
rest in evidence.whoCanSummary. This command asks the alert's question again (the verbs, resource
and namespace the summary keeps) and prints every User, Group and ServiceAccount allowed, with the
binding and role that grant it, most specific first, as the operator orders them. It lists Roles,
ClusterRoles, RoleBindings and ClusterRoleBindings of the whole cluster with your credentials (list
on the four, cluster-wide; the ClusterRole view does not grant it), so the answer is RBAC as it is
now, not as it was when the alert was raised. Members of group system:masters bypass RBAC and are
never listed. -o json prints the question, the count and the grants in the shape of spec.whoCan.`,
};

const COMMON = `Flags of every command:
  --kubeconfig FILE   kubeconfig to use (default: the first file in $KUBECONFIG, else ~/.kube/config)
  -h, --help          help for one command, e.g. kubectl tripline resolve --help`;

const FOOTER = `Every triage command is one merge patch of the alert's status subresource, exactly what
  kubectl patch auditalert NAME --subresource=status --type=merge -p '{"status":{...}}'
sends. The API server checks every change; a refused one prints the server's message.

Exit codes: 0 done; 1 the API server refused the request or could not be reached; 2 usage error.`;

/** The help text: an overview of every command, or one command's usage and raw equivalent. */
export function helpText(topic?: CommandName): string {
  return topic === undefined ? overview() : commandHelp(topic);
}

function overview(): string {
  const rows = Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.summary}`);
  return `kubectl tripline — triage Tripline AuditAlerts

Usage:
  kubectl tripline COMMAND [flags]

Commands:
${rows.join('\n')}

${COMMON}

${FOOTER}
`;
}

function commandHelp(name: CommandName): string {
  const c = COMMANDS[name];
  const example = EXAMPLES[name];
  const same = example ? `\nSame as:\n  ${kubectlEquivalent(example)}\n` : '';
  const details = DETAILS[name] ? `\n${DETAILS[name]}\n` : '';
  return `Usage:
  kubectl tripline ${c.usage} [--kubeconfig FILE]

${c.summary}.
${details}${same}`;
}

/** The short hint printed under a usage error. */
export const USAGE_HINT = "See 'kubectl tripline --help'.";
