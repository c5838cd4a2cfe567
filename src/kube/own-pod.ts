import type { KubeApi } from './api.js';

/** Label that marks the replica holding the leader Lease; Services reaching only the leader select it. */
export const LEADER_LABEL = 'tripline.dev/leader';

/**
 * Sets (`true`) or removes (`false`) the leader label on this replica's own Pod with a JSON merge
 * patch. A restarted container keeps its Pod and its labels, so every replica clears the label at
 * start and only the leader sets it.
 */
export async function markOwnPod(
  client: KubeApi,
  pod: { namespace: string; name: string },
  leader: boolean,
): Promise<void> {
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`;
  await client.request('PATCH', path, {
    body: { metadata: { labels: { [LEADER_LABEL]: leader ? 'true' : null } } },
    contentType: 'application/merge-patch+json',
  });
}
