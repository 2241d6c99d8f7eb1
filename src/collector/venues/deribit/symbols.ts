/** Deribit instrument names <-> normalized symbols. */
import type { Instrument } from '../../symbols.js';

/**
 * Deribit instrument -> instrument: "BTC-PERPETUAL" is the inverse USD perpetual
 * ("BTC-USD"), "BTC_USDC-PERPETUAL" the linear one ("BTC-USDC"); an option keeps its
 * name ("BTC-31DEC21-34000-P"). Dated futures: undefined.
 */
export function deribitInstrument(name: string): Instrument | undefined {
  const perp = /^([A-Z0-9]+)(?:_([A-Z0-9]+))?-PERPETUAL$/.exec(name);
  if (perp) return { symbol: `${perp[1]}-${perp[2] ?? 'USD'}`, market_type: 'perpetual' };
  if (/^[A-Z0-9_]+-\d{1,2}[A-Z]{3}\d{2}-[0-9d]+-[CP]$/.test(name)) return { symbol: name.replace(/_/g, '-'), market_type: 'options' };
  return undefined;
}

/** "BTC" or "BTC-USD" -> "BTC-PERPETUAL"; "BTC-USDC" -> "BTC_USDC-PERPETUAL". */
export function deribitPerpetual(symbol: string): string {
  const [base, quote = 'USD'] = symbol.split('-');
  return quote === 'USD' ? `${base}-PERPETUAL` : `${base}_${quote}-PERPETUAL`;
}
