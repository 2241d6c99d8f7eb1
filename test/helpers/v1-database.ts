/**
 * A database as release 0.1.0 left it: its migrate() run (the frozen migration 1 and
 * its schema_migrations row with 0.1.0's checksum), and rows in the v1 shape
 * (book levels as JSON text, no unit/raw columns).
 */
import { m0001 } from '../../src/storage/migrations/0001_create_tables.js';
import type { ClickHouseEngine } from '../../src/storage/engines/engine.js';
import { msToDateTime64 } from '../../src/storage/rows.js';

/** Migration 1's checksum as 0.1.0 computed and recorded it (from the 0.1.0 code, HEAD~1 of data model v2). */
export const V1_CHECKSUMS: Record<string, string> = {
  marketprism_hot: 'f16a1397ade46131',
  marketprism_cold: '702989ccdc2ac529',
};

/** What 0.1.0's migrate() did on an empty server. `checksum` defaults to what 0.1.0 recorded for hot/cold. */
export async function createV1Database(engine: ClickHouseEngine, db: string, ttlDays: number | undefined, checksum = V1_CHECKSUMS[db]): Promise<void> {
  if (!checksum) throw new Error(`no 0.1.0 checksum known for ${db}`);
  await engine.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await engine.command(
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, checksum String, ` +
      `applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`,
  );
  for (const sql of m0001.statements(db, ttlDays)) await engine.command(sql as string);
  await engine.insert(`${db}.schema_migrations`, [{ version: 1, name: m0001.name, checksum }]);
}

// Recent, so a hot tier's TTL keeps the rows.
export const V1_T = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 456;
const common = (exchange: string, market_type: string, symbol: string) => ({
  exchange,
  market_type,
  symbol,
  timestamp: msToDateTime64(V1_T),
  local_timestamp: msToDateTime64(V1_T + 5),
});

/** Rows 0.1.0 wrote (its rows.ts: levels JSON.stringify'd, the venue's own quantities). */
export const V1_ROWS = {
  trades: [
    {
      ...common('binance', 'spot', 'BTC-USDT'),
      trade_id: 'v1-spot',
      price: '27150.01',
      quantity: '0.00012300',
      side: 'buy',
      is_maker: false,
      trade_time: msToDateTime64(V1_T),
    },
    // OKX swap: 0.1.0 stored the size in contracts.
    {
      ...common('okx', 'perpetual', 'BTC-USDT'),
      trade_id: 'v1-okx-swap',
      price: '97000.1',
      quantity: '5',
      side: 'sell',
      is_maker: false,
      trade_time: msToDateTime64(V1_T),
    },
    // Deribit inverse perpetual: USD.
    {
      ...common('deribit', 'perpetual', 'BTC-USD'),
      trade_id: 'v1-deribit',
      price: '97000.5',
      quantity: '1230',
      side: 'buy',
      is_maker: true,
      trade_time: msToDateTime64(V1_T),
    },
    // Deribit linear USDC perpetual: base.
    {
      ...common('deribit', 'perpetual', 'BTC-USDC'),
      trade_id: 'v1-deribit-usdc',
      price: '97000.5',
      quantity: '0.1',
      side: 'buy',
      is_maker: true,
      trade_time: msToDateTime64(V1_T),
    },
  ],
  liquidations: [
    { ...common('okx', 'perpetual', 'ETH-USDT'), side: 'sell', price: '3000.5', quantity: '12', liquidation_time: msToDateTime64(V1_T) },
    { ...common('binance', 'perpetual', 'ETH-USDT'), side: 'buy', price: '3000.5', quantity: '0.5', liquidation_time: msToDateTime64(V1_T) },
  ],
  open_interests: [
    { ...common('okx', 'perpetual', 'BTC-USDT'), open_interest: '12345.678', open_interest_value: '1199999999.999999999999999999' },
    { ...common('deribit', 'perpetual', 'BTC-USD'), open_interest: '1000000', open_interest_value: '1000000' },
  ],
  orderbooks: [
    {
      ...common('binance', 'spot', 'BTC-USDT'),
      last_update_id: '18446744073709551000',
      bids: JSON.stringify([
        ['27150.01', '0.00012300'],
        ['27150', '12345678901234567890.123456789012345678'],
      ]),
      asks: JSON.stringify([['27150.02', '0.000000000000000001']]),
      bids_count: 2,
      asks_count: 1,
      best_bid_price: '27150.01',
      best_bid_quantity: '0.00012300',
      best_ask_price: '27150.02',
      best_ask_quantity: '0.000000000000000001',
    },
    {
      ...common('okx', 'perpetual', 'BTC-USDT'),
      last_update_id: '9690930615',
      bids: JSON.stringify([
        ['97000.1', '5'],
        ['97000', '1234'],
      ]),
      asks: JSON.stringify([['97000.2', '1']]),
      bids_count: 2,
      asks_count: 1,
      best_bid_price: '97000.1',
      best_bid_quantity: '5',
      best_ask_price: '97000.2',
      best_ask_quantity: '1',
    },
  ],
} as const;

export async function insertV1Rows(engine: ClickHouseEngine, db: string): Promise<void> {
  for (const [table, rows] of Object.entries(V1_ROWS)) await engine.insert(`${db}.${table}`, rows);
}
