/**
 * The normalized data model: the one vocabulary shared by collector, NATS and storage.
 * docs/data-model.md is the human-readable contract; keep both in step.
 *
 * Prices, quantities, rates and ratios are exact decimal strings (never JS numbers):
 * they go from the wire into ClickHouse Decimal columns without touching a float.
 * Timestamps are integer milliseconds since the Unix epoch (UTC).
 */

export const DATA_TYPES = [
  'orderbook',
  'trade',
  'funding_rate',
  'open_interest',
  'liquidation',
  'lsr_top_position',
  'lsr_all_account',
  'volatility_index',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

export const EXCHANGES = ['binance', 'okx', 'deribit'] as const;
export type Exchange = (typeof EXCHANGES)[number];

/** `futures`: dated (delivery) futures, e.g. OKX BTC-USD-220527. */
export const MARKET_TYPES = ['spot', 'perpetual', 'futures', 'options'] as const;
export type MarketType = (typeof MARKET_TYPES)[number];

export const SIDES = ['buy', 'sell'] as const;
export type Side = (typeof SIDES)[number];

/** A decimal number as text, e.g. "27150.01" or "0.00000123". */
export type Decimal = string;
/** A price level: [price, quantity]. */
export type Level = readonly [Decimal, Decimal];

interface RecordBase {
  readonly exchange: Exchange;
  readonly market_type: MarketType;
  /** Normalized instrument, e.g. "BTC-USDT". */
  readonly symbol: string;
  /** Exchange event time, ms. */
  readonly timestamp: number;
  /** When the collector received the message, ms. */
  readonly local_timestamp: number;
}

export interface OrderbookRecord extends RecordBase {
  readonly data_type: 'orderbook';
  /** Binance `u`, OKX `seqId`, Deribit `change_id`: the last update applied (integer as text). */
  readonly last_update_id: string;
  /** Best first: highest bid first, lowest ask first. */
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

export interface TradeRecord extends RecordBase {
  readonly data_type: 'trade';
  readonly trade_id: string;
  readonly price: Decimal;
  readonly quantity: Decimal;
  /** Taker side. */
  readonly side: Side;
  /** True when the buyer was the maker (Binance `m`); derived from the taker side elsewhere. */
  readonly is_maker: boolean;
  readonly trade_time: number;
}

export interface FundingRateRecord extends RecordBase {
  readonly data_type: 'funding_rate';
  readonly funding_rate: Decimal;
  readonly mark_price: Decimal | undefined;
  readonly index_price: Decimal | undefined;
  /** Time the rate applies to (the next settlement for a predicted rate), ms. */
  readonly funding_time: number | undefined;
  readonly next_funding_time: number | undefined;
}

export interface OpenInterestRecord extends RecordBase {
  readonly data_type: 'open_interest';
  /** In contracts or base currency, as the venue reports it. */
  readonly open_interest: Decimal;
  /** Notional in quote currency (USD) where the venue reports it. */
  readonly open_interest_value: Decimal | undefined;
}

export interface LiquidationRecord extends RecordBase {
  readonly data_type: 'liquidation';
  /** Side of the liquidation order (a long liquidated is a sell). */
  readonly side: Side;
  readonly price: Decimal;
  readonly quantity: Decimal;
  readonly liquidation_time: number;
}

export interface LsrTopPositionRecord extends RecordBase {
  readonly data_type: 'lsr_top_position';
  readonly long_position_ratio: Decimal;
  readonly short_position_ratio: Decimal;
  readonly long_short_ratio: Decimal;
  /** Aggregation period, e.g. "5m". */
  readonly period: string;
}

export interface LsrAllAccountRecord extends RecordBase {
  readonly data_type: 'lsr_all_account';
  readonly long_account_ratio: Decimal;
  readonly short_account_ratio: Decimal;
  readonly long_short_ratio: Decimal;
  readonly period: string;
}

export interface VolatilityIndexRecord extends RecordBase {
  readonly data_type: 'volatility_index';
  readonly index_value: Decimal;
  /** e.g. "BTC". */
  readonly underlying_asset: string;
  /** YYYY-MM-DD for an index tied to an expiry; undefined for a constant-maturity index such as DVOL. */
  readonly maturity_date: string | undefined;
}

export type MarketRecord =
  | OrderbookRecord
  | TradeRecord
  | FundingRateRecord
  | OpenInterestRecord
  | LiquidationRecord
  | LsrTopPositionRecord
  | LsrAllAccountRecord
  | VolatilityIndexRecord;

export type RecordOf<T extends DataType> = Extract<MarketRecord, { data_type: T }>;

export function isDataType(value: unknown): value is DataType {
  return typeof value === 'string' && (DATA_TYPES as readonly string[]).includes(value);
}
