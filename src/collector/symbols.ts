/**
 * What every venue's instrument naming shares: the normalized `BASE-QUOTE` symbol
 * and its market type. Each venue's own rules live in its folder
 * (venues/<venue>/symbols.ts) so config, mappers, replay and the simulator agree.
 */
import type { MarketType } from '../core/model.js';

export interface Instrument {
  symbol: string;
  market_type: MarketType;
}

/** A normalized symbol that names a dated future: it keeps the expiry (`BTC-USD-250627`). */
export function isDatedSymbol(symbol: string): boolean {
  return /^[A-Z0-9]+-[A-Z0-9]+-\d{6}$/.test(symbol);
}
