/**
 * The fields of each record type, as data: the one declaration of the data model.
 * The TypeScript record types (below), validation, the ClickHouse columns and the
 * natural keys are all derived from this table, so a field cannot exist in one and
 * not in the other. docs/data-model.md describes each field per venue.
 */
import type { DataType, Decimal, Exchange, Level, MarketType, QuantityUnit, Side } from './model.js';

export type FieldKind =
  | 'exchange' // one of EXCHANGES
  | 'market_type' // one of MARKET_TYPES
  | 'decimal' // exact decimal text
  | 'decimal?' // exact decimal text or absent
  | 'decimals?' // an array of exact decimal texts, or absent
  | 'text' // non-empty string
  | 'uint' // unsigned integer as decimal text (ids wider than 2^53 stay exact)
  | 'time' // integer ms since the epoch
  | 'time?'
  | 'bool'
  | 'side' // 'buy' | 'sell'
  | 'unit' // one of QUANTITY_UNITS: what a venue's raw quantity is counted in
  | 'levels' // [[price, quantity], ...]
  | 'date?'; // YYYY-MM-DD or absent

/** The TypeScript type a field of each kind holds. Optional kinds are present but may be undefined. */
export interface KindType {
  exchange: Exchange;
  market_type: MarketType;
  decimal: Decimal;
  'decimal?': Decimal | undefined;
  'decimals?': readonly Decimal[] | undefined;
  text: string;
  uint: string;
  time: number;
  'time?': number | undefined;
  bool: boolean;
  side: Side;
  unit: QuantityUnit;
  levels: readonly Level[];
  'date?': string | undefined;
}

/** Fields every record carries, in column order. */
export const COMMON_FIELDS = {
  exchange: 'exchange',
  market_type: 'market_type',
  /** Normalized instrument, e.g. "BTC-USDT"; a dated future keeps its expiry ("BTC-USD-220527"). */
  symbol: 'text',
  /** Exchange event time, ms. */
  timestamp: 'time',
  /** When the collector received the message, ms. */
  local_timestamp: 'time',
} as const satisfies Record<string, FieldKind>;

/**
 * Fields of each type beyond the common ones, in column order. Quantities
 * (`quantity`, book level quantities, `open_interest`) are in the base asset on every
 * venue; the venue's own figure is kept exactly beside them (`*_raw`, in `*_unit`).
 */
export const TYPE_FIELDS = {
  orderbook: {
    /** Binance `u`, OKX `seqId`, Deribit `change_id`: the last update applied. */
    last_update_id: 'uint',
    /** Best first: highest bid first, lowest ask first; quantities in the base asset. */
    bids: 'levels',
    asks: 'levels',
    /** What the venue counts level quantities in. */
    quantity_unit: 'unit',
    /** The venue's own level quantities (parallel to bids/asks); absent when quantity_unit is base. */
    bids_raw: 'decimals?',
    asks_raw: 'decimals?',
  },
  trade: {
    trade_id: 'text',
    price: 'decimal',
    /** In the base asset. */
    quantity: 'decimal',
    /** The venue's own size, exactly, in quantity_unit. */
    quantity_raw: 'decimal',
    quantity_unit: 'unit',
    /** Taker side. */
    side: 'side',
    /** True when the buyer was the maker (Binance `m`); derived from the taker side elsewhere. */
    is_maker: 'bool',
    trade_time: 'time',
  },
  funding_rate: {
    funding_rate: 'decimal',
    mark_price: 'decimal?',
    index_price: 'decimal?',
    /** The settlement the rate applies to, ms. */
    funding_time: 'time?',
    /** The settlement after funding_time, ms (where the venue states it). */
    next_funding_time: 'time?',
  },
  open_interest: {
    /** In the base asset. */
    open_interest: 'decimal',
    /** The venue's own figure, exactly, in open_interest_unit. */
    open_interest_raw: 'decimal',
    open_interest_unit: 'unit',
    /** Notional in the quote currency (USD for inverse contracts). */
    open_interest_value: 'decimal?',
  },
  liquidation: {
    /** Side of the liquidation order (a long liquidated is a sell). */
    side: 'side',
    price: 'decimal',
    /** In the base asset. */
    quantity: 'decimal',
    quantity_raw: 'decimal',
    quantity_unit: 'unit',
    liquidation_time: 'time',
  },
  lsr_top_position: {
    long_position_ratio: 'decimal',
    short_position_ratio: 'decimal',
    long_short_ratio: 'decimal',
    /** Aggregation period, e.g. "5m". */
    period: 'text',
  },
  lsr_all_account: {
    long_account_ratio: 'decimal',
    short_account_ratio: 'decimal',
    long_short_ratio: 'decimal',
    period: 'text',
  },
  volatility_index: {
    index_value: 'decimal',
    /** e.g. "BTC". */
    underlying_asset: 'text',
    /** YYYY-MM-DD for an index tied to an expiry; undefined for a constant-maturity index such as DVOL. */
    maturity_date: 'date?',
  },
} as const satisfies Record<DataType, Record<string, FieldKind>>;

type FieldsOf<F extends Record<string, FieldKind>> = { readonly [K in keyof F]: KindType[F[K]] };

/** The record of one data type, derived from the table above. */
export type RecordOf<T extends DataType> = { readonly data_type: T } & FieldsOf<typeof COMMON_FIELDS> & FieldsOf<(typeof TYPE_FIELDS)[T]>;

export type MarketRecord = { [T in DataType]: RecordOf<T> }[DataType];

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
} as const satisfies { [T in DataType]: readonly (keyof RecordOf<T> & string)[] };

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
