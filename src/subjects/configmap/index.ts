import type { SubjectKind } from '../kind.js';
import { describeRules, evaluate } from '../risks/types.js';
import { CONFIGMAP_RULES, readConfigMap } from './risks.js';

/** ConfigMaps: generic evidence, risk rules of their own. */
export const CONFIGMAP: SubjectKind = {
  id: 'configmap',
  kinds: ['/ConfigMap'],
  risks: (obj, _ctx, failed) => evaluate(CONFIGMAP_RULES, readConfigMap(obj), undefined, failed),
  rules: describeRules('ConfigMap', CONFIGMAP_RULES),
};
