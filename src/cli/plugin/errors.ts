import { ApiError } from '../../kube/errors.js';

/**
 * The API server's own message from an {@link ApiError}, verbatim (e.g. the CEL rule's message of
 * a refused status patch). The client builds its message as `METHOD PATH: STATUS REASON MESSAGE`;
 * the part after the status and reason is what the server said.
 */
export function serverMessage(err: ApiError): string {
  const marker = `: ${err.status} ${err.reason} `;
  const at = err.message.indexOf(marker);
  return at < 0 ? err.message : err.message.slice(at + marker.length).trim();
}

/** A failure the plugin explains in its own words: printed as is, exit code 1. */
export class PluginError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'PluginError';
  }
}

/** One line for the user, shaped like kubectl's: `Error from server (Invalid): …`. */
export function describeError(err: unknown): string {
  if (err instanceof PluginError) return err.message;
  if (err instanceof ApiError && err.status > 0) {
    return `Error from server (${err.reason || err.status}): ${serverMessage(err)}`;
  }
  if (err instanceof ApiError) return `error: cannot reach the API server: ${withCauses(err)}`;
  return `error: ${withCauses(err)}`;
}

/** `message: cause's message: …`, so "reading kubeconfig X" says why it could not be read. */
function withCauses(err: unknown): string {
  const parts: string[] = [];
  for (
    let e: unknown = err;
    e !== undefined && parts.length < 5;
    e = e instanceof Error ? e.cause : undefined
  ) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(': ');
}
