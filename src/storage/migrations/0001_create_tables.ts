/**
 * Migration 1, as release 0.1.0 shipped it: the eight tables of data model v1.
 *
 * FROZEN. This is the exact text 0.1.0 generated from its fields table (for the hot
 * tier with a TTL and day partitions, for the cold tier without a TTL and with month
 * partitions). Databases created by 0.1.0 recorded its checksum in schema_migrations;
 * changing one character here makes them refuse to start. Change the schema with a
 * new migration instead. test/storage/migrations.test.ts pins the checksums.
 */
import type { Migration } from './types.js';

/** name, columns, ORDER BY: the v1 tables exactly as 0.1.0 wrote them. */
const V1_TABLES: readonly (readonly [string, string, string])[] = [
  [
    'orderbooks',
    `  exchange LowCardinality(String),
  market_type LowCardinality(String),
  symbol LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  local_timestamp DateTime64(3, 'UTC'),
  last_update_id UInt64,
  bids String,
  asks String,
  bids_count UInt32,
  asks_count UInt32,
  best_bid_price Nullable(Decimal(38, 18)),
  best_bid_quantity Nullable(Decimal(38, 18)),
  best_ask_price Nullable(Decimal(38, 18)),
  best_ask_quantity Nullable(Decimal(38, 18)),
  data_source LowCardinality(String) DEFAULT 'marketprism',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
    'exchange, market_type, symbol, timestamp, last_update_id',
  ],
  [
    'trades',
    `  exchange LowCardinality(String),
  market_type LowCardinality(String),
  symbol LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  local_timestamp DateTime64(3, 'UTC'),
  trade_id String,
  price Decimal(38, 18),
  quantity Decimal(38, 18),
  side LowCardinality(String),
  is_maker Bool,
  trade_time DateTime64(3, 'UTC'),
  data_source LowCardinality(String) DEFAULT 'marketprism',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
    'exchange, market_type, symbol, trade_id',
  ],
  [
    'funding_rates',
    `  exchange LowCardinality(String),
  market_type LowCardinality(String),
  symbol LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  local_timestamp DateTime64(3, 'UTC'),
  funding_rate Decimal(38, 18),
  mark_price Nullable(Decimal(38, 18)),
  index_price Nullable(Decimal(38, 18)),
  funding_time Nullable(DateTime64(3, 'UTC')),
  next_funding_time Nullable(DateTime64(3, 'UTC')),
  data_source LowCardinality(String) DEFAULT 'marketprism',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
    'exchange, market_type, symbol, timestamp',
  ],
  [
    'open_interests',
    `  exchange LowCardinality(String),
  market_type LowCardinality(String),
  symbol LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  local_timestamp DateTime64(3, 'UTC'),
  open_interest Decimal(38, 18),
  open_interest_value Nullable(Decimal(38, 18)),
  data_source LowCardinality(String) DEFAULT 'marketprism',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
    'exchange, market_type, symbol, timestamp',
  ],
  [
    'liquidations',
    `  exchange LowCardinality(String),
  market_type LowCardinality(String),
  symbol LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  local_timestamp DateTime64(3, 'UTC'),
  side LowCardinality(String),
  price Decimal(38, 18),
  quantity Decimal(38, 18),
  liquidation_time DateTime64(3, 'UTC'),
  data_source LowCardinality(String) DEFAULT 'marketprism',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
    'exchange, market_type, symbol, liquidation_time, side, price, quantity',
  ],
  [
    'lsr_top_positions',
    `  exchange LowCardinality(String),
  market_type LowCardinality(String),
  symbol LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  local_timestamp DateTime64(3, 'UTC'),
  long_position_ratio Decimal(38, 18),
  short_position_ratio Decimal(38, 18),
  long_short_ratio Decimal(38, 18),
  period LowCardinality(String),
  data_source LowCardinality(String) DEFAULT 'marketprism',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
    'exchange, market_type, symbol, period, timestamp',
  ],
  [
    'lsr_all_accounts',
    `  exchange LowCardinality(String),
  market_type LowCardinality(String),
  symbol LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  local_timestamp DateTime64(3, 'UTC'),
  long_account_ratio Decimal(38, 18),
  short_account_ratio Decimal(38, 18),
  long_short_ratio Decimal(38, 18),
  period LowCardinality(String),
  data_source LowCardinality(String) DEFAULT 'marketprism',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
    'exchange, market_type, symbol, period, timestamp',
  ],
  [
    'volatility_indices',
    `  exchange LowCardinality(String),
  market_type LowCardinality(String),
  symbol LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  local_timestamp DateTime64(3, 'UTC'),
  index_value Decimal(38, 18),
  underlying_asset LowCardinality(String),
  maturity_date Nullable(Date),
  data_source LowCardinality(String) DEFAULT 'marketprism',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
    'exchange, market_type, symbol, timestamp',
  ],
];

function createTable(db: string, ttlDays: number | undefined, [name, columns, orderBy]: readonly [string, string, string]): string {
  const hot = ttlDays !== undefined;
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${name} (`,
    columns,
    `) ENGINE = ReplacingMergeTree`,
    `PARTITION BY ${hot ? 'toYYYYMMDD' : 'toYYYYMM'}(timestamp)`,
    `ORDER BY (${orderBy})`,
    ...(hot ? [`TTL toDateTime(timestamp) + INTERVAL ${ttlDays} DAY DELETE`] : []),
    `SETTINGS non_replicated_deduplication_window = 10000${hot ? ', ttl_only_drop_parts = 1' : ''}`,
  ].join('\n');
}

export const m0001: Migration = {
  version: 1,
  name: 'create the eight market data tables',
  statements: (db, ttlDays) => V1_TABLES.map((t) => createTable(db, ttlDays, t)),
};
