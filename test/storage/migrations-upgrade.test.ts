/**
 * Upgrading a database 0.1.0 created: its data is kept and reads in v2 terms (book
 * levels as arrays from the old JSON text, units and raw figures as 0.1.0 meant them),
 * and v2 rows go in beside it. A database whose applied migration 1 does not match is
 * refused with a clear MigrationError, and the storage daemon reports it on /health
 * instead of retrying in a loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import { HttpEngine } from '../../src/storage/engines/http.js';
import { MigrationError, migrate } from '../../src/storage/migrations.js';
import { toRow } from '../../src/storage/rows.js';
import { startStorage } from '../../src/storage/service.js';
import { waitFor } from '../../src/testing/ports.js';
import { contractRecords, sampleRecords } from '../helpers/records.js';
import { storageEnv, type StorageEnv } from '../helpers/storage-env.js';
import { V1_CHECKSUMS, V1_ROWS, createV1Database, insertV1Rows } from '../helpers/v1-database.js';
import { TABLES } from '../../src/storage/schema.js';

describe('upgrading a 0.1.0 database', () => {
  let env: StorageEnv;
  let engine: HttpEngine;
  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse' });
    engine = new HttpEngine({ url: env.chdb!.url, username: 'default', password: '', requestTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    await engine?.close();
    await env?.close();
  });

  const DB = 'marketprism_cold';
  const q = <T = Record<string, unknown>>(sql: string) => engine.query<T>(sql);

  it('keeps the data, reads old books as arrays and old quantities in their units, and stores v2 rows beside them', async () => {
    await createV1Database(engine, DB, undefined);
    await insertV1Rows(engine, DB);
    expect(await migrate(engine, DB, undefined)).toEqual({ database: DB, applied: [2, 3], alreadyApplied: [1], ttlUpdated: [] });

    for (const [table, rows] of Object.entries(V1_ROWS)) {
      const [n] = await q<{ n: string }>(`SELECT count() AS n FROM ${DB}.${table} FINAL`);
      expect(Number(n!.n), table).toBe(rows.length);
    }
    expect(await q(`SELECT trade_id, quantity, quantity_raw, quantity_unit FROM ${DB}.trades FINAL ORDER BY trade_id`)).toEqual([
      { trade_id: 'v1-deribit', quantity: '1230', quantity_raw: '1230', quantity_unit: 'quote' },
      { trade_id: 'v1-deribit-usdc', quantity: '0.1', quantity_raw: '0.1', quantity_unit: 'base' },
      { trade_id: 'v1-okx-swap', quantity: '5', quantity_raw: '5', quantity_unit: 'contracts' },
      { trade_id: 'v1-spot', quantity: '0.000123', quantity_raw: '0.000123', quantity_unit: 'base' },
    ]);
    expect(await q(`SELECT exchange, quantity_raw, quantity_unit FROM ${DB}.liquidations FINAL ORDER BY exchange`)).toEqual([
      { exchange: 'binance', quantity_raw: '0.5', quantity_unit: 'base' },
      { exchange: 'okx', quantity_raw: '12', quantity_unit: 'contracts' },
    ]);
    expect(await q(`SELECT exchange, open_interest_raw, open_interest_unit FROM ${DB}.open_interests FINAL ORDER BY exchange`)).toEqual([
      { exchange: 'deribit', open_interest_raw: '1000000', open_interest_unit: 'quote' },
      { exchange: 'okx', open_interest_raw: '12345.678', open_interest_unit: 'base' },
    ]);
    expect(
      await q(
        `SELECT exchange, bids[1].price AS best_bid, bids[2].quantity AS q2, asks[1].price - bids[1].price AS spread, bids, asks, ` +
          `quantity_unit, bids_raw, asks_raw, bids_count FROM ${DB}.orderbooks FINAL ORDER BY exchange`,
      ),
    ).toEqual([
      {
        exchange: 'binance',
        best_bid: '27150.01',
        q2: '12345678901234567890.123456789012345678',
        spread: '0.01',
        bids: [
          ['27150.01', '0.000123'],
          ['27150', '12345678901234567890.123456789012345678'],
        ],
        asks: [['27150.02', '0.000000000000000001']],
        quantity_unit: 'base',
        bids_raw: [],
        asks_raw: [],
        bids_count: 2,
      },
      {
        exchange: 'okx',
        best_bid: '97000.1',
        q2: '1234',
        spread: '0.1',
        bids: [
          ['97000.1', '5'],
          ['97000', '1234'],
        ],
        asks: [['97000.2', '1']],
        quantity_unit: 'contracts',
        bids_raw: ['5', '1234'],
        asks_raw: ['1'],
        bids_count: 2,
      },
    ]);

    // v2 rows, as storage writes them, beside the old ones.
    for (const r of [...sampleRecords(), ...contractRecords()]) await engine.insert(`${DB}.${TABLES[r.data_type]}`, [toRow(r)]);
    expect(await q(`SELECT exchange, bids, bids_raw, quantity_unit, bids_json FROM ${DB}.orderbooks FINAL WHERE bids_json = '' ORDER BY exchange`)).toEqual([
      {
        exchange: 'binance',
        bids: [
          ['27150.01', '0.000123'],
          ['27150', '12345678901234567890.123456789012345678'],
        ],
        bids_raw: [],
        quantity_unit: 'base',
        bids_json: '',
      },
      {
        exchange: 'okx',
        bids: [
          ['97000.1', '0.05'],
          ['97000', '12.34'],
        ],
        bids_raw: ['5', '1234'],
        quantity_unit: 'contracts',
        bids_json: '',
      },
    ]);
    expect(await q(`SELECT quantity, quantity_raw, quantity_unit FROM ${DB}.trades FINAL WHERE trade_id = '77'`)).toEqual([
      { quantity: '0.016666666666666667', quantity_raw: '5', quantity_unit: 'contracts' },
    ]);
    expect(await migrate(engine, DB, undefined)).toEqual({ database: DB, applied: [], alreadyApplied: [1, 2, 3], ttlUpdated: [] });
  });

  it('refuses a database whose migration 1 checksum differs, and the daemon says so on /health without looping', async () => {
    const db = 'marketprism_hot';
    await createV1Database(engine, db, 3, 'deadbeefdeadbeef');
    const err = await migrate(engine, db, 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    const message =
      `${db}: migration 1 (create the eight market data tables) was applied with checksum deadbeefdeadbeef ` +
      `but is now ${V1_CHECKSUMS[db]}; add a new migration instead of editing an applied one`;
    expect((err as Error).message).toBe(message);

    const lines: string[] = [];
    const log = createLogger({ name: 'storage', level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    const running = await startStorage(loadStorageConfig(env.configFile), log);
    try {
      const health = async () => {
        const res = await fetch(`http://127.0.0.1:${env.healthPort}/health`);
        return { code: res.status, body: (await res.json()) as { status: string; phase: string; error?: string } };
      };
      const h = await waitFor('schema_error on /health', async () => {
        const r = await health();
        return r.body.phase === 'schema_error' ? r : undefined;
      });
      expect(h.code).toBe(503);
      expect(h.body).toMatchObject({ status: 'failing', phase: 'schema_error', error: message });
      // No retry loop: nothing more is asked of ClickHouse, the error is logged once, /health keeps answering.
      const queries = env.chdb!.stats.queries;
      await new Promise((r) => setTimeout(r, 5500));
      expect(env.chdb!.stats.queries).toBe(queries);
      expect((await health()).body.phase).toBe('schema_error');
      const refused = lines.filter((l) => l.includes('schema migration refused'));
      expect(refused).toHaveLength(1);
      expect(JSON.parse(refused[0]!)).toMatchObject({ level: 50, err: message, database: db });
      expect(lines.some((l) => l.includes('retrying'))).toBe(false);
      // Nothing was changed in the refused database.
      const [v] = await q<{ versions: number[] }>(`SELECT groupArray(version) AS versions FROM ${db}.schema_migrations`);
      expect(v!.versions).toEqual([1]);
    } finally {
      await running.stop();
    }
  });
});
