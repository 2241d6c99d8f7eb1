/**
 * prometheus/alerts.yml asks only for metrics the daemons export (by the same factories the
 * daemons register them with), or node_exporter's systemd collector for the watchdog rule.
 * The rules' behaviour is tested by promtool (prometheus/alerts.test.yml, in npm test).
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectorMetrics } from '../../src/collector/metrics.js';
import { storageMetrics } from '../../src/storage/metrics.js';

const rules = parse(readFileSync('prometheus/alerts.yml', 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
const EXTERNAL = new Set(['node_systemd_service_restart_total']); // node_exporter --collector.systemd.enable-restarts-metrics

describe('alert rules', () => {
  it('query only metrics the collector and storage export, with their labels', async () => {
    const registry = new Registry();
    collectorMetrics(registry);
    storageMetrics(registry);
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const r of all) {
      // Each selector: a metric name and its {label matchers}; by (...) names labels of the metric inside.
      const selectors = [...r.expr.matchAll(/\b(marketprism_\w+|node_\w+)(\{[^}]*\})?/g)].map((m) => ({ name: m[1]!, matchers: m[2] ?? '' }));
      expect(selectors.length, r.alert).toBeGreaterThan(0);
      const byLabels = [...r.expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((x) => x.trim()));
      for (const { name, matchers } of selectors) {
        if (EXTERNAL.has(name)) continue;
        const metric = registry.getSingleMetric(name) as unknown as { labelNames: string[] } | undefined;
        expect(metric, `${r.alert}: ${name} is not exported`).toBeDefined();
        const labels = [...matchers.matchAll(/(\w+)\s*=~?"/g)].map((m) => m[1]!).concat(byLabels.filter((l) => l !== 'instance'));
        for (const l of labels) expect(metric!.labelNames, `${r.alert}: ${name} has no label ${l}`).toContain(l);
      }
    }
  });
});
