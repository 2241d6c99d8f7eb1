/**
 * The shipped Grafana dashboards (grafana/dashboards/*.json) are what their TypeScript source
 * (src/ops/dashboards, typed by Grafana's foundation SDK) produces, and have the structure
 * Grafana requires to import them. That their queries name real metrics and run as SQL
 * against the real schema is test/ops/scrape.test.ts's job.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARDS, dashboardJson } from '../../src/ops/dashboards/index.js';
import { promqlNames } from './promql.js';

interface Target {
  refId?: string;
  datasource?: { type?: string; uid?: string };
  expr?: string;
  rawSql?: string;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  gridPos?: { x: number; y: number; w: number; h: number };
}

describe('grafana dashboards', () => {
  it('the committed JSON is what the source writes, and nothing else is in grafana/dashboards', () => {
    for (const d of DASHBOARDS) expect(readFileSync(`grafana/dashboards/${d.file}`, 'utf8'), d.file).toBe(dashboardJson(d.build()));
    expect(readdirSync('grafana/dashboards').sort()).toEqual(DASHBOARDS.map((d) => d.file).sort());
  });

  it('have what Grafana needs: uid, title, schemaVersion, unique panel ids, each panel with a data source and targets', () => {
    const uids = new Set<string>();
    for (const { file, build } of DASHBOARDS) {
      const d = build() as unknown as {
        uid: string;
        title: string;
        schemaVersion: number;
        panels: Panel[];
        templating: { list: { name: string; type: string }[] };
      };
      expect(d.uid, file).toMatch(/^[a-zA-Z0-9_-]{1,40}$/); // Grafana's uid limit
      expect(uids.has(d.uid), `${file}: uid ${d.uid} used twice`).toBe(false);
      uids.add(d.uid);
      expect(d.title, file).toBeTruthy();
      expect(d.schemaVersion, file).toBeGreaterThanOrEqual(39);
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size, `${file}: panel ids`).toBe(ids.length);
      const vars = new Set(d.templating.list.map((v) => v.name));
      const panels = d.panels.filter((p) => p.type !== 'row');
      expect(panels.length, file).toBeGreaterThan(3);
      for (const p of panels) {
        const at = `${file} "${p.title}"`;
        expect(p.title, at).toBeTruthy();
        expect(['timeseries', 'table', 'stat'], at).toContain(p.type);
        expect(p.gridPos!.x + p.gridPos!.w, at).toBeLessThanOrEqual(24);
        expect(p.datasource?.type, at).toMatch(/^(prometheus|grafana-clickhouse-datasource)$/);
        expect(p.targets?.length, at).toBeGreaterThan(0);
        const refIds = p.targets!.map((t) => t.refId);
        expect(new Set(refIds).size, `${at}: refIds`).toBe(refIds.length);
        for (const t of p.targets!) {
          expect(t.refId, at).toMatch(/^[A-Z]$/);
          expect(t.datasource, at).toEqual(p.datasource);
          const query = p.datasource!.type === 'prometheus' ? t.expr : t.rawSql;
          expect(query, at).toBeTruthy();
          // Every ${variable} a query or data source names is defined by the dashboard.
          for (const v of `${query} ${t.datasource!.uid}`.matchAll(/\$\{?(\w+)/g)) if (!v[1]!.startsWith('__')) expect(vars, `${at}: $${v[1]}`).toContain(v[1]);
        }
      }
    }
  });

  it('the provisioning files point at the shipped dashboards and name the data source types the dashboards use', () => {
    const dash = parse(readFileSync('grafana/provisioning/dashboards/marketprism.yaml', 'utf8')) as {
      apiVersion: number;
      providers: { name: string; type: string; options: { path: string } }[];
    };
    expect(dash.apiVersion).toBe(1);
    expect(dash.providers).toEqual([
      expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/usr/share/marketprism/grafana/dashboards' }) }),
    ]);
    const ds = parse(readFileSync('grafana/provisioning/datasources/marketprism.yaml.example', 'utf8')) as { datasources: { type: string }[] };
    const used = new Set(DASHBOARDS.flatMap((d) => (d.build().panels ?? []).map((p) => p.datasource?.type).filter(Boolean)));
    expect(new Set(ds.datasources.map((d) => d.type))).toEqual(used);
  });
});

describe('PromQL metric extraction', () => {
  it('finds metric names and labels, not functions, keywords, durations, strings or numbers', () => {
    const r = promqlNames(
      'histogram_quantile(0.99, sum by (le, data_type) (rate(a_seconds_bucket{job="x", data_type=~"t|u"}[$__rate_interval]))) > 1e3 and on (instance) b offset 5m / ignoring(x) c_total{n!="a{b}"} or vector(0)',
    );
    expect(r.selectors).toEqual([
      { name: 'a_seconds_bucket', labels: ['job', 'data_type'] },
      { name: 'b', labels: [] },
      { name: 'c_total', labels: ['n'] },
    ]);
    expect(r.groupingLabels).toEqual(['le', 'data_type', 'instance', 'x']);
    expect(promqlNames('time() - max by (venue) (m:rec)').selectors).toEqual([{ name: 'm:rec', labels: [] }]);
    expect(() => promqlNames('{__name__="x"}')).toThrow(/without a metric name/);
  });
});
