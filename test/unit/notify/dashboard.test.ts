import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createMetrics } from '../../../src/observability/metrics.js';
import { ROOT } from '../support/fixtures.js';

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(
  readFileSync(path.join(ROOT, 'manifests/grafana/tripline-dashboard.json'), 'utf8'),
) as { panels: Panel[]; uid: string; templating: { list: { name: string }[] } };
const exprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);

/** Metric names an expression uses: every tripline_* identifier, histogram series mapped to the family. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\btripline_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

describe('Grafana dashboard (manifests/grafana/tripline-dashboard.json)', () => {
  const registry = createMetrics().registry;
  const known = new Set(registry.getMetricsAsArray().map((m) => m.name));

  it('has panels with queries and a datasource variable', () => {
    assert.ok(exprs.length >= 15, `${exprs.length} queries`);
    assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource'));
    assert.equal(dashboard.uid, 'tripline-operator');
  });

  for (const { panel, expr } of exprs) {
    it(`"${panel}" queries only metrics the operator exports: ${expr}`, () => {
      const names = metricNames(expr);
      assert.ok(names.length > 0, 'names a tripline_ metric');
      for (const n of names) assert.ok(known.has(n), `${n} is not in the metrics registry`);
    });
  }

  // Issue 10 part 3: the topics the dashboard must show, each by the metric behind it.
  const topics: [string, string][] = [
    ['alerts raised by detection/severity', 'tripline_alerts_raised_total'],
    ['open alerts', 'tripline_open_alerts'],
    ['detection latency quantiles', 'tripline_detection_latency_seconds'],
    ['watch restarts', 'tripline_watch_restarts_total'],
    ['relists', 'tripline_watch_relists_total'],
    ['queue depth', 'tripline_queue_depth'],
    ['suppressed events', 'tripline_suppressed_total'],
    ['sink errors', 'tripline_notifications_failed_total'],
    ['leader status', 'tripline_leader'],
  ];
  for (const [topic, metric] of topics) {
    it(`shows ${topic} (${metric})`, () => {
      assert.ok(
        exprs.some((e) => metricNames(e.expr).includes(metric)),
        `no panel queries ${metric}`,
      );
    });
  }

  it('computes latency quantiles from the histogram buckets', () => {
    const q = exprs.filter((e) => e.expr.includes('histogram_quantile'));
    assert.ok(q.length >= 2);
    for (const e of q) assert.match(e.expr, /tripline_detection_latency_seconds_bucket/);
  });
});
