/**
 * The cold verifier on a real ClickHouse engine (chDB behind its HTTP interface, both tiers'
 * databases on it, as with a ClickHouse server): rows cold lacks are copied from hot
 * exactly once, a window verified again changes nothing, the watermark advances only over
 * verified windows, and the config keys are checked.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/config.js';
import { createRegistry } from '../../src/core/metrics.js';
import { TtlGuard } from '../../src/storage/cold-ttl-guard.js';
import { ColdVerifier } from '../../src/storage/cold-verifier.js';
import { advanceWatermark } from '../../src/storage/cold-watermark.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import type { ClickHouseEngine } from '../../src/storage/engines/engine.js';
import { createEngine } from '../../src/storage/engines/index.js';
import { coldMetrics, ttlGuardMetrics } from '../../src/storage/metrics.js';
import { migrate } from '../../src/storage/migrations.js';
import { toRow } from '../../src/storage/rows.js';
import { trades } from '../helpers/records.js';
import { quietLog, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOT = 'marketprism_hot.trades';
const COLD = 'marketprism_cold.trades';
// A fixed clock: 10 minutes after the end of the window of the records' base time (trades() start 0),
// so that window is inside the 30-minute settle delay whatever the wall clock's minute.
const BASE = trades(1)[0]!.timestamp;
const NOW = Math.floor(BASE / HOUR) * HOUR + HOUR + 10 * 60_000;

describe('cold verifier', () => {
  let env: StorageEnv;
  let engine: ClickHouseEngine;
  const verifier = (now: () => number = () => NOW, maxWindows = 1000) =>
    new ColdVerifier({
      engine,
      hot: engine,
      hotDb: 'marketprism_hot',
      coldDb: 'marketprism_cold',
      cold: { window_minutes: 60, settle_minutes: 30, max_windows_per_pass: maxWindows, max_lag_minutes: 180 },
      metrics: coldMetrics(createRegistry('test')),
      log: quietLog(),
      now,
    });
  const count = async (sql: string) => Number((await env.chdb!.query<{ n: string }>(sql))[0]!.n);

  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse' });
    engine = createEngine(loadStorageConfig(env.configFile).clickhouse);
    await migrate(engine, 'marketprism_hot', 3);
    await migrate(engine, 'marketprism_cold', undefined);
  });
  afterAll(async () => {
    await engine?.close();
    await env?.close();
  });

  it('backfills exactly the rows cold lacks, once, and advances the watermark over verified windows only', async () => {
    // Three windows some hours back: equal in both tiers; 40 of 300 missing in cold; all 200 missing in cold.
    const equal = trades(300, { start: -5 * HOUR, idPrefix: 'eq-' });
    const partial = trades(300, { start: -4 * HOUR, idPrefix: 'part-' });
    const absent = trades(200, { start: -3 * HOUR, idPrefix: 'abs-' });
    await engine.insert(HOT, [...equal, ...partial, ...absent].map(toRow));
    await engine.insert(COLD, [...equal, ...partial.filter((_, i) => i % 15 !== 0)].map(toRow));
    // A row stored twice in hot (a redelivery): FINAL counts it once, it is copied once.
    await engine.insert(HOT, [toRow(absent[0]!)]);
    // Too recent (inside the settle delay): not verified yet.
    await engine.insert(HOT, trades(10, { start: 0, idPrefix: 'recent-' }).map(toRow));

    const v = verifier();
    const r = (await v.pass()).get('trade');
    expect(r).not.toBeInstanceOf(Error);
    // The five settled windows from hot's first row; the one of the recent rows is not settled.
    expect(r).toMatchObject({ windows: 5, backfilledWindows: 2, backfilledRows: 20 + 200 });
    // Raw rows, before any merge: each record exactly once.
    expect(await count(`SELECT count() AS n FROM ${COLD}`)).toBe(800);
    expect(await count(`SELECT count() AS n FROM (SELECT trade_id FROM ${COLD} GROUP BY trade_id HAVING count() > 1)`)).toBe(0);
    // Exact values copied: decimals and times as hot has them.
    const diff = await count(
      `SELECT count() AS n FROM (SELECT * EXCEPT created_at FROM ${HOT} FINAL WHERE trade_id NOT LIKE 'recent-%' EXCEPT SELECT * EXCEPT created_at FROM ${COLD})`,
    );
    expect(diff).toBe(0);

    const wm = (r as { watermarkMs: number }).watermarkMs;
    expect(wm).toBe(Math.floor(BASE / HOUR) * HOUR);
    expect(await count(`SELECT count() AS n FROM ${COLD} WHERE trade_id LIKE 'recent-%'`)).toBe(0);
    const h = v.health();
    expect(h.reasons).toEqual([]);
    expect(h.report.tables).toMatchObject({ trades: { watermark: new Date(wm).toISOString(), rows_backfilled: 220, last_error: null } });
    // Tables with no rows in hot have nothing to verify yet.
    expect(h.report.tables).toMatchObject({ orderbooks: { watermark: null, lag_s: null } });

    // A second pass: nothing new to verify, nothing copied.
    expect((await v.pass()).get('trade')).toMatchObject({ windows: 0, backfilledRows: 0, watermarkMs: wm });
  });

  it('re-running verified windows (watermark lost) changes nothing', async () => {
    const before = await env.chdb!.query(`SELECT * FROM ${COLD} ORDER BY trade_id`);
    await engine.command('TRUNCATE TABLE marketprism_cold.cold_watermark');
    const r = (await verifier().pass()).get('trade');
    expect(r).toMatchObject({ backfilledRows: 0, backfilledWindows: 0 });
    expect((r as { windows: number }).windows).toBeGreaterThan(3);
    expect(await env.chdb!.query(`SELECT * FROM ${COLD} ORDER BY trade_id`)).toEqual(before);
  });

  it('a row hot gets late, in a window past the watermark, is backfilled at the next pass; /health says the lag', async () => {
    // In the window of the 10 recent rows, still inside the settle delay.
    const late = trades(5, { start: 20, idPrefix: 'late-' });
    await engine.insert(HOT, late.map(toRow));
    // An hour later, the window is settled: the recent and the late rows are copied.
    const r = (await verifier(() => NOW + HOUR).pass()).get('trade');
    expect(r).toMatchObject({ backfilledRows: 5 + 10, backfilledWindows: 1 });
    expect(await count(`SELECT count() AS n FROM ${COLD} WHERE trade_id LIKE 'late-%' OR trade_id LIKE 'recent-%'`)).toBe(15);

    // Rows in each of the next hours; ten hours later, one window a pass: the watermark stays more than max_lag behind.
    for (let k = 2; k <= 9; k++) await engine.insert(HOT, trades(1, { start: k * HOUR, idPrefix: `h${k}-` }).map(toRow));
    const v = verifier(() => NOW + 10 * HOUR, 1);
    // One window with rows a pass; the empty window before it is passed over in the same pass (nothing in hot to lose).
    expect((await v.pass()).get('trade')).toMatchObject({ windows: 2, backfilledRows: 1 });
    expect(v.health().reasons).toEqual([expect.stringMatching(/^cold verifier: trades \d+ min behind \(max 180\)$/)]);
    expect((v.health().report.tables as Record<string, { lag_s: number }>).trades.lag_s).toBeGreaterThan(180 * 60);
  });

  it('a failing table keeps its watermark and says why', async () => {
    const v = new ColdVerifier({
      engine,
      hot: engine,
      hotDb: 'no_such_db',
      coldDb: 'marketprism_cold',
      cold: { window_minutes: 60, settle_minutes: 30, max_windows_per_pass: 10, max_lag_minutes: 180 },
      metrics: coldMetrics(createRegistry('test')),
      log: quietLog(),
    });
    const r = (await v.pass()).get('orderbook');
    expect(r).toBeInstanceOf(Error);
    expect(v.health().reasons.join('\n')).toMatch(/cold verifier: orderbooks: .*no_such_db/);
  });
});

describe('cold.* config', () => {
  const load = (dir: string, body: string) => {
    const f = join(dir, 'storage.yaml');
    writeFileSync(f, body);
    return () => loadStorageConfig(f);
  };
  let dir: string;
  beforeAll(async () => {
    dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'mp-cold-config-'));
  });

  it('defaults: off, hourly windows, 30 min settle', () => {
    expect(load(dir, 'tier: cold\n')().cold).toEqual({
      verify: false,
      window_minutes: 60,
      settle_minutes: 30,
      interval_seconds: 60,
      max_windows_per_pass: 48,
      max_lag_minutes: 180,
      hot_health_port: 8085,
      cold_health_port: 8086,
    });
  });

  it('names the file, key and value of a bad setting', () => {
    const bad = (body: string, msg: RegExp) => {
      const f = load(dir, body);
      expect(f).toThrow(ConfigError);
      expect(f).toThrow(msg);
    };
    // The embedded engine: each tier must listen where the other reads its /query.
    bad(
      'tier: cold\nhealth: { port: 9086 }\ncold: { verify: true }\n',
      /storage\.yaml.*cold\.cold_health_port: is 8086, but this cold tier's health\.port is 9086.*make them equal/s,
    );
    bad('tier: hot\nhealth: { port: 9085 }\ncold: { verify: true, hot_health_port: 9085, cold_health_port: 9085 }\n', /cold\.cold_health_port: must differ/s);
    bad('tier: hot\nhealth: { host: 10.1.2.3 }\ncold: { verify: true }\n', /cold\.verify: with the embedded engine .* health\.host is "10\.1\.2\.3"/s);
    expect(load(dir, 'tier: cold\ncold: { verify: true }\n')().cold).toMatchObject({ verify: true, hot_health_port: 8085, cold_health_port: 8086 });
    expect(load(dir, 'tier: hot\nhealth: { port: 9085 }\ncold: { verify: true, hot_health_port: 9085 }\n')().cold).toMatchObject({ hot_health_port: 9085 });
    bad('tier: cold\nclickhouse: { engine: clickhouse }\ncold: { window_minutes: 7 }\n', /cold\.window_minutes: must divide a day \(1440 minutes\).*got 7/s);
    bad(
      'tier: cold\nclickhouse: { engine: clickhouse }\ncold: { settle_minutes: 200 }\n',
      /cold\.max_lag_minutes: must exceed settle_minutes \+ window_minutes \(260\)/s,
    );
    bad('tier: cold\nclickhouse: { engine: clickhouse }\ncold: { verify: yes please }\n', /cold\.verify: expected true or false/s);
    bad('tier: cold\nclickhouse: { engine: clickhouse }\ncold: { windows: 5 }\n', /cold\.windows/);
    expect(load(dir, 'tier: cold\nclickhouse: { engine: clickhouse }\ncold: { verify: true, window_minutes: 15, settle_minutes: 0 }\n')().cold).toMatchObject({
      verify: true,
      window_minutes: 15,
      settle_minutes: 0,
    });
  });
});

describe('the hot TTL under the guard (migrate ttlGuard)', () => {
  let env: StorageEnv;
  let engine: ClickHouseEngine;
  const count = async (sql: string) => Number((await env.chdb!.query<{ n: string }>(sql))[0]!.n);
  const ttlOf = async () =>
    (
      await env.chdb!.query<{ name: string; q: string }>(
        "SELECT name, create_table_query AS q FROM system.tables WHERE database = 'guarded_hot' AND name IN ('trades', 'orderbooks') ORDER BY name",
      )
    ).map((r) => /\sTTL\s/.test(r.q));
  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse' });
    engine = createEngine(loadStorageConfig(env.configFile).clickhouse);
  });
  afterAll(async () => {
    await engine?.close();
    await env?.close();
  });

  it('true removes the table TTL, undefined (schema migrate) leaves it removed, false puts it back', async () => {
    await migrate(engine, 'guarded_hot', 3);
    expect(await ttlOf()).toEqual([true, true]);
    expect((await migrate(engine, 'guarded_hot', 3, undefined, true)).ttlUpdated).toHaveLength(8);
    expect(await ttlOf()).toEqual([false, false]);
    // `marketprism schema migrate` does not know the guard, with another TTL too: no TTL comes back.
    expect((await migrate(engine, 'guarded_hot', 5)).ttlUpdated).toEqual([]);
    expect(await ttlOf()).toEqual([false, false]);
    expect((await migrate(engine, 'guarded_hot', 3, undefined, false)).ttlUpdated).toHaveLength(8);
    expect(await ttlOf()).toEqual([true, true]);
    // The cold database has the watermark table; the hot one does not.
    await migrate(engine, 'guarded_cold', undefined);
    const tables = await env.chdb!.query<{ database: string }>(
      "SELECT database FROM system.tables WHERE name = 'cold_watermark' AND database LIKE 'guarded_%'",
    );
    expect(tables.map((t) => t.database)).toEqual(['guarded_cold']);
  });

  it('the guard drops a day past the TTL only up to the watermark, copying rows hot got after cold verified them first', async () => {
    await migrate(engine, 'guarded_hot', 1, undefined, true);
    const verified = trades(100, { start: -4 * DAY, idPrefix: 'v-' });
    const unverified = trades(30, { start: -3 * DAY, idPrefix: 'u-' });
    await engine.insert('guarded_hot.trades', [...verified, ...unverified].map(toRow));
    // Cold verified the first day before 40 of its rows reached hot (a consumer far behind).
    await engine.insert('guarded_cold.trades', verified.slice(40).map(toRow));
    const dayEnd = (ms: number) => Math.floor(ms / DAY) * DAY + DAY;
    const wm = dayEnd(verified[0]!.timestamp);
    await advanceWatermark(engine, 'guarded_cold', { table: 'trades', windowStartMs: wm - DAY, watermarkMs: wm, windows: 24, hotRows: 60, backfilledRows: 0 });

    const registry = createRegistry('test');
    const guard = new TtlGuard({
      engine,
      cold: engine,
      coldWriter: engine,
      hotDb: 'guarded_hot',
      coldDb: 'guarded_cold',
      ttlDays: 1,
      maxLagMinutes: 180,
      metrics: ttlGuardMetrics(registry),
      log: quietLog(),
    });
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
    const r = await guard.pass();
    expect(r.dropped).toEqual([{ table: 'trades', partition: day(verified[0]!.timestamp) }]);
    // Past the 1-day TTL too, but beyond the watermark: kept.
    expect(r.held.map((h) => `${h.table}/${h.partition}`)).toEqual([`trades/${day(unverified[0]!.timestamp)}`]);
    expect(await count("SELECT count() AS n FROM guarded_hot.trades WHERE trade_id LIKE 'v-%'")).toBe(0);
    expect(await count("SELECT count() AS n FROM guarded_hot.trades WHERE trade_id LIKE 'u-%'")).toBe(30);
    expect(await count("SELECT count() AS n FROM guarded_cold.trades WHERE trade_id LIKE 'v-%'")).toBe(100);
    expect(await registry.getSingleMetricAsString('marketprism_storage_ttl_guard_late_rows_total')).toMatch(/data_type="trade"[^}]*\} 40/);
    expect(guard.health().report).toMatchObject({ held_partitions: [`trades/${day(unverified[0]!.timestamp)}`], last_error: null });
    // Held for more than max_lag past its TTL: degraded.
    expect(guard.health().reasons).toEqual([expect.stringMatching(/^TTL guard: 1 hot day partitions past the TTL kept/)]);
  });
});
