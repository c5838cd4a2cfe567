import type { SubjectKind } from '../kind.js';
import { asRecord, asString } from '../read.js';
import { describeRules, evaluate } from '../risks/types.js';
import { analyseClusterRole } from './analyse.js';
import { ROLE_RULES, readRole } from './risks.js';

/** ClusterRoles and Roles. */
export const ROLE: SubjectKind = {
  id: 'role',
  evidenceBytes: 3072,
  kinds: ['rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/Role'],
  analyse: analyseClusterRole,
  risks: (obj, _ctx, failed) => {
    // A Role's rules hold in its namespace only: every message says which.
    const ns = obj.kind === 'Role' ? asString(asRecord(obj.metadata)?.namespace) : undefined;
    return evaluate(ROLE_RULES, readRole(obj), ns ? `in namespace ${ns}` : undefined, failed);
  },
  rules: describeRules('ClusterRole, Role', ROLE_RULES),
};
