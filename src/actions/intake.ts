import type { ActionIntake } from '../actors/handlers.js';
import { type ActionEvent, parseActionReview, parseSecretReads } from './events.js';

/**
 * The action detections' side of the attribution webhooks: reads action requests out of the bodies
 * and hands them to `sink`, read per request (the action detections start after the listeners;
 * undefined while none run). Action reviews are taken even then (counted `action-off`), so they
 * are never recorded as object writes.
 */
export function actionIntake(sink: () => ((e: ActionEvent) => void) | undefined): ActionIntake {
  return {
    review(review, nowMs) {
      const action = parseActionReview(review, nowMs);
      if (!action) return undefined;
      if (action.kind === 'ignored') return action.reason;
      const take = sink();
      if (!take) return 'action-off';
      take(action.event);
      return 'action';
    },
    audit(list) {
      const take = sink();
      if (!take) return 0;
      const reads = parseSecretReads(list);
      for (const e of reads) take(e);
      return reads.length;
    },
  };
}
