import type { Reference } from './types.js';

const PSS_URL = 'https://kubernetes.io/docs/concepts/security/pod-security-standards/';
const CIS_URL = 'https://www.cisecurity.org/benchmark/kubernetes';

/** A Pod Security Standards control (`Baseline` or `Restricted`), linked to its level's table. */
export const pss = (level: 'Baseline' | 'Restricted', control: string): Reference => ({
  label: `Pod Security Standards ${level}: ${control}`,
  url: `${PSS_URL}#${level.toLowerCase()}`,
});

/** A control of the CIS Kubernetes Benchmark (section 5, policies). */
export const cis = (control: string, title: string): Reference => ({
  label: `CIS Kubernetes Benchmark ${control} (${title})`,
  url: CIS_URL,
});

/** One or more CVEs; the link goes to the first. */
export const cve = (...ids: [string, ...string[]]): Reference => ({
  label: ids.join(', '),
  url: `https://nvd.nist.gov/vuln/detail/${ids[0]}`,
});

/** A page of documentation or a catalogue entry. */
export const doc = (label: string, url: string): Reference => ({ label, url });

/** Kubernetes "Role Based Access Control Good Practices", at an anchor. */
export const rbacGoodPractice = (anchor: string, title: string): Reference =>
  doc(
    `Kubernetes RBAC good practices: ${title}`,
    `https://kubernetes.io/docs/concepts/security/rbac-good-practices/#${anchor}`,
  );
