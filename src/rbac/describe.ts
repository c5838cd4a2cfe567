import type { Binding, RbacSubject } from './state.js';

/**
 * How a binding grants, in the words a responder types into kubectl:
 * `RoleBinding team-a/dev-edit → ClusterRole edit`, `ClusterRoleBinding ops → ClusterRole admin`.
 * A Role always lives in the binding's namespace, so it is named without one.
 */
export function describeBinding(b: Binding): string {
  const where = b.namespace ? `${b.namespace}/${b.name}` : b.name;
  return `${b.kind} ${where} → ${b.roleRef.kind} ${b.roleRef.name}`;
}

/** `User alice`, `Group devs`, `ServiceAccount team-a/builder`. */
export function describeSubject(s: RbacSubject): string {
  return s.kind === 'ServiceAccount' ? `${s.kind} ${s.namespace}/${s.name}` : `${s.kind} ${s.name}`;
}
