/**
 * Missed and duplicate alerts, counted from a full (paginated) list of AuditAlerts after the
 * operator went idle: the list is what a responder sees, so it is the ground truth, not the watch.
 */
import type { KubeClient } from '../../src/kube/client.js';
import { ALERTS_PATH } from './watcher.js';

/** An object the benchmark created and the one detection that must alert on it. */
export interface Expectation {
  uid: string;
  detection: string;
}

/** The outcome for one scenario's objects. */
export interface AlertCounts {
  /** Objects created (each must have exactly one alert). */
  expected: number;
  /** Objects with no alert of their detection. */
  missed: number;
  /** Objects with more than one alert of the same detection. */
  duplicates: number;
  /** Alerts about these objects from another detection than the expected one. */
  unexpected: number;
}

interface AlertItem {
  spec?: { subject?: { uid?: string }; detection?: { name?: string } };
}

/** Lists every AuditAlert, page by page, and returns how many exist per `subjectUid|detection`. */
export async function alertTally(client: KubeClient): Promise<Map<string, number>> {
  const tally = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.request<{ items: AlertItem[]; metadata: { continue?: string } }>(
      'GET',
      ALERTS_PATH,
      {
        query: { limit: 500, continue: token },
      },
    );
    for (const a of page.items) {
      const key = `${a.spec?.subject?.uid}|${a.spec?.detection?.name}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    token = page.metadata.continue || undefined;
  } while (token);
  return tally;
}

/** Counts missed, duplicate and unexpected alerts for `expected` in a tally from {@link alertTally}. */
export function countAlerts(tally: Map<string, number>, expected: Expectation[]): AlertCounts {
  const bySubject = new Map<string, number>();
  for (const [key, n] of tally) {
    const uid = key.slice(0, key.indexOf('|'));
    bySubject.set(uid, (bySubject.get(uid) ?? 0) + n);
  }
  const out: AlertCounts = { expected: expected.length, missed: 0, duplicates: 0, unexpected: 0 };
  for (const e of expected) {
    const n = tally.get(`${e.uid}|${e.detection}`) ?? 0;
    if (n === 0) out.missed++;
    if (n > 1) out.duplicates++;
    out.unexpected += (bySubject.get(e.uid) ?? 0) - n;
  }
  return out;
}

/** The number of AuditAlerts in the cluster. */
export async function alertTotal(client: KubeClient): Promise<number> {
  let n = 0;
  for (const v of (await alertTally(client)).values()) n += v;
  return n;
}
