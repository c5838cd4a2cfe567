/**
 * The small functions behind the Ingress rules (src/subjects/ingress/risks.ts): TLS coverage,
 * NGINX annotations (snippets, injection in values) and paths aimed at sensitive files.
 */
import type { IngressView } from './view.js';

/** Whether a TLS host entry covers `host` (exact, or a `*.` wildcard one label deep). */
function tlsCovers(entry: string, host: string): boolean {
  if (entry === host) return true;
  if (!entry.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot) === entry.slice(1);
}

/** What is served without TLS: hosts not covered by `spec.tls`, rules without host, a bare default backend. */
export function withoutTls(ing: IngressView): string[] {
  if (ing.tlsHosts === 'all') return [];
  const tls = ing.tlsHosts;
  const out: string[] = [];
  for (const r of ing.rules) {
    if (!r.host) out.push('any host');
    else if (!tls.some((t) => tlsCovers(t, r.host as string))) out.push(`host ${r.host}`);
  }
  if (ing.rules.length === 0 && ing.hasDefaultBackend && tls.length === 0)
    out.push('spec.defaultBackend (any host)');
  return out;
}

/** The name part of an annotation key (`nginx.ingress.kubernetes.io/server-snippet` → `server-snippet`). */
const nameOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);
/** Annotations read by an NGINX-based controller (any prefix naming nginx, or the pre-0.9 `ingress.kubernetes.io`). */
const isNginxAnnotation = (key: string): boolean => {
  const slash = key.lastIndexOf('/');
  return (
    slash > 0 && (key.slice(0, slash).includes('nginx') || key.slice(0, slash) === 'ingress.kubernetes.io')
  );
};
/**
 * NGINX Inc.'s controller (`nginx.org/...`) validates its annotations and uses `;` as a separator in
 * some of them (`nginx.org/rewrites`): only ingress-nginx's get the separator checks.
 */
const isNginxIncAnnotation = (key: string): boolean => /^([a-z0-9.-]+\.)?nginx\.(org|com)\//.test(key);
/** Annotations whose value is raw NGINX configuration (ingress-nginx and NGINX Inc. controllers). */
const SNIPPET = /^(server|configuration|location|stream|auth|modsecurity|http|main)-snippets?$/;

/** The NGINX annotations named by `names`, as `annotation key`. */
export const annotationsNamed =
  (names: readonly string[]) =>
  (ing: IngressView): string[] =>
    Object.keys(ing.annotations)
      .filter((k) => isNginxAnnotation(k) && names.includes(nameOf(k)))
      .map((k) => `annotation ${k}`);

/** Directives and paths that turn NGINX configuration into file reads or code execution. */
const DANGEROUS_CONTENT: ReadonlyArray<[RegExp, string]> = [
  // At the start of a directive, followed by a space, a path or a quote: NGINX also reads
  // `alias/etc/;` written without a space the way attackers send it.
  [/(^|[\s;{}])alias(\s|[/"'$;]|$)/, 'alias directive'],
  [/(^|[\s;{}])root(\s+\S|[/"'$])/, 'root directive'],
  [/_by_lua/, 'Lua code (*_by_lua)'],
  [/\bload_module\b/, 'load_module'],
  [/\bssl_engine\b/, 'ssl_engine'],
  [/\/etc\//, 'path under /etc/'],
  [/\/proc\/(self|\d+)\//, 'path under /proc/'],
  [
    /\/var\/run\/(secrets|kubernetes)\b|\/run\/secrets\/kubernetes\.io|\bserviceaccount\/token\b|\/serviceaccount\b/,
    'service account token path',
  ],
];
/** Characters that end an NGINX directive or open a block: injection outside snippets. */
const INJECTION: ReadonlyArray<[RegExp, string]> = [
  [/;/, '";"'],
  [/[{}]/, '"{" or "}"'],
  [/[\r\n]/, 'a newline'],
];
/** Annotations whose values are regular expressions, where braces are quantifiers. */
const REGEX_VALUED = new Set(['canary-by-header-pattern', 'server-alias']);
/**
 * Characters that break out of one annotation's place in the generated configuration besides the
 * separators above: auth-tls-match-cn lands in an `if` condition, where `#` comments out the rest of
 * the line, a quote ends the string and `$name` reads an NGINX variable (CVE-2025-1097).
 */
const BREAKOUT: Readonly<Record<string, ReadonlyArray<[RegExp, string]>>> = {
  'auth-tls-match-cn': [
    [/#/, '"#" (comment)'],
    [/["'`]/, 'a quote'],
    [/\$(\{|[A-Za-z_])/, 'an NGINX variable ($name)'],
    [/\\[nr]/, 'an escaped newline'],
  ],
};

/** What in an NGINX annotation's value can inject configuration; the value itself is never shown. */
function injectionIn(key: string, value: string): string[] {
  const rawConfig = SNIPPET.test(nameOf(key)) || isNginxIncAnnotation(key);
  const checks = [
    ...DANGEROUS_CONTENT,
    ...(rawConfig
      ? []
      : INJECTION.filter(([, what]) => !(REGEX_VALUED.has(nameOf(key)) && what.includes('{')))),
    ...(rawConfig ? [] : (BREAKOUT[nameOf(key)] ?? [])),
  ];
  return checks.filter(([re]) => re.test(value)).map(([, what]) => what);
}

/** Path segments that name files no site should serve: VCS metadata, credentials, system files. */
const SECRET_FILES =
  /^\.(git|svn|hg|env|ssh|aws|kube|docker|npmrc|pypirc|netrc|htpasswd|htaccess|git-credentials|bash_history)(\..*)?$/i;
const SYSTEM_PATHS = /^\/(etc|proc|root|var\/run\/secrets|var\/lib\/kubelet)(\/|$)/i;

function sensitivePath(path: string): string | undefined {
  const decoded = path.replace(/%2e/gi, '.').replace(/%2f|%5c|\\/gi, '/');
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..')) return 'path traversal (..)';
  const file = segments.find((s) => SECRET_FILES.test(s));
  if (file) return `exposes ${file}`;
  if (SYSTEM_PATHS.test(decoded)) return 'names a system path';
  return undefined;
}

/** Snippet annotations of NGINX controllers, as `annotation key`. */
export const snippetAnnotations = (ing: IngressView): string[] =>
  Object.keys(ing.annotations)
    .filter((k) => isNginxAnnotation(k) && SNIPPET.test(nameOf(k)))
    .map((k) => `annotation ${k}`);

/** NGINX annotations whose value can inject configuration, with what was found (never the value). */
export const injectedAnnotations = (ing: IngressView): string[] =>
  Object.entries(ing.annotations)
    .filter(([k]) => isNginxAnnotation(k))
    .flatMap(([k, v]) => {
      const found = injectionIn(k, v);
      return found.length > 0 ? [`annotation ${k} contains ${found.join(', ')}`] : [];
    });

/** Paths aimed at sensitive files, with why. */
export const sensitivePaths = (ing: IngressView): string[] =>
  ing.rules.flatMap((r) =>
    r.paths.flatMap((p) => {
      const why = sensitivePath(p);
      return why ? [`path ${p} (${why})`] : [];
    }),
  );
