import { API_VERSION, RESOURCES } from '../../api/constants.js';
import type { PatchInvocation } from './args.js';

/** Content type of a JSON merge patch (RFC 7386), what `kubectl patch --type=merge` sends. */
export const MERGE_PATCH = 'application/merge-patch+json';

/** A merge patch of the status subresource: only the fields it names change; `null` removes one. */
export interface StatusPatch {
  status: Record<string, unknown>;
}

/**
 * The merge patch a triage command sends, exactly the body of the equivalent
 * `kubectl patch auditalert NAME --subresource=status --type=merge -p '…'`.
 */
export function statusPatch(inv: PatchInvocation): StatusPatch {
  const note = 'note' in inv && inv.note !== undefined ? { note: inv.note } : {};
  switch (inv.command) {
    case 'ack':
      return { status: { state: 'Acknowledged', ...note } };
    case 'resolve':
      return { status: { state: 'Resolved', reason: inv.reason, ...note } };
    case 'reopen':
      // A reason only means something on a Resolved alert; reopening clears it.
      return { status: { state: 'Open', reason: null } };
    case 'assign':
      return { status: { assignee: inv.user } };
    case 'remediate':
      // A new request clears the outcome of the previous one, so the operator acts on it afresh.
      return { status: { remediation: { action: inv.action, result: null, message: null } } };
  }
}

/** The raw kubectl command that does the same as `inv`, as the README documents it. */
export function kubectlEquivalent(inv: PatchInvocation): string {
  const body = JSON.stringify(statusPatch(inv)).replaceAll("'", "'\\''");
  return `kubectl patch auditalert ${inv.name} --subresource=status --type=merge -p '${body}'`;
}

/** API path of an alert, or of its status subresource. */
export function alertPath(name: string, subresource?: 'status'): string {
  const base = `/apis/${API_VERSION}/${RESOURCES.alerts}/${encodeURIComponent(name)}`;
  return subresource ? `${base}/${subresource}` : base;
}

/** What the plugin prints once the API server accepted the patch. */
export function patchedMessage(inv: PatchInvocation): string {
  const ref = `auditalert.tripline.dev/${inv.name}`;
  switch (inv.command) {
    case 'ack':
      return `${ref} acknowledged`;
    case 'resolve':
      return `${ref} resolved (${inv.reason})`;
    case 'reopen':
      return `${ref} reopened`;
    case 'assign':
      return `${ref} assigned to ${inv.user}`;
    case 'remediate':
      return `${ref}: remediation ${inv.action} requested; the operator records the outcome (kubectl tripline show ${inv.name})`;
  }
}
