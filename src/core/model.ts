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

/**
 * What a venue's own quantity is counted in: `base` (the base asset, e.g. BTC),
 * `contracts` (OKX swaps/futures, Binance COIN-M: see the instrument's contract size),
 * `quote` (Deribit inverse contracts: USD).
 */
export const QUANTITY_UNITS = ['base', 'contracts', 'quote'] as const;
export type QuantityUnit = (typeof QUANTITY_UNITS)[number];

// The record types are derived from the fields table (fields.ts), declared once there.
export type { MarketRecord, RecordOf } from './fields.js';
import type { RecordOf } from './fields.js';
export type OrderbookRecord = RecordOf<'orderbook'>;
export type TradeRecord = RecordOf<'trade'>;
export type FundingRateRecord = RecordOf<'funding_rate'>;
export type OpenInterestRecord = RecordOf<'open_interest'>;
export type LiquidationRecord = RecordOf<'liquidation'>;
export type LsrTopPositionRecord = RecordOf<'lsr_top_position'>;
export type LsrAllAccountRecord = RecordOf<'lsr_all_account'>;
export type VolatilityIndexRecord = RecordOf<'volatility_index'>;

export function isDataType(value: unknown): value is DataType {
  return typeof value === 'string' && (DATA_TYPES as readonly string[]).includes(value);
}
