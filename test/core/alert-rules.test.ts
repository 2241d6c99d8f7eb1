/**
 * prometheus/alerts.yml asks only for metrics the daemons export, with their labels (by the
 * same factories the daemons register them with); nats-server's (prometheus-nats-exporter)
 * and node_exporter's are left to test/ops/scrape.test.ts, which scrapes the running daemons.
 * The rules' behaviour is tested by promtool (prometheus/alerts.test.yml, in npm test).
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectorMetrics } from '../../src/collector/metrics.js';
import { storageLabels, storageMetrics } from '../../src/storage/metrics.js';
import { promqlNames } from '../ops/promql.js';

const rules = parse(readFileSync('prometheus/alerts.yml', 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
/** Labels Prometheus adds to every series of a target. */
const TARGET_LABELS = ['instance', 'job'];

describe('alert rules', () => {
  it('query only metrics the collector and storage export, with their labels', () => {
    const registry = new Registry();
    collectorMetrics(registry);
    storageMetrics(registry);
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThanOrEqual(12);
    let checked = 0;
    for (const r of all) {
      const { selectors, groupingLabels } = promqlNames(r.expr);
      expect(selectors.length, r.alert).toBeGreaterThan(0);
      for (const { name, labels } of selectors) {
        if (!name.startsWith('marketprism_')) continue;
        const metric = registry.getSingleMetric(name) as unknown as { labelNames: string[] } | undefined;
        expect(metric, `${r.alert}: ${name} is not exported`).toBeDefined();
        // The registry's default labels: `daemon` on every series, storage's `tier` on storage's.
        const defaults = name.startsWith('marketprism_storage_') ? Object.keys(storageLabels('hot')) : ['daemon'];
        for (const l of [...labels, ...groupingLabels].filter((x) => !TARGET_LABELS.includes(x))) {
          expect([...metric!.labelNames, ...defaults], `${r.alert}: ${name} has no label ${l}`).toContain(l);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});
