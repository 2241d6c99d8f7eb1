/**
 * Instrument metadata: what a venue's raw quantities are counted in, and the
 * contract size that turns them into base-asset units. Sizes are exact decimal text
 * read from the venue's own instrument rows, never from a float.
 */
import type { Exchange, MarketType, QuantityUnit } from '../../core/model.js';

export type { QuantityUnit };

export interface InstrumentInfo {
  exchange: Exchange;
  /** The venue's own instrument name: BTCUSDT, BTC-USDT-SWAP, BTC-USD-220527, BTC-PERPETUAL. */
  wire: string;
  /** Normalized symbol as src/collector/symbols.ts makes it (BTC-USDT; OKX dated future keeps expiry BTC-USD-220527; Deribit BTC-PERPETUAL -> BTC-USD). */
  symbol: string;
  market_type: MarketType;
  base: string;
  quote: string;
  settle: string | undefined;
  /** What the venue's trade sizes, book level sizes and open interest are counted in. */
  quantity_unit: QuantityUnit;
  /** 'contracts' only: base units per contract (linear) or quote units per contract (inverse), exact text. */
  contract_size: string | undefined;
  /** true for linear/spot, false for inverse contracts. */
  linear: boolean;
  /** ms */
  expiry: number | undefined;
  /** Exact text. */
  tick_size: string | undefined;
  lot_size: string | undefined;
  active: boolean;
}

/**
 * One instrument list of a venue, as the collector's venue kinds split them (plus
 * Binance COIN-M, which has no feed yet): Binance spot and USDⓈ-M share wire names
 * (BTCUSDT), so a catalog holds exactly one of these.
 */
export const INSTRUMENT_VENUES = ['binance-spot', 'binance-usdm', 'binance-coinm', 'okx', 'deribit'] as const;
export type InstrumentVenue = (typeof INSTRUMENT_VENUES)[number];

export function isInstrumentVenue(v: string): v is InstrumentVenue {
  return (INSTRUMENT_VENUES as readonly string[]).includes(v);
}

/** A recorded REST response: the URL asked and the body received (a capture's `http` line). */
export interface RecordedBody {
  url: string;
  body: string;
}

/** Thrown when a venue's instrument row lacks a field or carries one that is not what it should be. */
export class InstrumentFieldError extends Error {
  override name = 'InstrumentFieldError';
  constructor(
    readonly venue: InstrumentVenue,
    readonly wire: string,
    readonly field: string,
    readonly value: unknown,
    why: string,
  ) {
    super(`${venue} instrument ${JSON.stringify(wire)}: field ${field} = ${JSON.stringify(value)}: ${why}`);
  }
}
