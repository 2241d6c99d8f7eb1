/**
 * The cold tier's verification in the running daemons (real nats-server, chDB behind its
 * HTTP interface holding both databases, as a ClickHouse server would):
 * - the cold daemon killed (SIGKILL) right after a backfill and before its watermark:
 *   restarted, it verifies the window again, copies nothing twice and advances;
 * - the hot tier's TTL guard with a 1-day TTL and the cold tier stopped: hot keeps the
 *   expired day; once cold verified it, hot drops it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStorageConfig } from '../../src/storage/config.js';
import type { ClickHouseEngine } from '../../src/storage/engines/engine.js';
import { createEngine } from '../../src/storage/engines/index.js';
import { migrate } from '../../src/storage/migrations.js';
import { toRow } from '../../src/storage/rows.js';
import { startStorage } from '../../src/storage/service.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemons.js';
import { trades } from '../helpers/records.js';
import { quietLog, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** `env`'s config as tier `tier` with cold verification on, on its own health port. */
async function tierConfig(env: StorageEnv, tier: 'hot' | 'cold', url: string, extra = ''): Promise<{ file: string; port: number }> {
  const port = await freePort();
  const file = join(env.dir, `storage-${tier}.yaml`);
  writeFileSync(
    file,
    readFileSync(env.configFile, 'utf8')
      .replace('tier: hot', `tier: ${tier}`)
      .replace(/port: \d+/, `port: ${port}`)
      .replace(/url: .*/, `url: ${url}`)
      .replace('request_timeout_ms: 5000', `request_timeout_ms: 5000${extra}`) +
      'cold:\n  verify: true\n  window_minutes: 60\n  settle_minutes: 30\n  interval_seconds: 1\n',
  );
  return { file, port };
}

async function health(port: number): Promise<Record<string, any>> {
  return (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, any>;
}

describe('cold daemon killed between a backfill and its watermark', () => {
  let env: StorageEnv;
  let engine: ClickHouseEngine;
  let cold: DaemonProcess | undefined;
  let proxy: Server | undefined;
  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse' });
    engine = createEngine(loadStorageConfig(env.configFile).clickhouse);
  });
  afterAll(async () => {
    await cold?.stop('SIGKILL');
    proxy?.close();
    proxy?.closeAllConnections();
    await engine?.close();
    await env?.close();
  });

  it('resumes the window after the restart: nothing copied twice, the watermark advances', async () => {
    await migrate(engine, 'marketprism_hot', 3);
    await migrate(engine, 'marketprism_cold', undefined);
    const rows = trades(300, { start: -3 * HOUR, idPrefix: 'crash-' });
    await engine.insert('marketprism_hot.trades', rows.map(toRow));
    await engine.insert('marketprism_cold.trades', rows.filter((_, i) => i % 3 !== 0).map(toRow));

    // Between the cold daemon and ClickHouse: once the backfill of trades has been stored, kill the daemon before it hears back.
    let killed = false;
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const sql = `${new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? ''}\n${body.toString('utf8')}`;
        const backfill = /INSERT INTO marketprism_cold\.trades\s+FORMAT JSONEachRow/.test(sql);
        const up = request(env.chdb!.url + (req.url ?? '/'), { method: req.method, headers: req.headers }, (r) => {
          const out: Buffer[] = [];
          r.on('data', (c: Buffer) => out.push(c));
          r.on('end', () => {
            if (backfill && !killed && cold) {
              killed = true;
              cold.child.kill('SIGKILL');
            }
            res.writeHead(r.statusCode ?? 500, r.headers).end(Buffer.concat(out));
          });
        });
        up.on('error', () => res.destroy());
        up.end(body);
      });
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', () => r()));
    const viaProxy = await tierConfig(env, 'cold', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);

    cold = spawnDaemon('storage', ['--config', viaProxy.file]);
    const exit = await new Promise<string | null>((r) => cold!.child.once('exit', (_c, sig) => r(sig)));
    expect(exit).toBe('SIGKILL');
    expect(killed).toBe(true);
    const n = async (sql: string) => Number((await env.chdb!.query<{ n: string }>(sql))[0]!.n);
    // The backfill was stored, the watermark was not.
    expect(await n('SELECT count() AS n FROM marketprism_cold.trades')).toBe(300);
    expect(await n("SELECT count() AS n FROM marketprism_cold.cold_watermark WHERE table = 'trades'")).toBe(0);

    const direct = await tierConfig(env, 'cold', env.chdb!.url);
    cold = spawnDaemon('storage', ['--config', direct.file]);
    await waitFor(
      'trades verified after the restart',
      async () => {
        const h = await health(direct.port).catch(() => ({}) as Record<string, any>);
        return h.cold_verifier?.tables?.trades?.watermark != null && h.status === 'healthy';
      },
      30_000,
      250,
    );
    const h = await health(direct.port);
    expect(h.cold_verifier.tables.trades).toMatchObject({ rows_backfilled: 0, last_error: null });
    expect(h.cold_verifier.tables.trades.lag_s).toBeLessThan(2 * 3600);
    expect(h.status).toBe('healthy');
    // Raw rows, before any merge: each record once.
    expect(await n('SELECT count() AS n FROM marketprism_cold.trades')).toBe(300);
    expect(await n('SELECT uniqExact(trade_id) AS n FROM marketprism_cold.trades')).toBe(300);
    const m = await (await fetch(`http://127.0.0.1:${direct.port}/metrics`)).text();
    expect(m).toMatch(/marketprism_storage_cold_watermark_timestamp_seconds\{data_type="trade",daemon="storage",tier="cold"\} \d{10}/);
    expect(m).toMatch(/marketprism_storage_cold_verified_windows_total\{data_type="trade",daemon="storage",tier="cold"\} [1-9]/);
  });
});

describe('TTL guard: the hot TTL waits for the cold watermark', () => {
  let env: StorageEnv;
  let engine: ClickHouseEngine;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse' });
    engine = createEngine(loadStorageConfig(env.configFile).clickhouse);
  });
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
    await engine?.close();
    await env?.close();
  });

  it('with cold stopped, hot keeps an expired day; once cold verified it, hot drops it', async () => {
    const hot = await tierConfig(env, 'hot', env.chdb!.url, '\n  hot_ttl_days: 1');
    const hotDaemon = await startStorage(loadStorageConfig(hot.file), quietLog('hot'));
    stops.push(() => hotDaemon.stop());
    await waitFor('hot migrated', async () => (await health(hot.port)).phase === 'running', 30_000);
    const [t] = await env.chdb!.query<{ q: string }>(
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'marketprism_hot' AND name = 'trades'",
    );
    expect(t!.q).not.toMatch(/\sTTL\s/);

    // Three days old, past the 1-day TTL; and a day inside it.
    const old = trades(200, { start: -3 * DAY, idPrefix: 'old-' });
    const young = trades(50, { start: -2 * HOUR, idPrefix: 'young-' });
    await engine.insert('marketprism_hot.trades', [...old, ...young].map(toRow));
    const hotCount = async () => Number((await env.chdb!.query<{ n: string }>('SELECT count() AS n FROM marketprism_hot.trades'))[0]!.n);

    // Cold never ran: no watermark to read. The guard drops nothing and says why.
    await waitFor('guard reports the missing watermark', async () => (await health(hot.port)).ttl_guard?.last_error != null, 15_000);
    expect((await health(hot.port)).reasons.join('\n')).toMatch(/TTL guard: cannot read the cold watermark, dropping nothing/);
    expect(await hotCount()).toBe(250);

    // Cold migrated but stopped before verifying anything: the expired day is held.
    await migrate(engine, 'marketprism_cold', undefined);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
    await waitFor(
      'guard holds the old day',
      async () => ((await health(hot.port)).ttl_guard?.held_partitions ?? []).includes(`trades/${day(old[0]!.timestamp)}`),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 2500)); // more guard passes
    expect(await hotCount()).toBe(250);
    expect((await health(hot.port)).ttl_guard.last_error).toBeNull();

    // Cold runs: its consumers got nothing (the rows went to hot only), its verifier backfills them and advances.
    const coldCfg = await tierConfig(env, 'cold', env.chdb!.url);
    const coldDaemon = await startStorage(loadStorageConfig(coldCfg.file), quietLog('cold'));
    stops.push(() => coldDaemon.stop());
    await waitFor('hot dropped the verified old day', async () => (await hotCount()) === 50, 60_000, 250);
    const coldRows = await env.chdb!.query<{ n: string }>("SELECT count() AS n FROM marketprism_cold.trades WHERE trade_id LIKE 'old-%'");
    expect(Number(coldRows[0]!.n)).toBe(200);
    const h = await health(hot.port);
    expect(h.ttl_guard.held_partitions).toEqual([]);
    expect(await (await fetch(`http://127.0.0.1:${hot.port}/metrics`)).text()).toMatch(
      /marketprism_storage_ttl_guard_dropped_partitions_total\{data_type="trade",daemon="storage",tier="hot"\} 1\b/,
    );
    // The young rows stay: inside the TTL.
    expect(Number((await env.chdb!.query<{ n: string }>("SELECT count() AS n FROM marketprism_hot.trades WHERE trade_id LIKE 'young-%'"))[0]!.n)).toBe(50);
  });
});
