import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import {
  compileTraffic,
  type TrafficSettings,
  type TrafficSpec,
} from '../../../src/detections/traffic-settings.js';
import type { AccessRecord } from '../../../src/traffic/record.js';

/** A traffic detection as stored, with the given spec.traffic (and optional other spec fields). */
export function trafficDetection(
  traffic: TrafficSpec,
  spec: Partial<AuditDetection['spec']> = {},
  name = 'ingress-traffic-anomaly',
): AuditDetection {
  return {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name, uid: `uid-${name}`, generation: 1 },
    spec: {
      title: 'Traffic',
      severity: 'Medium',
      category: 'Traffic',
      resources: [{ group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' }],
      events: ['TrafficAnomaly'],
      traffic,
      ...spec,
    },
  };
}

/** Compiled settings; throws on compile errors. */
export function settingsOf(
  traffic: TrafficSpec,
  spec: Partial<AuditDetection['spec']> = {},
): TrafficSettings {
  const r = compileTraffic(trafficDetection(traffic, spec));
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.settings;
}

/** A parsed access record for Ingress shop/web unless overridden. */
export function rec(over: Partial<AccessRecord> = {}): AccessRecord {
  return {
    timeMs: undefined,
    remoteAddr: '10.0.0.1',
    forwardedFor: undefined,
    key: 'ingress/shop/web',
    namespace: 'shop',
    ingress: 'web',
    host: 'shop.example.com',
    service: 'web-svc',
    status: 200,
    ...over,
  };
}

/** Every rule off; tests turn on the one they look at. */
export const ALL_OFF: TrafficSpec = {
  disallowedSource: { enabled: false },
  requestRate: { enabled: false },
  clientErrorRatio: { enabled: false },
  serverErrorRatio: { enabled: false },
};
