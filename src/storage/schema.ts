/**
 * ClickHouse tables, derived from the data model (core/fields.ts) so a field is
 * declared once. Each table is a ReplacingMergeTree ordered by the record's natural
 * key: a record stored twice (redelivery after a crash) collapses to one row, and
 * `SELECT ... FINAL` reads the de-duplicated view at any moment.
 */
import { NATURAL_KEYS, fieldEntries, type FieldKind } from '../core/fields.js';
import type { DataType } from '../core/model.js';

export const TABLES = {
  orderbook: 'orderbooks',
  trade: 'trades',
  funding_rate: 'funding_rates',
  open_interest: 'open_interests',
  liquidation: 'liquidations',
  lsr_top_position: 'lsr_top_positions',
  lsr_all_account: 'lsr_all_accounts',
  volatility_index: 'volatility_indices',
} as const satisfies Record<DataType, string>;

export const DECIMAL_TYPE = 'Decimal(38, 18)';
const TIME_TYPE = "DateTime64(3, 'UTC')";

const COLUMN_TYPE: Record<FieldKind, string> = {
  exchange: 'LowCardinality(String)',
  market_type: 'LowCardinality(String)',
  unit: 'LowCardinality(String)',
  'decimals?': `Array(${DECIMAL_TYPE})`,
  decimal: DECIMAL_TYPE,
  'decimal?': `Nullable(${DECIMAL_TYPE})`,
  text: 'String',
  uint: 'UInt64',
  time: TIME_TYPE,
  'time?': `Nullable(${TIME_TYPE})`,
  bool: 'Bool',
  side: 'LowCardinality(String)',
  levels: 'String',
  'date?': 'Nullable(Date)',
};

/** Text columns with few distinct values. */
const LOW_CARDINALITY = new Set(['symbol', 'period', 'underlying_asset']);

/** Orderbook columns computed from bids/asks at insert, as the original had them. */
const ORDERBOOK_DERIVED: [string, string][] = [
  ['bids_count', 'UInt32'],
  ['asks_count', 'UInt32'],
  ['best_bid_price', `Nullable(${DECIMAL_TYPE})`],
  ['best_bid_quantity', `Nullable(${DECIMAL_TYPE})`],
  ['best_ask_price', `Nullable(${DECIMAL_TYPE})`],
  ['best_ask_quantity', `Nullable(${DECIMAL_TYPE})`],
];

export function columnsOf(type: DataType): [string, string][] {
  const cols: [string, string][] = fieldEntries(type).map(([name, kind]) => [
    name,
    kind === 'text' && LOW_CARDINALITY.has(name) ? 'LowCardinality(String)' : COLUMN_TYPE[kind],
  ]);
  if (type === 'orderbook') cols.push(...ORDERBOOK_DERIVED);
  cols.push(["data_source", "LowCardinality(String) DEFAULT 'marketprism'"]);
  cols.push(['created_at', `${TIME_TYPE} DEFAULT now64(3)`]);
  return cols;
}

export interface TableOptions {
  database: string;
  /** Hot tier: rows older than this are deleted. Undefined: kept forever (cold tier). */
  ttlDays?: number;
}

export function createTableSql(type: DataType, opts: TableOptions): string {
  const cols = columnsOf(type)
    .map(([n, t]) => `  ${n} ${t}`)
    .join(',\n');
  const hot = opts.ttlDays !== undefined;
  return [
    `CREATE TABLE IF NOT EXISTS ${opts.database}.${TABLES[type]} (`,
    cols,
    `) ENGINE = ReplacingMergeTree`,
    `PARTITION BY ${hot ? 'toYYYYMMDD' : 'toYYYYMM'}(timestamp)`,
    `ORDER BY (${NATURAL_KEYS[type].join(', ')})`,
    hot ? ttlClause(opts.ttlDays!) : '',
    // Lets insert_deduplication_token drop a re-sent batch on a non-replicated table.
    `SETTINGS non_replicated_deduplication_window = 10000${hot ? ', ttl_only_drop_parts = 1' : ''}`,
  ]
    .filter(Boolean)
    .join('\n');
}

export function ttlClause(days: number): string {
  return `TTL toDateTime(timestamp) + INTERVAL ${days} DAY DELETE`;
}
