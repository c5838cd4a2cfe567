/**
 * Image references and look-alike registries. A look-alike is a host that a person skimming a
 * manifest would read as a well-known registry but that someone else controls: a typo, a swapped
 * letter, a digit for a letter, a dash for a dot, another top-level domain, or the real name used
 * as the start of another domain. Judged by similarity, not by a list of known bad hosts.
 */

/** An image reference split into its parts; `registry` is `docker.io` when none is written. */
export interface ImageRef {
  registry: string;
  /** Whether the reference names its registry (`ghcr.io/x/y`) or relies on the default (`nginx`). */
  explicitRegistry: boolean;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/**
 * Parses an image reference as container runtimes do. `undefined` for what is not a concrete
 * reference (empty, whitespace, or an unrendered template like `{{ .Values.image }}` / `${IMAGE}`).
 */
export function parseImage(image: string): ImageRef | undefined {
  const ref = image.trim();
  if (ref === '' || /\s|\{\{|\$\{|\$\(/.test(ref)) return undefined;
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? undefined : ref.slice(at + 1);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const explicitRegistry =
    slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const rest = explicitRegistry ? name.slice(slash + 1) : name;
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  return {
    registry: explicitRegistry ? first.toLowerCase().replace(/:\d+$/, '') : 'docker.io',
    explicitRegistry,
    repository: tagged ? rest.slice(0, colon) : rest,
    tag: tagged ? rest.slice(colon + 1) : undefined,
    digest: digest !== undefined && DIGEST.test(digest) ? digest : undefined,
  };
}

/** Registries people recognise at a glance; their look-alikes are what an attacker registers. */
export const WELL_KNOWN_REGISTRIES = [
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'gcr.io',
  'ghcr.io',
  'quay.io',
  'registry.k8s.io',
  'k8s.gcr.io',
  'mcr.microsoft.com',
  'public.ecr.aws',
  'registry.gitlab.com',
  'nvcr.io',
  'registry.redhat.io',
  'cgr.dev',
  'docker.elastic.co',
] as const;

/**
 * Domains owned by registry operators: any host under them is theirs (regional mirrors such as
 * `eu.gcr.io`, `europe-docker.pkg.dev`, `*.azurecr.io`, ECR's `*.amazonaws.com`). Includes real
 * registries that are one letter away from another (`icr.io` next to `gcr.io`).
 */
const OWNED_DOMAINS = [
  'docker.io',
  'docker.com',
  'gcr.io',
  'ghcr.io',
  'github.com',
  'githubusercontent.com',
  'quay.io',
  'k8s.io',
  'pkg.dev',
  'microsoft.com',
  'azurecr.io',
  'ecr.aws',
  'amazonaws.com',
  'gitlab.com',
  'gitlab.cn',
  'nvcr.io',
  'icr.io',
  'redhat.io',
  'redhat.com',
  'cgr.dev',
  'elastic.co',
];

/** Letters that look alike in a monospace font or in another script, mapped to the Latin one. */
const CONFUSABLE: Record<string, string> = {
  '0': 'o',
  '1': 'l',
  i: 'l',
  '3': 'e',
  '5': 's',
  а: 'a',
  е: 'e',
  о: 'o',
  ο: 'o',
  р: 'p',
  с: 'c',
  х: 'x',
  у: 'y',
  і: 'l',
  ѕ: 's',
  ԁ: 'd',
  к: 'k',
  ɡ: 'g',
};

/** What a host looks like to a reader: confusable letters unified, separators dropped. */
export function skeleton(host: string): string {
  const folded = host.normalize('NFKD').toLowerCase().replace(/\p{M}/gu, '');
  return [...folded]
    .map((ch) => CONFUSABLE[ch] ?? ch)
    .join('')
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/[.\-_]/g, '');
}

/** Edit distance with adjacent transpositions (optimal string alignment); stops early above `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      cur.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] ?? max + 1;
}

const owned = (host: string): boolean => OWNED_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
const withoutTld = (host: string): string => host.slice(0, Math.max(0, host.lastIndexOf('.')));
/** Typos allowed: one for short names (every letter of `gcr.io` matters), two for longer ones. */
const typoBudget = (known: string): number => (known.length <= 7 ? 1 : 2);

/** Why `host` resembles `known` and how closely (0 = reads the same), or `undefined` when it does not. */
function resemblance(host: string, known: string): { how: string; distance: number } | undefined {
  if (host.startsWith(`${known}.`) || host.startsWith(`${known}-`))
    return { how: `starts with ${known}`, distance: 0 };
  if (skeleton(host) === skeleton(known)) return { how: `reads like ${known}`, distance: 0 };
  const distance = editDistance(host, known, typoBudget(known));
  if (distance <= typoBudget(known))
    return { how: `${distance} letter${distance === 1 ? '' : 's'} from ${known}`, distance };
  if (withoutTld(host) !== '' && withoutTld(host) === withoutTld(known))
    return { how: `${known} with another domain ending`, distance };
  return undefined;
}

/**
 * The well-known registry that `registry` imitates most closely and how, or `undefined` when it is
 * one of them, a host of a registry operator's own domain, or nothing like any of them.
 */
export function lookalikeOf(registry: string): { known: string; how: string } | undefined {
  const host = registry.toLowerCase();
  if (owned(host)) return undefined;
  let best: { known: string; how: string; score: number } | undefined;
  for (const known of WELL_KNOWN_REGISTRIES) {
    const r = resemblance(host, known);
    // Closest first; between equally close ones, the one of the same length (a swap, not a deletion).
    const score = r && r.distance * 100 + Math.abs(host.length - known.length);
    if (r && score !== undefined && (best === undefined || score < best.score)) best = { known, ...r, score };
  }
  return best && { known: best.known, how: best.how };
}
