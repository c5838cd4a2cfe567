import type { SubjectKind } from '../kind.js';
import { asRecord, asString } from '../read.js';
import { describeRules, evaluate } from '../risks/types.js';
import { analyseBinding } from './analyse.js';
import { BINDING_RULES } from './risks.js';
import { readBindingView } from './view.js';

/** ClusterRoleBindings and RoleBindings, judged by the rules of the role they grant when known. */
export const BINDING: SubjectKind = {
  id: 'binding',
  evidenceBytes: 2048,
  kinds: ['rbac.authorization.k8s.io/ClusterRoleBinding', 'rbac.authorization.k8s.io/RoleBinding'],
  analyse: analyseBinding,
  risks: (obj, ctx, failed) => {
    const ref = asRecord(obj.roleRef);
    const ns = obj.kind === 'RoleBinding' ? asString(asRecord(obj.metadata)?.namespace) : undefined;
    const rules = ctx.roleRules?.(asString(ref?.kind) ?? '', asString(ref?.name) ?? '', ns);
    return evaluate(BINDING_RULES, readBindingView(obj, rules), undefined, failed);
  },
  rules: describeRules('ClusterRoleBinding, RoleBinding', BINDING_RULES),
};
