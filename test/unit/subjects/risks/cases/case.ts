import type { RiskContext } from '../../../../../src/subjects/risks/index.js';

/** One row of the risk table: an object and exactly the risk ids it must yield. */
export interface Case {
  name: string;
  obj: Record<string, unknown>;
  ctx?: RiskContext;
  /** Exactly the risk ids the object must yield. */
  want: string[];
  /** The id this case is the near miss of (its `want` must not contain it). */
  negativeFor?: string;
}

/** A digest for images pinned by digest. */
export const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
