import type { SubjectKind } from '../kind.js';
import { describeRules, evaluate } from '../risks/types.js';
import { analyseNamespace } from './analyse.js';
import { NAMESPACE_RULES, readNamespace } from './risks.js';

/** Namespaces. */
export const NAMESPACE: SubjectKind = {
  id: 'namespace',
  kinds: ['/Namespace'],
  analyse: analyseNamespace,
  risks: (obj, _ctx, failed) => evaluate(NAMESPACE_RULES, readNamespace(obj), undefined, failed),
  rules: describeRules('Namespace', NAMESPACE_RULES),
};
