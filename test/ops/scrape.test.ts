/**
 * Every metric the shipped dashboards and alert rules query exists: the real daemons run
 * (marketprism-sim → collector → broker's nats-server → storage → ClickHouse engine on chDB,
 * the fault suite's rig), their /metrics are scraped, and nats-server's metrics are those
 * prometheus-nats-exporter derives from the server's real /varz and /jsz answers
 * (./nats-exporter.ts). Each PromQL target's metric names and labels must be among them.
 * The ClickHouse dashboard's SQL runs, its Grafana macros expanded, against the schema
 * storage migrated, with the rows storage wrote.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectorMetrics } from '../../src/collector/metrics.js';
import { createRegistry } from '../../src/core/metrics.js';
import { DASHBOARDS } from '../../src/ops/dashboards/index.js';
import { storageLabels, storageMetrics } from '../../src/storage/metrics.js';
import { Rig } from '../../src/testing/fault-suite/rig.js';
import { waitFor } from '../../src/testing/ports.js';
import { JSZ_QUERY, jszMetricNames, varzMetricNames } from './nats-exporter.js';
import { exposedNames, promqlNames } from './promql.js';

/** node_exporter --collector.systemd --collector.systemd.enable-restarts-metrics (the watchdog rule); not run here. */
const EXTERNAL = new Map([['node_systemd_service_restart_total', ['name']]]);
const TARGET_LABELS = ['instance', 'job'];

interface Target {
  expr?: string;
  rawSql?: string;
}
const targets = (type: string): { where: string; q: Target }[] =>
  DASHBOARDS.flatMap(({ file, build }) =>
    (build().panels ?? []).flatMap((p) =>
      p.type === 'row' ? [] : ((p as { targets?: Target[] }).targets ?? []).map((q) => ({ where: `${file} "${p.title}"`, q, type: p.datasource?.type })),
    ),
  ).filter((t) => t.type === type);

const alertRules = (parse(readFileSync('prometheus/alerts.yml', 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap(
  (g) => g.rules,
);

/** The Grafana ClickHouse plugin's macros as it expands them, for a fixed range and interval. */
function expandMacros(sql: string, from: number, to: number, intervalSeconds: number): string {
  const out = sql
    .replaceAll('${database}', 'marketprism_hot')
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, c: string) => `${c} >= toDateTime(${from}) AND ${c} <= toDateTime(${to})`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, (_m, c: string) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalSeconds} second)`);
  if (out.includes('$')) throw new Error(`a macro or variable left unexpanded: ${out}`);
  return out;
}

describe('metrics and SQL the dashboards and alerts query', () => {
  const rig = new Rig({ bufferMaxRecords: 100_000, say: () => undefined });
  /** metric name → its label names (undefined: the label set is not known from the source, any is accepted). */
  const exported = new Map<string, string[] | undefined>();
  let storageText = '';

  beforeAll(async () => {
    await rig.start();
    const get = async (url: string) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      expect(res.status, url).toBe(200);
      return res.text();
    };
    const scrapeStorage = () => get(`http://127.0.0.1:${rig.ports.storage}/metrics`);
    // Rows stored: every data type's consumer has reported.
    await waitFor(
      'storage storing rows',
      async () => /marketprism_storage_messages_total\{[^}]*outcome="stored"[^}]*\} [1-9]/.test(await scrapeStorage()),
      60_000,
      500,
    );
    // The newest-record check below needs both of the rig's venues' trades stored, not just a first row.
    await waitFor(
      'trades of binance and okx stored',
      async () => (await rig.chdb.query<{ n: string }>('SELECT uniqExact(exchange) AS n FROM marketprism_hot.trades').catch(() => [{ n: '0' }]))[0]?.n === '2',
      60_000,
      500,
    );

    // Labels of our own metrics from the factories the daemons register them with (+ the registry's default
    // labels: `daemon`, and storage's `tier`).
    const registry = createRegistry('test');
    collectorMetrics(registry);
    storageMetrics(registry);
    const ours = (name: string) => {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const m = (registry.getSingleMetric(name) ?? registry.getSingleMetric(base)) as unknown as { labelNames?: string[] } | undefined;
      const defaults = name.startsWith('marketprism_storage_') ? Object.keys(storageLabels('hot')) : ['daemon'];
      return m ? [...(m.labelNames ?? []), ...defaults, ...(name.endsWith('_bucket') ? ['le'] : [])] : undefined;
    };
    storageText = await scrapeStorage();
    for (const text of [await get(`http://127.0.0.1:${rig.ports.metrics}/metrics`), storageText]) {
      for (const name of exposedNames(text)) exported.set(name, ours(name));
    }
    const monitor = `http://127.0.0.1:${rig.ports.monitor}`;
    for (const [n, l] of varzMetricNames(JSON.parse(await get(`${monitor}/varz`)) as Record<string, unknown>)) exported.set(n, l);
    for (const [n, l] of jszMetricNames(JSON.parse(await get(`${monitor}${JSZ_QUERY}`)) as never)) exported.set(n, l);
    for (const [n, l] of EXTERNAL) exported.set(n, l);
  }, 180_000);

  afterAll(async () => {
    await rig.close();
    rmSync(rig.dir, { recursive: true, force: true });
  }, 60_000);

  /** Each selector's metric is exported, with the labels its matchers name; each grouping label is on one of the expression's metrics. */
  function checkExpr(where: string, expr: string): string[] {
    const problems: string[] = [];
    const { selectors, groupingLabels } = promqlNames(expr);
    if (selectors.length === 0) problems.push(`${where}: no metric in ${expr}`);
    const labelsOf = (name: string) => [...(exported.get(name) ?? []), ...TARGET_LABELS];
    for (const { name, labels } of selectors) {
      if (!exported.has(name)) problems.push(`${where}: ${name} is not exported`);
      else for (const l of labels) if (!labelsOf(name).includes(l)) problems.push(`${where}: ${name} has no label ${l}`);
    }
    for (const l of groupingLabels)
      if (!selectors.some((s) => labelsOf(s.name).includes(l))) problems.push(`${where}: no metric of ${expr} has the label ${l}`);
    return problems;
  }

  it('the scrape found the three sources', () => {
    for (const n of [
      'marketprism_collector_records_out_total',
      'marketprism_storage_consumer_lag_messages',
      'marketprism_process_resident_memory_bytes',
      'gnatsd_varz_in_msgs',
      'gnatsd_varz_jetstream_stats_storage',
      'jetstream_stream_total_bytes',
      'jetstream_consumer_num_pending',
    ]) {
      expect(exported.has(n), n).toBe(true);
    }
    // Storage's series carry the daemon and its tier (the dashboards and alerts group by tier).
    expect(storageText).toMatch(/^marketprism_storage_messages_total\{[^}]*daemon="storage",tier="hot"\} \d+$/m);
    expect(storageText).toMatch(/^marketprism_process_resident_memory_bytes\{daemon="storage",tier="hot"\} \d+$/m);
    // A name no one exports is not found (the check can fail).
    expect(checkExpr('probe', 'rate(marketprism_collector_no_such_total[5m])')).toEqual(['probe: marketprism_collector_no_such_total is not exported']);
    expect(checkExpr('probe', 'sum by (symbol) (marketprism_storage_consumer_lag_messages)')).toHaveLength(1);
  });

  it('every PromQL target of the pipeline dashboard names exported metrics and labels', () => {
    const prom = targets('prometheus');
    expect(prom.length).toBeGreaterThan(20);
    expect(prom.flatMap((t) => checkExpr(t.where, t.q.expr!))).toEqual([]);
  });

  it('every alert rule names exported metrics and labels', () => {
    expect(alertRules.length).toBeGreaterThanOrEqual(12);
    expect(alertRules.flatMap((r) => checkExpr(r.alert, r.expr))).toEqual([]);
  });

  it('every SQL target of the ClickHouse dashboard runs against the real tables and finds the rows storage wrote', async () => {
    const sql = targets('grafana-clickhouse-datasource');
    expect(sql.length).toBeGreaterThanOrEqual(5);
    const now = Math.floor(Date.now() / 1000);
    for (const t of sql) {
      const rows = await rig.chdb.query(expandMacros(t.q.rawSql!, now - 3600, now + 60, 60));
      expect(rows.length, `${t.where}: no rows`).toBeGreaterThan(0);
    }
    // The newest-record table names the venues the collector publishes (the rig's binance-usdm and okx).
    const newest = sql.find((t) => t.where.includes('Newest record'))!;
    const rows = await rig.chdb.query<{ data_table: string; exchange: string; age_seconds: string }>(expandMacros(newest.q.rawSql!, now - 3600, now + 60, 60));
    expect(new Set(rows.filter((r) => r.data_table === 'trades').map((r) => r.exchange))).toEqual(new Set(['binance', 'okx']));
    for (const r of rows) expect(Number(r.age_seconds), JSON.stringify(r)).toBeLessThan(600);
  });
});
