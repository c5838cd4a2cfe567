import type { Case } from './case.js';

const configMap = (data: Record<string, unknown>, name = 'ingress-nginx-controller') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ingress-nginx' },
  data,
});

/** ConfigMap cases (the ingress-nginx controller's settings). */
export const CONFIGMAP_CASES: Case[] = [
  {
    name: 'ingress-nginx allows snippet annotations',
    obj: configMap({ 'allow-snippet-annotations': 'true', 'annotations-risk-level': 'Critical' }),
    want: ['configmap.nginx-snippets-allowed'],
  },
  {
    name: 'allow-snippet-annotations "True" in a ConfigMap of another name',
    obj: configMap({ 'allow-snippet-annotations': ' True ' }, 'nginx-config'),
    want: ['configmap.nginx-snippets-allowed'],
  },
  {
    name: 'ingress-nginx with snippets off (the default since 1.9)',
    obj: configMap({ 'allow-snippet-annotations': 'false', 'use-forwarded-headers': 'true' }),
    want: [],
    negativeFor: 'configmap.nginx-snippets-allowed',
  },
  {
    name: 'an application ConfigMap',
    obj: configMap({ 'app.properties': 'allow-snippet-annotations=true' }, 'app-config'),
    want: [],
    negativeFor: 'configmap.nginx-snippets-allowed',
  },
];
