import { cis, doc, rbacGoodPractice } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';
import {
  imitatedBindingName,
  imitatedServiceAccount,
  isFakeSystemGroup,
  isFakeSystemUser,
  isSystemWriter,
} from '../workload/identities.js';
import {
  type BindingSubject,
  type BindingView,
  escalatingByName,
  escalation,
  roleText,
  scopeText,
  subjectText,
} from './view.js';

/** Subjects named in one item of a message. */
const NAMED_SUBJECTS = 3;

/** Anyone who reaches the API server, with no credential at all. */
const isUnauthenticated = (s: BindingSubject): boolean =>
  (s.kind === 'Group' && (s.name === 'system:unauthenticated' || s.name === 'system:anonymous')) ||
  (s.kind === 'User' && s.name === 'system:anonymous');

/** Anyone with any credential: every service account token of every Pod included. */
const isAllAuthenticated = (s: BindingSubject): boolean =>
  s.kind === 'Group' && s.name === 'system:authenticated';

/** The subjects matching `pick`, as text. */
const named =
  (pick: (s: BindingSubject, view: BindingView) => boolean) =>
  (view: BindingView): string[] =>
    view.subjects.filter((s) => pick(s, view)).map(subjectText);

/** `Group system:anonymous → ClusterRole cluster-admin (built-in)` for every pair. */
const boundToEscalating =
  (pick: (s: BindingSubject) => boolean) =>
  (view: BindingView): string[] => {
    const who = view.subjects.filter(pick);
    if (who.length === 0) return [];
    const why = escalation(view);
    if (why.length === 0) return [];
    // Names a few subjects: a binding may list thousands, and the message is one line.
    const more = who.length > NAMED_SUBJECTS ? ` (+${who.length - NAMED_SUBJECTS} more)` : '';
    const names = who.slice(0, NAMED_SUBJECTS).map(subjectText).join(', ');
    return [`${names}${more} ${scopeText(view)} → ${why.join('; ')}`];
  };

/** The escalating role of a binding whose role is not judged by name (those have their own ids). */
const escalatingRole =
  (kind: BindingView['kind']) =>
  (view: BindingView): string[] =>
    view.kind === kind && !escalatingByName(view) ? escalation(view) : [];

/** The admin or edit ClusterRole bound by a binding of `kind`, as `text` says it. */
const adminOrEdit =
  (kind: BindingView['kind'], text: (view: BindingView) => string) =>
  (view: BindingView): string[] =>
    view.kind === kind &&
    view.roleRef.kind === 'ClusterRole' &&
    (view.roleRef.name === 'admin' || view.roleRef.name === 'edit')
      ? [text(view)]
      : [];

const ANONYMOUS_REF = rbacGoodPractice('least-privilege', 'Least privilege');
const LOOKALIKE_REF = doc('MITRE ATT&CK T1036 Masquerading', 'https://attack.mitre.org/techniques/T1036/');

/**
 * Risk rules of ClusterRoleBindings and RoleBindings. Rules on the role judge it by name when its
 * rules are unknown (cluster-admin, admin, edit), and by its rules when the RBAC index or the
 * analysed input has them.
 */
export const BINDING_RULES: readonly RiskRule<BindingView>[] = [
  {
    id: 'binding.anonymous-escalating',
    severity: 'Critical',
    title: 'Gives unauthenticated requests an escalating role',
    description:
      'system:anonymous or system:unauthenticated bound to a role with cluster-admin-like, secret-reading, exec or escalation rights: anyone who reaches the API server takes over what the role reaches, with no credential.',
    reference: ANONYMOUS_REF,
    check: boundToEscalating(isUnauthenticated),
  },
  {
    id: 'binding.authenticated-escalating',
    severity: 'Critical',
    title: 'Gives every authenticated identity an escalating role',
    description:
      'system:authenticated includes every service account token of every Pod (and, on some managed clusters, any account of the cloud provider): one compromised Pod then holds the role.',
    reference: ANONYMOUS_REF,
    check: boundToEscalating(isAllAuthenticated),
  },
  {
    id: 'binding.anonymous-subject',
    severity: 'High',
    title: 'Binds unauthenticated requests',
    description:
      'system:anonymous or system:unauthenticated as a subject gives the role to anyone who can reach the API server; only public discovery should be open that way.',
    reference: ANONYMOUS_REF,
    check: named(isUnauthenticated),
  },
  {
    id: 'binding.authenticated-subject',
    severity: 'Medium',
    title: 'Binds every authenticated identity',
    description:
      'system:authenticated as a subject gives the role to every user and every service account of the cluster, not to the team that needs it.',
    reference: ANONYMOUS_REF,
    check: named(isAllAuthenticated),
  },
  {
    id: 'binding.cluster-admin',
    severity: 'High',
    title: 'Binds the cluster-admin ClusterRole',
    description:
      'cluster-admin grants every verb on every resource (cluster-wide in a ClusterRoleBinding, the whole namespace with Secrets in a RoleBinding); it should be held by break-glass accounts only.',
    reference: cis('5.1.1', 'Ensure that the cluster-admin role is only used where required'),
    check: (v) =>
      v.roleRef.kind === 'ClusterRole' && v.roleRef.name === 'cluster-admin'
        ? [`${roleText(v)} ${scopeText(v)}`]
        : [],
  },
  {
    id: 'binding.admin-edit-cluster-wide',
    severity: 'High',
    title: 'Binds the admin or edit ClusterRole cluster-wide',
    description:
      'admin and edit read every Secret, exec into every Pod and create workloads as any service account; bound in a ClusterRoleBinding they do so in every namespace, kube-system included.',
    reference: rbacGoodPractice('least-privilege', 'Least privilege'),
    check: adminOrEdit('ClusterRoleBinding', roleText),
  },
  {
    id: 'binding.admin-edit-in-namespace',
    severity: 'Medium',
    title: 'Binds the admin or edit ClusterRole in a namespace',
    description:
      'admin and edit read the Secrets of the namespace, exec into its Pods and run workloads as any of its service accounts: every identity there is within reach of the subjects.',
    reference: rbacGoodPractice('least-privilege', 'Least privilege'),
    check: adminOrEdit('RoleBinding', (v) => `${roleText(v)} ${scopeText(v)}`),
  },
  {
    id: 'binding.escalating-role',
    severity: 'High',
    title: 'Binds an escalating role cluster-wide',
    description:
      'The referenced role has wildcards, escalate, bind, impersonate, Secret reads, pods/exec, nodes/proxy or token creation; the subjects get them in every namespace.',
    reference: cis('5.1.8', 'Limit use of the Bind, Impersonate and Escalate permissions'),
    check: escalatingRole('ClusterRoleBinding'),
  },
  {
    id: 'binding.escalating-role-in-namespace',
    severity: 'Medium',
    title: 'Binds an escalating role in a namespace',
    description:
      'The referenced role has wildcards, escalate, bind, impersonate, Secret reads, pods/exec or token creation; the subjects get them in the binding namespace.',
    reference: cis('5.1.8', 'Limit use of the Bind, Impersonate and Escalate permissions'),
    check: escalatingRole('RoleBinding'),
  },
  {
    id: 'binding.default-service-account',
    severity: 'Medium',
    title: 'Binds a default service account',
    description:
      'Every Pod that names no service account runs as default: the role goes to every such Pod of the namespace, present and future.',
    reference: cis('5.1.5', 'Ensure that default service accounts are not actively used'),
    check: named((s) => s.kind === 'ServiceAccount' && s.name === 'default'),
  },
  {
    id: 'binding.cross-namespace-service-account',
    severity: 'Medium',
    title: 'Binds a service account of another namespace',
    description:
      'A RoleBinding that grants its namespace to a service account living elsewhere lets workloads of that other namespace reach in, past the namespace boundary.',
    reference: rbacGoodPractice('least-privilege', 'Least privilege'),
    check: named(
      (s, v) =>
        v.kind === 'RoleBinding' &&
        s.kind === 'ServiceAccount' &&
        s.namespace !== undefined &&
        s.namespace !== v.namespace,
    ),
  },
  {
    id: 'binding.system-lookalike-subject',
    severity: 'High',
    title: 'Binds a subject named like a system identity',
    description:
      'A system: user or group Kubernetes never authenticates, or a service account named like a control-plane one outside kube-system (or one typo from it), is how a granted backdoor hides among real components.',
    reference: LOOKALIKE_REF,
    check: (v) =>
      v.subjects.flatMap((s) => {
        if (s.kind === 'User' && isFakeSystemUser(s.name)) return [`${subjectText(s)} is no system user`];
        // A Group system:anonymous matches no request, but it is meant as the public: its own rule says so.
        if (s.kind === 'Group' && isFakeSystemGroup(s.name) && !isUnauthenticated(s))
          return [`${subjectText(s)} is no system group`];
        const like = s.kind === 'ServiceAccount' ? imitatedServiceAccount(s.namespace, s.name) : undefined;
        return like ? [`${subjectText(s)} imitates kube-system/${like}`] : [];
      }),
  },
  {
    id: 'binding.system-lookalike-name',
    severity: 'Medium',
    title: 'Named like a system binding, written by a non-system writer',
    description:
      'Names with the system: or kubeadm: prefix, or close to cluster-admin, belong to bindings the API server and kubeadm create; one written by another tool is easy to overlook in a list. The writer is a field manager, which a client chooses: a hint, not proof.',
    reference: LOOKALIKE_REF,
    check: (v) => {
      const like = imitatedBindingName(v.name);
      if (!like || isSystemWriter(v.writer)) return [];
      return [`${v.name} uses ${like}, written by ${v.writer ?? 'a manifest (no field manager)'}`];
    },
  },
];
