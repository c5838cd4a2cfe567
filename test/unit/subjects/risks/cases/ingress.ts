import { ingress, ingressRule } from '../fixtures.js';
import type { Case } from './case.js';

/** Ingress cases. */
export const INGRESS_CASES: Case[] = [
  { name: 'clean Ingress', obj: ingress(), want: [] },
  { name: 'no TLS', obj: ingress({ tls: undefined }), want: ['ingress.no-tls'] },
  {
    name: 'TLS for one of two hosts',
    obj: ingress({ rules: [ingressRule('shop.example.com'), ingressRule('admin.example.com')] }),
    want: ['ingress.no-tls'],
  },
  {
    name: 'TLS by a wildcard certificate',
    obj: ingress({ tls: [{ hosts: ['*.example.com'], secretName: 'wild' }] }),
    want: [],
    negativeFor: 'ingress.no-tls',
  },
  {
    name: 'wildcard host',
    obj: ingress({ rules: [ingressRule('*.example.com')], tls: [{ hosts: ['*.example.com'] }] }),
    want: ['ingress.wildcard-host'],
  },
  {
    name: 'a host with a wildcard TLS entry only',
    obj: ingress({ tls: [{ hosts: ['*.example.com'] }] }),
    want: [],
    negativeFor: 'ingress.wildcard-host',
  },
  {
    name: 'a rule without host (TLS default certificate)',
    obj: ingress({ rules: [ingressRule(undefined)], tls: [{ secretName: 'default' }] }),
    want: ['ingress.empty-host'],
  },
  {
    name: 'a default backend only, without TLS',
    obj: ingress({
      rules: undefined,
      tls: undefined,
      defaultBackend: { service: { name: 'web', port: { number: 80 } } },
    }),
    want: ['ingress.empty-host', 'ingress.no-tls'],
  },
  {
    name: 'empty host string',
    obj: ingress({ rules: [ingressRule('')], tls: [{}] }),
    want: ['ingress.empty-host'],
    negativeFor: 'ingress.no-tls',
  },
  {
    name: 'every rule has a host',
    obj: ingress({ rules: [ingressRule('shop.example.com', ['/', '/api'])] }),
    want: [],
    negativeFor: 'ingress.empty-host',
  },
  {
    name: 'no ingress class',
    obj: ingress({ ingressClassName: undefined }),
    want: ['ingress.default-class'],
  },
  {
    name: 'class by the legacy annotation',
    obj: ingress({ ingressClassName: undefined }, { 'kubernetes.io/ingress.class': 'internal' }),
    want: [],
    negativeFor: 'ingress.default-class',
  },
  {
    name: 'configuration snippet (headers only)',
    obj: ingress(
      {},
      { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X-Frame-Options: DENY";' },
    ),
    want: ['ingress.snippet-annotation'],
  },
  {
    name: "NGINX Inc.'s server-snippets",
    obj: ingress({}, { 'nginx.org/server-snippets': 'add_header X-Served-By nginx;' }),
    want: ['ingress.snippet-annotation'],
  },
  {
    name: 'ordinary ingress-nginx annotations',
    obj: ingress(
      {},
      {
        'nginx.ingress.kubernetes.io/rewrite-target': '/$2',
        'nginx.ingress.kubernetes.io/proxy-body-size': '0',
        'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8,192.168.0.0/16',
        'nginx.ingress.kubernetes.io/auth-signin':
          'https://auth.example.com/oauth2/start?rd=$escaped_request_uri',
        'nginx.ingress.kubernetes.io/canary-by-header-pattern': '^[a-z]{3}$',
        'nginx.org/rewrites': 'serviceName=web rewrite=/;serviceName=api rewrite=/v1/',
        'kubectl.kubernetes.io/last-applied-configuration': '{"a":{"b":"c;d"}}',
      },
    ),
    want: [],
    negativeFor: 'ingress.snippet-annotation',
  },
  {
    name: 'directive injection through permanent-redirect',
    obj: ingress(
      {},
      { 'nginx.ingress.kubernetes.io/permanent-redirect': 'https://x.example.com;\nlocation /x {' },
    ),
    want: ['ingress.annotation-injection'],
  },
  {
    name: 'Lua code in a snippet',
    obj: ingress(
      {},
      {
        'nginx.ingress.kubernetes.io/server-snippet':
          'location /x { content_by_lua_block { os.execute("id") } }',
      },
    ),
    want: ['ingress.snippet-annotation', 'ingress.annotation-injection'],
  },
  {
    name: 'a snippet serving the service account token',
    obj: ingress(
      {},
      {
        'nginx.ingress.kubernetes.io/configuration-snippet':
          'alias /var/run/secrets/kubernetes.io/serviceaccount/;',
      },
    ),
    want: ['ingress.snippet-annotation', 'ingress.annotation-injection'],
  },
  {
    name: 'braces in a non-NGINX annotation',
    obj: ingress({}, { 'example.com/config': '{"root": "/etc/"}' }),
    want: [],
    negativeFor: 'ingress.annotation-injection',
  },
  {
    name: 'auth-url',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/auth-url': 'https://auth.example.com/oauth2/auth' }),
    want: ['ingress.auth-url-annotation'],
  },
  {
    name: 'auth-url injection',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/auth-url': 'http://x/#;\nload_module /tmp/x.so;' }),
    want: ['ingress.auth-url-annotation', 'ingress.annotation-injection'],
  },
  {
    name: 'auth-type basic',
    obj: ingress(
      {},
      {
        'nginx.ingress.kubernetes.io/auth-type': 'basic',
        'nginx.ingress.kubernetes.io/auth-secret': 'basic-auth',
      },
    ),
    want: [],
    negativeFor: 'ingress.auth-url-annotation',
  },
  {
    name: 'auth-tls-match-cn',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=client' }),
    want: ['ingress.auth-tls-match-cn-annotation'],
  },
  {
    name: 'auth-tls-verify-client',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on' }),
    want: [],
    negativeFor: 'ingress.auth-tls-match-cn-annotation',
  },
  {
    name: 'auth-tls-match-cn injection: a comment and an NGINX variable',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=client$ssl_client_s_dn #' }),
    want: ['ingress.auth-tls-match-cn-annotation', 'ingress.annotation-injection'],
  },
  {
    name: 'auth-tls-match-cn injection: a separator and a brace',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=x) { return 200; } if ($x' }),
    want: ['ingress.auth-tls-match-cn-annotation', 'ingress.annotation-injection'],
  },
  {
    name: 'auth-tls-match-cn as a regular expression with an end anchor',
    obj: ingress(
      {},
      { 'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=(client|admin)\\.example\\.com$' },
    ),
    want: ['ingress.auth-tls-match-cn-annotation'],
    negativeFor: 'ingress.annotation-injection',
  },
  {
    name: 'alias written without a space, in a snippet',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/server-snippet': 'location /x {alias/srv/;}' }),
    want: ['ingress.snippet-annotation', 'ingress.annotation-injection'],
  },
  {
    name: "NGINX Inc.'s location-snippets reading the token",
    obj: ingress({}, { 'nginx.org/location-snippets': 'alias /var/run/kubernetes/serviceaccount/;' }),
    want: ['ingress.snippet-annotation', 'ingress.annotation-injection'],
  },
  {
    name: 'a /var/run/kubernetes token path in a non-snippet annotation',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/default-backend': '/var/run/kubernetes/serviceaccount' }),
    want: ['ingress.annotation-injection'],
  },
  {
    name: 'snippets whose words only look like alias and root',
    obj: ingress(
      {},
      {
        'nginx.org/server-snippets':
          'add_header X-Alias-Host alias.example.com; add_header X-Root-Path /root-app;',
        'nginx.ingress.kubernetes.io/server-alias': 'www.example.com',
      },
    ),
    want: ['ingress.snippet-annotation'],
    negativeFor: 'ingress.annotation-injection',
  },
  {
    name: 'mirror-target',
    obj: ingress(
      {},
      { 'nginx.ingress.kubernetes.io/mirror-target': 'https://mirror.example.com$request_uri' },
    ),
    want: ['ingress.mirror-annotation'],
  },
  {
    name: 'mirror-host',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/mirror-host': 'mirror.example.com' }),
    want: ['ingress.mirror-annotation'],
  },
  {
    name: 'mirror-request-body alone',
    obj: ingress({}, { 'nginx.ingress.kubernetes.io/mirror-request-body': 'off' }),
    want: [],
    negativeFor: 'ingress.mirror-annotation',
  },
  {
    name: 'path /.git',
    obj: ingress({ rules: [ingressRule('shop.example.com', ['/', '/.git/config'])] }),
    want: ['ingress.sensitive-path'],
  },
  {
    name: 'path /.env.production',
    obj: ingress({ rules: [ingressRule('shop.example.com', ['/.env.production'])] }),
    want: ['ingress.sensitive-path'],
  },
  {
    name: 'encoded traversal to /etc/passwd',
    obj: ingress({ rules: [ingressRule('shop.example.com', ['/static/%2e%2e/%2e%2e/etc/passwd'])] }),
    want: ['ingress.sensitive-path'],
  },
  {
    name: 'ACME challenge and ordinary paths',
    obj: ingress({
      rules: [ingressRule('shop.example.com', ['/.well-known/acme-challenge', '/etcetera', '/api/v1'])],
    }),
    want: [],
    negativeFor: 'ingress.sensitive-path',
  },
  {
    name: 'backend Service missing',
    obj: ingress(),
    ctx: { serviceExists: (ns, name) => !(ns === 'shop' && name === 'web') },
    want: ['ingress.backend-missing'],
  },
  {
    name: 'backend Service unknown',
    obj: ingress(),
    ctx: { serviceExists: () => undefined },
    want: [],
    negativeFor: 'ingress.backend-missing',
  },
  {
    name: 'backend Service present',
    obj: ingress(),
    ctx: { serviceExists: () => true },
    want: [],
    negativeFor: 'ingress.backend-missing',
  },
  {
    name: 'removed extensions/v1beta1 shape: serviceName backend, no TLS',
    obj: {
      apiVersion: 'extensions/v1beta1',
      kind: 'Ingress',
      metadata: { name: 'old', namespace: 'shop', annotations: { 'kubernetes.io/ingress.class': 'nginx' } },
      spec: {
        rules: [
          {
            host: 'old.example.com',
            http: { paths: [{ path: '/', backend: { serviceName: 'gone', servicePort: 80 } }] },
          },
        ],
      },
    },
    ctx: { serviceExists: () => false },
    want: ['ingress.no-tls', 'ingress.backend-missing'],
  },
];
