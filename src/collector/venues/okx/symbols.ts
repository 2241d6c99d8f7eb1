/** OKX instrument ids <-> normalized symbols. */
import type { MarketType } from '../../../core/model.js';
import { isDatedSymbol, type Instrument } from '../../symbols.js';

/**
 * OKX instId -> instrument: "BTC-USDT" spot, "BTC-USDT-SWAP" perpetual, "BTC-USD-220527"
 * a dated future (keeps its expiry in the symbol). Options: undefined.
 */
export function okxInstrument(instId: string): Instrument | undefined {
  const parts = instId.split('-');
  if (parts.length === 2) return { symbol: instId, market_type: 'spot' };
  if (parts.length === 3 && parts[2] === 'SWAP') return { symbol: `${parts[0]}-${parts[1]}`, market_type: 'perpetual' };
  if (parts.length === 3 && /^\d{6}$/.test(parts[2]!)) return { symbol: instId, market_type: 'futures' };
  return undefined;
}

/**
 * Normalized symbol -> OKX instId: on a derivatives venue `BTC-USDT` is the swap
 * `BTC-USDT-SWAP` and `BTC-USD-250627` the dated future of that name.
 */
export function okxInstId(symbol: string, market: MarketType): string {
  return market === 'perpetual' && !isDatedSymbol(symbol) ? `${symbol}-SWAP` : symbol;
}
