import type { SubjectKind } from '../kind.js';
import { analyseSecret } from './analyse.js';

/** Secrets, read as metadata only: evidence names keys and writers, never values. */
export const SECRET: SubjectKind = {
  id: 'secret',
  kinds: ['/Secret'],
  analyse: analyseSecret,
};
