/**
 * The ClickHouse columns each table must have, derived from the data model
 * (core/fields.ts). The DDL that builds them is the literal, append-only migrations
 * (migrations/); test/storage/migrations.test.ts checks that a fresh and an upgraded
 * database both end with exactly these columns, so the two cannot drift. Each table
 * is a ReplacingMergeTree ordered by the record's natural key: a record stored twice
 * (redelivery after a crash) collapses to one row, and `SELECT ... FINAL` reads the
 * de-duplicated view at any moment.
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
/** Book levels: `bids[1].price`, `bids[1].quantity` (or `.1`, `.2`) with no JSON parsing. */
export const LEVELS_TYPE = `Array(Tuple(price ${DECIMAL_TYPE}, quantity ${DECIMAL_TYPE}))`;

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
  levels: LEVELS_TYPE,
  'date?': 'Nullable(Date)',
};

/** Text columns with few distinct values. */
const LOW_CARDINALITY = new Set(['symbol', 'period', 'underlying_asset']);

/**
 * Columns kept from an earlier data model, after the fields: orderbooks' v1 JSON text
 * levels (rows stored by 0.1.x; empty for later rows, whose `bids`/`asks` are arrays).
 */
const LEGACY: Partial<Record<DataType, [string, string][]>> = {
  orderbook: [
    ['bids_json', 'String'],
    ['asks_json', 'String'],
  ],
};

/** Orderbook columns computed from bids/asks at insert, as the original had them. */
const ORDERBOOK_DERIVED: [string, string][] = [
  ['bids_count', 'UInt32'],
  ['asks_count', 'UInt32'],
  ['best_bid_price', `Nullable(${DECIMAL_TYPE})`],
  ['best_bid_quantity', `Nullable(${DECIMAL_TYPE})`],
  ['best_ask_price', `Nullable(${DECIMAL_TYPE})`],
  ['best_ask_quantity', `Nullable(${DECIMAL_TYPE})`],
];

/** Columns with a default that new rows rely on (not given at insert). */
const INSERT_DEFAULTS: Record<string, string> = { data_source: "'marketprism'", created_at: 'now64(3)' };

/** [name, ClickHouse type] of every column of a type's table, in table order (as system.columns lists them). */
export function columnsOf(type: DataType): [string, string][] {
  const cols: [string, string][] = fieldEntries(type).map(([name, kind]) => [
    name,
    kind === 'text' && LOW_CARDINALITY.has(name) ? 'LowCardinality(String)' : COLUMN_TYPE[kind],
  ]);
  cols.push(...(LEGACY[type] ?? []));
  if (type === 'orderbook') cols.push(...ORDERBOOK_DERIVED);
  cols.push(['data_source', 'LowCardinality(String)']);
  cols.push(['created_at', TIME_TYPE]);
  return cols;
}

export interface TableOptions {
  database: string;
  /** Hot tier: rows older than this are deleted. Undefined: kept forever (cold tier). */
  ttlDays?: number;
}

/**
 * The table as one CREATE statement, derived from the fields: a description for docs
 * and tests. Never run: the migrations are the only DDL (they also carry the DEFAULTs
 * that make rows stored by older releases read in today's terms).
 */
export function createTableSql(type: DataType, opts: TableOptions): string {
  const cols = columnsOf(type)
    .map(([n, t]) => `  ${n} ${t}${INSERT_DEFAULTS[n] ? ` DEFAULT ${INSERT_DEFAULTS[n]}` : ''}`)
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
