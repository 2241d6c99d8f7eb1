/**
 * Instrument names: venue wire names <-> the normalized `BASE-QUOTE` symbol.
 * Each venue's rules live here so config, mappers and replay agree.
 */
import type { MarketType } from '../core/model.js';

export interface Instrument {
  symbol: string;
  market_type: MarketType;
}

/** Quote assets Binance lists, longest first so "FDUSD" wins over "USD". */
const BINANCE_QUOTES = [
  'FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'USDP', 'BIDR', 'IDRT', 'BVND',
  'DAI', 'BTC', 'ETH', 'BNB', 'XRP', 'TRX', 'DOGE', 'EUR', 'GBP', 'AUD', 'TRY', 'BRL', 'RUB',
  'UAH', 'NGN', 'ZAR', 'PLN', 'RON', 'ARS', 'MXN', 'COP', 'CZK', 'JPY', 'USD',
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

/** "BTC-USDT" -> "BTCUSDT". */
export function binanceWire(symbol: string): string {
  return symbol.replace('-', '').toUpperCase();
}

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

/** A normalized symbol that names a dated future: it keeps the expiry (`BTC-USD-250627`). */
export function isDatedSymbol(symbol: string): boolean {
  return /^[A-Z0-9]+-[A-Z0-9]+-\d{6}$/.test(symbol);
}

/**
 * Normalized symbol -> OKX instId: on a derivatives venue `BTC-USDT` is the swap
 * `BTC-USDT-SWAP` and `BTC-USD-250627` the dated future of that name.
 */
export function okxInstId(symbol: string, market: MarketType): string {
  return market === 'perpetual' && !isDatedSymbol(symbol) ? `${symbol}-SWAP` : symbol;
}

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
