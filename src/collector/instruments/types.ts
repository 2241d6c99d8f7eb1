/**
 * Instrument metadata: what a venue's raw quantities are counted in, and the
 * contract size that turns them into base-asset units. Sizes are exact decimal text
 * read from the venue's own instrument rows, never from a float.
 */
import type { MarketInterface as Market } from 'ccxt';
import type { Exchange, MarketType, QuantityUnit } from '../../core/model.js';
import type { VenueKind } from '../venues/registry.js';

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
 * One instrument list per protocol of the venue registry: Binance spot and USDⓈ-M share
 * wire names (BTCUSDT), so a catalog holds exactly one protocol's instruments.
 */
export type InstrumentVenue = VenueKind;

/** Where a protocol's instrument list comes from and how its rows are read (venues/<venue>/instruments.ts). */
export interface InstrumentSource {
  /** The ccxt exchange class that loads it. */
  ccxt: 'binance' | 'okx' | 'deribit';
  /** ccxt `fetchMarkets` types (none: ccxt's default, every instrument). */
  types: readonly string[];
  /** Of recorded request keys (path?sorted-query), the fetchMarkets types they hold (replay); none: no list recorded. */
  recordedTypes(keys: readonly string[]): string[];
  /** One ccxt market row as the collector's instrument, or undefined for one it cannot name (options, combos). */
  classify(m: Market): InstrumentInfo | undefined;
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
