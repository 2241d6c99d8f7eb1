/**
 * Binance instrument names <-> normalized symbols, for the three markets:
 *   spot     BTCUSDT         <-> BTC-USDT
 *   USDⓈ-M   BTCUSDT         <-> BTC-USDT (perpetual), BTCUSDT_250627 <-> BTC-USDT-250627 (delivery)
 *   COIN-M   BTCUSD_PERP     <-> BTC-USD (perpetual),  BTCUSD_250627  <-> BTC-USD-250627 (delivery)
 */
import type { Instrument } from '../../symbols.js';

export type BinanceMarket = 'spot' | 'usdm' | 'coinm';

/** Quote assets Binance lists, longest first so "FDUSD" wins over "USD". */
// prettier-ignore -- a table, laid out by hand
const BINANCE_QUOTES = [
  'FDUSD',
  'USDT',
  'USDC',
  'BUSD',
  'TUSD',
  'USDP',
  'BIDR',
  'IDRT',
  'BVND',
  'DAI',
  'BTC',
  'ETH',
  'BNB',
  'XRP',
  'TRX',
  'DOGE',
  'EUR',
  'GBP',
  'AUD',
  'TRY',
  'BRL',
  'RUB',
  'UAH',
  'NGN',
  'ZAR',
  'PLN',
  'RON',
  'ARS',
  'MXN',
  'COP',
  'CZK',
  'JPY',
  'USD',
].sort((a, b) => b.length - a.length);

/** "BTCUSDT" -> "BTC-USDT"; undefined for names that are not a plain pair (e.g. "BTCUSDT_250627"). */
export function binanceSymbol(wire: string): string | undefined {
  const name = wire.toUpperCase();
  if (!/^[A-Z0-9]+$/.test(name)) return undefined;
  for (const q of BINANCE_QUOTES) {
    if (name.length > q.length && name.endsWith(q)) return `${name.slice(0, -q.length)}-${q}`;
  }
  return undefined;
}

/** A Binance instrument name of `market` -> its symbol and market type, or undefined when it is none of them. */
export function binanceInstrument(wire: string, market: BinanceMarket): Instrument | undefined {
  const [pairName = '', suffix, extra] = wire.toUpperCase().split('_');
  if (extra !== undefined) return undefined;
  const pair = binanceSymbol(pairName);
  if (!pair) return undefined;
  if (market === 'spot') return suffix === undefined ? { symbol: pair, market_type: 'spot' } : undefined;
  if (suffix !== undefined && /^\d{6}$/.test(suffix)) return { symbol: `${pair}-${suffix}`, market_type: 'futures' };
  if (market === 'usdm') return suffix === undefined ? { symbol: pair, market_type: 'perpetual' } : undefined;
  return suffix === 'PERP' ? { symbol: pair, market_type: 'perpetual' } : undefined;
}

/** A normalized symbol -> the instrument name on `market` (the inverse of binanceInstrument). */
export function binanceWire(symbol: string, market: BinanceMarket = 'spot'): string {
  const [base = '', quote = '', expiry] = symbol.toUpperCase().split('-');
  const pair = `${base}${quote}`;
  if (expiry !== undefined) return `${pair}_${expiry}`;
  return market === 'coinm' ? `${pair}_PERP` : pair;
}
