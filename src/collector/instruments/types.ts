/** Instrument metadata as the collector uses it (loaded through ccxt, or from a capture's REST bodies). */
import type { QuantityUnit } from '../../core/model.js';

export type { QuantityUnit };

export interface InstrumentInfo {
  exchange: 'binance' | 'okx' | 'deribit';
  /** The venue's own instrument name: BTCUSDT, BTC-USDT-SWAP, BTC-USD-220527, BTC-PERPETUAL. */
  wire: string;
  /** Normalized symbol as src/collector/symbols.ts makes it. */
  symbol: string;
  market_type: 'spot' | 'perpetual' | 'futures' | 'options';
  base: string;
  quote: string;
  settle: string | undefined;
  /** What the venue's trade sizes, book level sizes and open interest are counted in. */
  quantity_unit: QuantityUnit;
  /** 'contracts' only: base units per contract (linear) or quote units per contract (inverse), exact text. */
  contract_size: string | undefined;
  /** true for linear/spot, false for inverse contracts. */
  linear: boolean;
  expiry: number | undefined;
  tick_size: string | undefined;
  lot_size: string | undefined;
  active: boolean;
}
