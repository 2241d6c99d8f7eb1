/**
 * Shared body of the pipeline tests (one file per engine, since chDB allows one data
 * directory per process): every data type published -> stored with exact fields;
 * poison messages dead-lettered without blocking; health and migrations.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldsOf } from '../../src/core/fields.js';
import type { MarketRecord } from '../../src/core/model.js';
import { TABLES } from '../../src/storage/schema.js';
import { REASON_HEADER } from '../../src/storage/dead-letter.js';
import { contractRecords, sampleRecords, trades } from '../helpers/records.js';
import { waitFor } from '../../src/testing/ports.js';
import { queryViaDaemon, startHealthyStorage, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

/** ClickHouse prints decimals without trailing zeros; so does this. */
const canon = (d: string) => (d.includes('.') ? d.replace(/0+$/, '').replace(/\.$/, '') : d);
const DB = 'marketprism_hot';

export function pipelineSuite(engine: 'clickhouse' | 'embedded') {
  describe(`storage pipeline (${engine} engine)`, () => {
    let env: StorageEnv;
    let stop: () => Promise<void>;
    const q = <T = Record<string, unknown>>(sql: string) => (env.chdb ? env.chdb.query<T>(sql) : queryViaDaemon<T>(env.healthPort, sql));

    beforeAll(async () => {
      env = await storageEnv({ engine });
      stop = await startHealthyStorage(env);
    });
    afterAll(async () => {
      await stop?.();
      await env?.close();
    });

    it('stores one record of every data type, and contract-unit records, with every field exact', async () => {
      const samples = [...sampleRecords(), ...contractRecords()];
      samples.forEach((r) => env.publisher.publish(r));
      expect(await env.publisher.flush()).toBe(true);
      for (const r of samples) {
        const table = `${DB}.${TABLES[r.data_type]}`;
        const rows = await waitFor(`a row in ${table}`, async () => {
          const got = await q(`SELECT * FROM ${table} FINAL WHERE exchange = '${r.exchange}' AND market_type = '${r.market_type}' AND symbol = '${r.symbol}'`);
          return got.length > 0 ? got : undefined;
        });
        expect(rows).toHaveLength(1);
        expectRowMatches(rows[0]!, r);
      }
    });

    it('derives the orderbook summary columns from the levels', async () => {
      const [row] = await q<Record<string, unknown>>(
        `SELECT bids_count, asks_count, best_bid_price, best_bid_quantity, best_ask_price, best_ask_quantity FROM ${DB}.orderbooks FINAL WHERE exchange = 'binance'`,
      );
      expect(row).toEqual({
        bids_count: 2,
        asks_count: 1,
        best_bid_price: '27150.01',
        best_bid_quantity: '0.000123',
        best_ask_price: '27150.02',
        best_ask_quantity: '0.000000000000000001',
      });
    });

    it('stores book levels as arrays of (price, quantity): exact, and queryable without JSON', async () => {
      const rows = await q<Record<string, unknown>>(
        `SELECT bids[1].price AS bid, asks[1].1 AS ask, asks[1].price - bids[1].price AS spread, bids[2].quantity AS q2, ` +
          `arraySum(l -> l.quantity, bids) AS depth, bids_raw, quantity_unit FROM ${DB}.orderbooks FINAL ORDER BY exchange`,
      );
      expect(rows).toEqual([
        {
          bid: '27150.01',
          ask: '27150.02',
          spread: '0.01',
          q2: '12345678901234567890.123456789012345678',
          depth: '12345678901234567890.123579789012345678',
          bids_raw: [],
          quantity_unit: 'base',
        },
        { bid: '97000.1', ask: '97000.2', spread: '0.1', q2: '12.34', depth: '12.39', bids_raw: ['5', '1234'], quantity_unit: 'contracts' },
      ]);
    });

    it('dead-letters poison messages with their reason and keeps storing the rest', async () => {
      env.nc.publish('trade.binance.spot.BTC-USDT', 'this is not json');
      env.nc.publish('trade.binance.spot.BTC-USDT', JSON.stringify({ ...trades(1, { idPrefix: 'float-' })[0], price: 27000.5 }));
      await env.nc.flush();
      const good = trades(300, { idPrefix: 'after-poison-' });
      good.forEach((r) => env.publisher.publish(r));
      expect(await env.publisher.flush()).toBe(true);
      await waitFor('trades after the poison', async () => {
        const [r] = await q<{ n: string }>(`SELECT count() AS n FROM ${DB}.trades FINAL WHERE trade_id LIKE 'after-poison-%'`);
        return Number(r!.n) === good.length;
      });
      const jsm = await jetstreamManager(env.nc);
      const dlq = await waitFor('two dead letters', async () => {
        const info = await jsm.streams.info('MARKET_DATA_DLQ');
        return info.state.messages === 2 ? info : undefined;
      });
      expect(dlq.state.messages).toBe(2);
      const first = await jsm.streams.getMessage('MARKET_DATA_DLQ', { seq: dlq.state.first_seq });
      const second = await jsm.streams.getMessage('MARKET_DATA_DLQ', { seq: dlq.state.first_seq + 1 });
      expect(first!.subject).toBe('deadletter.trade');
      expect(first!.header.get(REASON_HEADER)).toMatch(/^unparseable JSON/);
      expect(second!.header.get(REASON_HEADER)).toBe('field "price": expected a decimal string, got number');
      const [float] = await q<{ n: string }>(`SELECT count() AS n FROM ${DB}.trades WHERE trade_id LIKE 'float-%'`);
      expect(Number(float!.n)).toBe(0);
      const metrics = await (await fetch(`http://127.0.0.1:${env.healthPort}/metrics`)).text();
      expect(metrics).toMatch(/marketprism_storage_messages_total\{data_type="trade",outcome="dead_letter"[^}]*\} 2/);
    });

    it('reports health per consumer', async () => {
      const res = await fetch(`http://127.0.0.1:${env.healthPort}/health`);
      expect(res.status).toBe(200);
      const h = (await res.json()) as { status: string; consumers: Record<string, { last_insert_age_s: number | null }> };
      expect(h.status).toBe('healthy');
      expect(Object.keys(h.consumers)).toHaveLength(8);
      expect(h.consumers.trade!.last_insert_age_s).not.toBeNull();
    });

    it('created hot tables with a TTL and the migration record', async () => {
      const [t] = await q<{ q: string }>(`SELECT create_table_query AS q FROM system.tables WHERE database = '${DB}' AND name = 'trades'`);
      expect(t!.q).toMatch(/ReplacingMergeTree/);
      expect(t!.q).toMatch(/TTL toDateTime\(timestamp\) \+ toIntervalDay\(3\)/);
      const m = await q<{ version: number }>(`SELECT version FROM ${DB}.schema_migrations`);
      expect(m.map((r) => Number(r.version)).sort()).toEqual([1, 2, 3]);
    });
  });
}

function expectRowMatches(row: Record<string, unknown>, r: MarketRecord): void {
  const src = r as unknown as Record<string, unknown>;
  for (const [field, kind] of Object.entries(fieldsOf(r.data_type))) {
    const want = src[field];
    const got = row[field];
    if (want === undefined) {
      expect(got, field).toEqual(kind === 'decimals?' ? [] : null);
      continue;
    }
    switch (kind) {
      case 'decimals?':
        expect(got, field).toEqual((want as string[]).map(canon));
        break;
      case 'decimal':
      case 'decimal?':
        expect(got, field).toBe(canon(want as string));
        break;
      case 'time':
      case 'time?':
        expect(Date.parse(`${got as string}Z`.replace(' ', 'T')), field).toBe(want);
        break;
      case 'levels':
        expect(got, field).toEqual((want as [string, string][]).map(([p, qty]) => [canon(p), canon(qty)]));
        break;
      default:
        expect(got, field).toEqual(want);
    }
  }
}
