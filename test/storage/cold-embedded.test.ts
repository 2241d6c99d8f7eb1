/**
 * The cold tier's verification with the embedded engine: each tier its own chDB
 * directory in its own process (the real daemons, spawned from build/, with a real
 * nats-server), each reading the other through its read-only /query.
 * - cold lacks rows of several windows (and every data type's sample record): the
 *   verifier copies exactly those from hot, values exact, the watermark advances; verified
 *   again with the watermark gone, nothing changes;
 * - the verifier in this process, on the cold chDB, with small read limits: a window split
 *   into slices and chunks moves the same rows;
 * - the cold daemon killed (SIGKILL) after a backfill was stored and before its watermark:
 *   restarted, it copies nothing twice and advances;
 * - the hot TTL guard with a 1-day TTL and cold stopped: hot keeps expired days; once cold
 *   runs and verifies them (and copies the late rows of a day it had verified, which hot
 *   cannot write), hot drops them.
 * The test process opens a tier's chDB directory only while that tier's daemon is stopped
 * (chDB: one directory per process).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/core/metrics.js';
import type { MarketRecord } from '../../src/core/model.js';
import { daemonReader, isTooLarge } from '../../src/storage/cold-reader.js';
import { ColdVerifier } from '../../src/storage/cold-verifier.js';
import { advanceWatermark } from '../../src/storage/cold-watermark.js';
import type { ClickHouseEngine } from '../../src/storage/engines/engine.js';
import { EmbeddedEngine } from '../../src/storage/engines/embedded.js';
import { coldMetrics } from '../../src/storage/metrics.js';
import { migrate } from '../../src/storage/migrations.js';
import { QueryReplyError, queryDaemon } from '../../src/storage/query.js';
import { toRow } from '../../src/storage/rows.js';
import { TABLES } from '../../src/storage/schema.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemons.js';
import { sampleRecords, trades } from '../helpers/records.js';
import { quietLog, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOT = 'marketprism_hot.trades';
const COLD = 'marketprism_cold.trades';

interface Pair {
  hot: { file: string; port: number; path: string };
  cold: { file: string; port: number; path: string };
}

/** Config files of an embedded hot and cold tier on `env`'s nats-server, each its own chDB directory and health port, cold.verify on. */
async function embeddedPair(env: StorageEnv, name: string, opts: { hotTtlDays?: number; hotPortSeenByCold?: number } = {}): Promise<Pair> {
  const [hotPort, coldPort] = [await freePort(), await freePort()];
  const write = (tier: 'hot' | 'cold', port: number, hotPortHere: number) => {
    const path = join(env.dir, `${name}-${tier}`);
    const file = join(env.dir, `${name}-${tier}.yaml`);
    writeFileSync(
      file,
      readFileSync(env.configFile, 'utf8')
        .replace('tier: hot', `tier: ${tier}`)
        .replace(/port: \d+/, `port: ${port}`)
        .replace(/embedded_path: .*/, `embedded_path: ${path}`)
        .replace('request_timeout_ms: 5000', `request_timeout_ms: 5000\n  hot_ttl_days: ${opts.hotTtlDays ?? 3}`) +
        'cold:\n  verify: true\n  window_minutes: 60\n  settle_minutes: 30\n  interval_seconds: 1\n' +
        `  hot_health_port: ${hotPortHere}\n  cold_health_port: ${coldPort}\n`,
    );
    return { file, port, path };
  };
  return { hot: write('hot', hotPort, hotPort), cold: write('cold', coldPort, opts.hotPortSeenByCold ?? hotPort) };
}

/** Runs `fn` on the tier's chDB directory opened in this process (its daemon must be stopped), then closes it. */
async function onDirectory<T>(path: string, fn: (e: ClickHouseEngine) => Promise<T>): Promise<T> {
  const e = new EmbeddedEngine(path);
  try {
    return await fn(e);
  } finally {
    await e.close();
  }
}

async function health(port: number): Promise<Record<string, any>> {
  return (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, any>;
}

const count = async (port: number, sql: string) => Number((await queryDaemon<{ n: string }>(port, sql))[0]!.n);

/** Every data type's sample record, `shift` ms earlier (`timestamp`, the window's time). */
const samplesAt = (shift: number): MarketRecord[] => sampleRecords().map((r) => ({ ...r, timestamp: r.timestamp + shift }));

describe('cold verification with the embedded engine (hot and cold each their own chDB, through /query)', () => {
  let env: StorageEnv;
  const daemons: DaemonProcess[] = [];
  const spawn = (file: string) => {
    const d = spawnDaemon('storage', ['--config', file]);
    daemons.push(d);
    return d;
  };
  beforeAll(async () => {
    env = await storageEnv({ engine: 'embedded' });
  });
  afterEach(async () => {
    for (const d of daemons.splice(0).reverse()) await d.stop();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('backfills exactly the rows cold lacks, values exact, the watermark advances; verified again, nothing changes', async () => {
    const p = await embeddedPair(env, 'pair');
    const equal = trades(300, { start: -5 * HOUR, idPrefix: 'eq-' });
    const partial = trades(300, { start: -4 * HOUR, idPrefix: 'part-' });
    const absent = trades(200, { start: -3 * HOUR, idPrefix: 'abs-' });
    const samples = samplesAt(-3 * HOUR);
    await onDirectory(p.hot.path, async (e) => {
      await migrate(e, 'marketprism_hot', 3, undefined, true);
      await e.insert(HOT, [...equal, ...partial, ...absent].map(toRow));
      // A redelivery stored twice in hot: FINAL counts it once, it is copied once.
      await e.insert(HOT, [toRow(absent[0]!)]);
      for (const r of samples) await e.insert(`marketprism_hot.${TABLES[r.data_type]}`, [toRow(r)]);
      // Five minutes old when the test began: inside the settle delay, not verified yet.
      await e.insert(HOT, trades(10, { start: HOUR - 5 * 60_000, idPrefix: 'recent-' }).map(toRow));
    });
    // Cold's consumer missed 20 of one window and all of another (rows deleted in cold, a consumer paused).
    await onDirectory(p.cold.path, async (e) => {
      await migrate(e, 'marketprism_cold', undefined);
      await e.insert(COLD, [...equal, ...partial.filter((_, i) => i % 15 !== 0)].map(toRow));
    });

    spawn(p.hot.file);
    spawn(p.cold.file);
    const verified = await waitFor(
      'every table verified',
      async () => {
        const h = await health(p.cold.port).catch(() => undefined);
        const tables = Object.values(h?.cold_verifier?.tables ?? {}) as { watermark: string | null }[];
        return tables.length === 8 && tables.every((t) => t.watermark !== null) && h!.status === 'healthy' ? h : undefined;
      },
      60_000,
      250,
    );
    // 20 + 200 trades and the sample trade; one sample record of each other table.
    for (const r of samples) expect(verified.cold_verifier.tables[TABLES[r.data_type]].rows_backfilled).toBe(r.data_type === 'trade' ? 221 : 1);
    expect(verified.cold_verifier.tables.trades.last_error).toBeNull();

    // Raw rows in cold, before any merge: each record exactly once; the recent ones not yet.
    expect(await count(p.cold.port, `SELECT count() AS n FROM ${COLD}`)).toBe(801);
    expect(await count(p.cold.port, `SELECT count() AS n FROM (SELECT trade_id FROM ${COLD} GROUP BY trade_id HAVING count() > 1)`)).toBe(0);
    // Exact values, every column but created_at, every table: as hot has them.
    for (const table of Object.values(TABLES)) {
      const sql = `SELECT * EXCEPT created_at FROM marketprism_$TIER.${table} FINAL WHERE timestamp < now64(3) - INTERVAL 2 HOUR ORDER BY ALL`;
      const hotRows = await queryDaemon(p.hot.port, sql.replace('$TIER', 'hot'));
      expect(hotRows.length).toBeGreaterThan(0);
      expect(await queryDaemon(p.cold.port, sql.replace('$TIER', 'cold'))).toEqual(hotRows);
    }
    // Past the windows compared, short of the recent rows' window (still settling).
    const wm = new Date(verified.cold_verifier.tables.trades.watermark as string).getTime();
    expect(wm).toBeGreaterThanOrEqual(Math.floor(absent[0]!.timestamp / HOUR) * HOUR + HOUR);
    expect(wm).toBeLessThanOrEqual(Date.now() - 30 * 60_000);
    expect(await count(p.cold.port, `SELECT count() AS n FROM ${COLD} WHERE trade_id LIKE 'recent-%'`)).toBe(0);
    const m = await (await fetch(`http://127.0.0.1:${p.cold.port}/metrics`)).text();
    expect(m).toMatch(/marketprism_storage_cold_backfilled_rows_total\{data_type="trade",daemon="storage",tier="cold"\} 221\b/);

    // Verified again from scratch (the watermark table emptied): the same rows, nothing copied.
    const before = await queryDaemon(p.cold.port, `SELECT * FROM ${COLD} ORDER BY trade_id`);
    await daemons.pop()!.stop();
    await onDirectory(p.cold.path, (e) => e.command('TRUNCATE TABLE marketprism_cold.cold_watermark'));
    spawn(p.cold.file);
    const again = await waitFor(
      'trades verified again',
      async () => {
        const h = await health(p.cold.port).catch(() => undefined);
        return h?.cold_verifier?.tables?.trades?.watermark != null ? h : undefined;
      },
      60_000,
      250,
    );
    expect(again.cold_verifier.tables.trades).toMatchObject({ rows_backfilled: 0, watermark: new Date(wm).toISOString() });
    expect(await queryDaemon(p.cold.port, `SELECT * FROM ${COLD} ORDER BY trade_id`)).toEqual(before);
  });

  it('a window too large for one read is moved in slices and chunks, each read well inside /query', async () => {
    const p = await embeddedPair(env, 'slices');
    const rows = trades(500, { start: -3 * HOUR, idPrefix: 's-' });
    await onDirectory(p.hot.path, async (e) => {
      await migrate(e, 'marketprism_hot', 3, undefined, true);
      await e.insert(HOT, rows.map(toRow));
    });
    spawn(p.hot.file);
    await waitFor('hot running', async () => (await health(p.hot.port)).phase === 'running', 30_000);
    // The cold tier's verifier in this process on its own chDB; hot through the hot daemon's /query, each answer's size noted.
    const hot = daemonReader(p.hot.port, 'the hot storage daemon');
    const answers: { sql: string; rows: number }[] = [];
    const cold = new EmbeddedEngine(p.cold.path);
    try {
      await migrate(cold, 'marketprism_cold', undefined);
      await cold.insert(COLD, rows.filter((_, i) => i % 4 !== 0).map(toRow));
      const v = new ColdVerifier({
        engine: cold,
        hot: {
          async query<T>(sql: string) {
            const r = await hot.query<T>(sql);
            answers.push({ sql, rows: r.length });
            return r;
          },
        },
        hotDb: 'marketprism_hot',
        coldDb: 'marketprism_cold',
        cold: { window_minutes: 60, settle_minutes: 30, max_windows_per_pass: 48, max_lag_minutes: 180 },
        metrics: coldMetrics(createRegistry('test')),
        log: quietLog(),
        // 500 hot keys in the window, at most 64 a read: the window is split; 125 missing rows, 16 keys a read.
        limits: { maxKeys: 64, chunkKeys: 16 },
      });
      expect((await v.pass()).get('trade')).toMatchObject({ backfilledWindows: 1, backfilledRows: 125 });
      // Key reads of at most 64 (+1, the probe that says "more"); row reads of at most 16; every missing row read once.
      const keyReads = answers.filter((a) => / AS k, /.test(a.sql));
      const rowReads = answers.filter((a) => / IN \(/.test(a.sql));
      expect(keyReads.length).toBeGreaterThanOrEqual(2 * Math.ceil(500 / 64));
      expect(Math.max(...keyReads.map((a) => a.rows))).toBeLessThanOrEqual(65);
      expect(rowReads.length).toBe(Math.ceil(125 / 16));
      expect(Math.max(...rowReads.map((a) => a.rows))).toBe(16);
      expect(rowReads.reduce((a, r) => a + r.rows, 0)).toBe(125);
      // An answer beyond /query's limits is recognised as such (the readers then split their range).
      const tooLarge = await hot.query('SELECT number FROM numbers(600000)').catch((err: unknown) => err);
      expect(tooLarge).toBeInstanceOf(QueryReplyError);
      expect(isTooLarge(tooLarge)).toBe(true);
      expect(isTooLarge(await hot.query('SELECT nope').catch((err: unknown) => err))).toBe(false);
      const n = async (sql: string) => Number((await cold.query<{ n: string }>(sql))[0]!.n);
      expect(await n(`SELECT count() AS n FROM ${COLD}`)).toBe(500);
      expect(await n(`SELECT uniqExact(trade_id) AS n FROM ${COLD}`)).toBe(500);
      expect((await v.pass()).get('trade')).toMatchObject({ windows: 0, backfilledRows: 0 });
    } finally {
      await cold.close();
    }
  });

  it('cold killed after a backfill was stored and before its watermark: restarted, nothing copied twice, the watermark advances', async () => {
    const proxyPort = await freePort();
    const p = await embeddedPair(env, 'crash', { hotPortSeenByCold: proxyPort });
    const rows = trades(300, { start: -3 * HOUR, idPrefix: 'crash-' });
    await onDirectory(p.hot.path, async (e) => {
      await migrate(e, 'marketprism_hot', 3, undefined, true);
      await e.insert(HOT, rows.map(toRow));
    });
    await onDirectory(p.cold.path, async (e) => {
      await migrate(e, 'marketprism_cold', undefined);
      await e.insert(COLD, rows.filter((_, i) => i % 3 !== 0).map(toRow));
    });
    spawn(p.hot.file);
    await waitFor('hot running', async () => (await health(p.hot.port)).phase === 'running', 30_000);

    // Between cold and hot's /query: after cold read the missing rows (then inserted them), its next read of hot is
    // the recount before the watermark: kill cold there, unanswered.
    let cold: DaemonProcess | undefined;
    let rowsRead = false;
    let killed = false;
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (rowsRead && !killed) {
          killed = true;
          cold!.child.kill('SIGKILL');
          res.destroy();
          return;
        }
        if (/FROM marketprism_hot\.trades FINAL .* IN \(/s.test(body.toString('utf8'))) rowsRead = true;
        const up = request(`http://127.0.0.1:${p.hot.port}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (r) => {
          const out: Buffer[] = [];
          r.on('data', (c: Buffer) => out.push(c));
          r.on('end', () => res.writeHead(r.statusCode ?? 500, r.headers).end(Buffer.concat(out)));
        });
        up.on('error', () => res.destroy());
        up.end(body);
      });
    });
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', () => r()));
    try {
      cold = spawn(p.cold.file);
      const exit = await new Promise<string | null>((r) => cold!.child.once('exit', (_c, sig) => r(sig)));
      expect(exit).toBe('SIGKILL');
      expect(killed).toBe(true);
    } finally {
      proxy.close();
      proxy.closeAllConnections();
    }
    daemons.pop();
    // The backfill was stored, the watermark was not.
    await onDirectory(p.cold.path, async (e) => {
      expect(Number((await e.query<{ n: string }>(`SELECT count() AS n FROM ${COLD}`))[0]!.n)).toBe(300);
      expect(Number((await e.query<{ n: string }>("SELECT count() AS n FROM marketprism_cold.cold_watermark WHERE table = 'trades'"))[0]!.n)).toBe(0);
    });

    // Restarted, reading hot directly.
    writeFileSync(p.cold.file, readFileSync(p.cold.file, 'utf8').replace(`hot_health_port: ${proxyPort}`, `hot_health_port: ${p.hot.port}`));
    spawn(p.cold.file);
    const h = await waitFor(
      'trades verified after the restart',
      async () => {
        const r = await health(p.cold.port).catch(() => undefined);
        return r?.cold_verifier?.tables?.trades?.watermark != null && r.status === 'healthy' ? r : undefined;
      },
      60_000,
      250,
    );
    expect(h.cold_verifier.tables.trades).toMatchObject({ rows_backfilled: 0, last_error: null });
    // Raw rows, before any merge: each record once.
    expect(await count(p.cold.port, `SELECT count() AS n FROM ${COLD}`)).toBe(300);
    expect(await count(p.cold.port, `SELECT uniqExact(trade_id) AS n FROM ${COLD}`)).toBe(300);
  });

  it('hot TTL 1 day, cold stopped: hot keeps the expired days; once cold verified them (and copied the late rows), hot drops them', async () => {
    const p = await embeddedPair(env, 'ttl', { hotTtlDays: 1 });
    const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
    const dayEnd = (ms: number) => Math.floor(ms / DAY) * DAY + DAY;
    // Four days old: cold verified that day before 40 of its rows reached hot (a hot consumer far behind).
    const late = trades(100, { start: -4 * DAY, idPrefix: 'late-' });
    // Three days old, past the TTL, never in cold; and rows inside the TTL.
    const old = trades(200, { start: -3 * DAY, idPrefix: 'old-' });
    const young = trades(50, { start: -2 * HOUR, idPrefix: 'young-' });
    await onDirectory(p.hot.path, async (e) => {
      await migrate(e, 'marketprism_hot', 1, undefined, true);
      await e.insert(HOT, [...late, ...old, ...young].map(toRow));
    });
    await onDirectory(p.cold.path, async (e) => {
      await migrate(e, 'marketprism_cold', undefined);
      await e.insert(COLD, late.slice(40).map(toRow));
      const wm = dayEnd(late[0]!.timestamp);
      await advanceWatermark(e, 'marketprism_cold', { table: 'trades', windowStartMs: wm - DAY, watermarkMs: wm, windows: 24, hotRows: 60, backfilledRows: 0 });
    });
    const hotCount = () => count(p.hot.port, `SELECT count() AS n FROM ${HOT}`);

    spawn(p.hot.file);
    // Cold stopped: its watermark cannot be read; nothing is dropped and /health says why.
    await waitFor('the guard reports the missing watermark', async () => (await health(p.hot.port)).ttl_guard?.last_error != null, 30_000, 250);
    const h0 = await health(p.hot.port);
    expect(h0.reasons.join('\n')).toMatch(
      /TTL guard: cannot read the cold watermark, dropping nothing \(the cold storage daemon \/query on 127\.0\.0\.1:\d+ unreachable/,
    );
    await new Promise((r) => setTimeout(r, 2500)); // more guard passes
    expect(await hotCount()).toBe(350);

    // Cold runs: its verifier backfills the old day from hot, and the late rows hot holds its day for.
    spawn(p.cold.file);
    await waitFor('hot dropped both expired days', async () => (await hotCount()) === 50, 60_000, 250);
    // Hot drops a day once the watermark passed it; the young rows' windows may come in a later pass.
    const youngVerified = Math.floor(young.at(-1)!.timestamp / HOUR) * HOUR + HOUR;
    await waitFor(
      'cold verified the young rows',
      async () => {
        const w = (await health(p.cold.port)).cold_verifier?.tables?.trades?.watermark as string | null | undefined;
        return w != null && Date.parse(w) >= youngVerified;
      },
      60_000,
      250,
    );
    expect(await count(p.cold.port, `SELECT count() AS n FROM ${COLD} WHERE trade_id LIKE 'old-%'`)).toBe(200);
    expect(await count(p.cold.port, `SELECT count() AS n FROM ${COLD} WHERE trade_id LIKE 'late-%'`)).toBe(100);
    // The old and the young rows by the verifier's windows, the 40 late ones for the day the hot guard held as late.
    expect((await health(p.cold.port)).cold_verifier.tables.trades.rows_backfilled).toBe(200 + 50 + 40);
    const h = await health(p.hot.port);
    expect(h.ttl_guard).toMatchObject({ held_partitions: [], late_partitions: [], last_error: null });
    expect(Object.keys(h.ttl_guard.cold_watermarks)).toContain('trades');
    expect(await (await fetch(`http://127.0.0.1:${p.hot.port}/metrics`)).text()).toMatch(
      /marketprism_storage_ttl_guard_dropped_partitions_total\{data_type="trade",daemon="storage",tier="hot"\} 2\b/,
    );
    expect(dayOf(late[0]!.timestamp)).not.toBe(dayOf(old[0]!.timestamp));
    expect(await count(p.hot.port, `SELECT count() AS n FROM ${HOT} WHERE trade_id LIKE 'young-%'`)).toBe(50);
  });
});
