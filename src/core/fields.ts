/**
 * The fields of each record type, as data. Validation, the ClickHouse columns and
 * the natural keys are all derived from this table, so a field is declared once.
 */
import type { DataType } from './model.js';

export type FieldKind =
  | 'decimal' // exact decimal text
  | 'decimal?' // exact decimal text or absent
  | 'text' // non-empty string
  | 'uint' // unsigned integer as decimal text (ids wider than 2^53 stay exact)
  | 'time' // integer ms since the epoch
  | 'time?'
  | 'bool'
  | 'side' // 'buy' | 'sell'
  | 'levels' // [[price, quantity], ...]
  | 'date?'; // YYYY-MM-DD or absent

/** Fields every record carries, in column order. */
export const COMMON_FIELDS = {
  exchange: 'text',
  market_type: 'text',
  symbol: 'text',
  timestamp: 'time',
  local_timestamp: 'time',
} as const satisfies Record<string, FieldKind>;

/** Fields of each type beyond the common ones, in column order. */
export const TYPE_FIELDS = {
  orderbook: { last_update_id: 'uint', bids: 'levels', asks: 'levels' },
  trade: { trade_id: 'text', price: 'decimal', quantity: 'decimal', side: 'side', is_maker: 'bool', trade_time: 'time' },
  funding_rate: {
    funding_rate: 'decimal',
    mark_price: 'decimal?',
    index_price: 'decimal?',
    funding_time: 'time?',
    next_funding_time: 'time?',
  },
  open_interest: { open_interest: 'decimal', open_interest_value: 'decimal?' },
  liquidation: { side: 'side', price: 'decimal', quantity: 'decimal', liquidation_time: 'time' },
  lsr_top_position: {
    long_position_ratio: 'decimal',
    short_position_ratio: 'decimal',
    long_short_ratio: 'decimal',
    period: 'text',
  },
  lsr_all_account: {
    long_account_ratio: 'decimal',
    short_account_ratio: 'decimal',
    long_short_ratio: 'decimal',
    period: 'text',
  },
  volatility_index: { index_value: 'decimal', underlying_asset: 'text', maturity_date: 'date?' },
} as const satisfies Record<DataType, Record<string, FieldKind>>;

/**
 * The fields that identify one record: a redelivered or re-published record has the
 * same key, so JetStream (Nats-Msg-Id) and ClickHouse (ReplacingMergeTree ORDER BY)
 * both collapse it to one.
 */
export const NATURAL_KEYS = {
  orderbook: ['exchange', 'market_type', 'symbol', 'timestamp', 'last_update_id'],
  trade: ['exchange', 'market_type', 'symbol', 'trade_id'],
  funding_rate: ['exchange', 'market_type', 'symbol', 'timestamp'],
  open_interest: ['exchange', 'market_type', 'symbol', 'timestamp'],
  liquidation: ['exchange', 'market_type', 'symbol', 'liquidation_time', 'side', 'price', 'quantity'],
  lsr_top_position: ['exchange', 'market_type', 'symbol', 'period', 'timestamp'],
  lsr_all_account: ['exchange', 'market_type', 'symbol', 'period', 'timestamp'],
  volatility_index: ['exchange', 'market_type', 'symbol', 'timestamp'],
} as const satisfies Record<DataType, readonly string[]>;

const ALL_FIELDS = Object.fromEntries(
  (Object.keys(TYPE_FIELDS) as DataType[]).map((t) => [t, Object.freeze({ ...COMMON_FIELDS, ...TYPE_FIELDS[t] })]),
) as unknown as Record<DataType, Readonly<Record<string, FieldKind>>>;
const FIELD_ENTRIES = Object.fromEntries(
  (Object.keys(ALL_FIELDS) as DataType[]).map((t) => [t, Object.freeze(Object.entries(ALL_FIELDS[t]))]),
) as unknown as Record<DataType, readonly (readonly [string, FieldKind])[]>;

/** Common and own fields of a type, in column order. */
export function fieldsOf(type: DataType): Readonly<Record<string, FieldKind>> {
  return ALL_FIELDS[type];
}

/** The same as [name, kind] pairs, computed once (hot path). */
export function fieldEntries(type: DataType): readonly (readonly [string, FieldKind])[] {
  return FIELD_ENTRIES[type];
}
