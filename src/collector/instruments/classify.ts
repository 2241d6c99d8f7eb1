/**
 * A ccxt market row → InstrumentInfo. ccxt's unified fields decide the kind
 * (type, linear/inverse, expiry, base/quote/settle); every size is read as exact
 * text from `info`, the venue's raw row (numbers kept as text by ccxt-markets.ts).
 *
 * What each venue counts quantities in (trades, book levels, open interest):
 * - Binance spot, USDⓈ-M: base asset. COIN-M: contracts of `contractSize` USD (inverse).
 * - OKX SPOT: base. SWAP/FUTURES: contracts of ctVal × ctMult `ctValCcy`: base units
 *   when ctType is linear, quote (USD) units when inverse.
 * - Deribit: inverse perpetuals/futures (settled in the coin): USD amounts (quote);
 *   linear (USDC) perpetuals/futures, options and spot: base.
 *
 * Rows the collector cannot name (options on OKX and Binance, Deribit combos) are
 * skipped: undefined.
 */
import type { MarketInterface as Market } from 'ccxt';
import type { MarketType } from '../../core/model.js';
import { multiplyDecimal, normalizeDecimal } from '../../core/decimal-math.js';
import { toPlainDecimal } from '../../core/decimal.js';
import { binanceSymbol } from '../venues/binance/symbols.js';
import { deribitInstrument } from '../venues/deribit/symbols.js';
import { okxInstrument } from '../venues/okx/symbols.js';
import { InstrumentFieldError, type InstrumentInfo, type InstrumentVenue } from './types.js';

type Row = Record<string, unknown>;

export function classifyMarket(venue: InstrumentVenue, m: Market): InstrumentInfo | undefined {
  const info = (m.info ?? {}) as Row;
  switch (venue) {
    case 'binance-spot':
    case 'binance-usdm':
    case 'binance-coinm':
      return binance(venue, m, info);
    case 'okx':
      return okx(m, info);
    case 'deribit':
      return deribit(m, info);
  }
}

function binance(venue: InstrumentVenue, m: Market, info: Row): InstrumentInfo | undefined {
  const wire = text(venue, String(m.id), info, 'symbol')!;
  const market = marketType(m);
  if (!market || market === 'options') return undefined;
  const filters = Array.isArray(info['filters']) ? (info['filters'] as Row[]) : [];
  const filter = (type: string): Row | undefined => filters.find((f) => f['filterType'] === type);
  const priceFilter = filter('PRICE_FILTER');
  const lotFilter = filter('LOT_SIZE');
  const inverse = venue === 'binance-coinm';
  const pair = typeof info['pair'] === 'string' ? info['pair'] : wire;
  const symbol = market === 'spot' || market === 'perpetual' ? (binanceSymbol(pair) ?? `${m.base}-${m.quote}`) : `${m.base}-${m.quote}-${yymmdd(m.expiry)}`;
  return {
    exchange: 'binance',
    wire,
    symbol,
    market_type: market,
    base: m.base,
    quote: m.quote,
    settle: m.settle ?? undefined,
    quantity_unit: inverse ? 'contracts' : 'base',
    contract_size: inverse ? decimal(venue, wire, info, 'contractSize', true) : undefined,
    linear: !inverse,
    expiry: market === 'futures' ? (m.expiry ?? undefined) : undefined,
    tick_size: priceFilter ? decimal(venue, wire, priceFilter, 'tickSize', false, 'PRICE_FILTER.tickSize') : undefined,
    lot_size: lotFilter ? decimal(venue, wire, lotFilter, 'stepSize', false, 'LOT_SIZE.stepSize') : undefined,
    active: m.active === true,
  };
}

function okx(m: Market, info: Row): InstrumentInfo | undefined {
  const wire = text('okx', String(m.id), info, 'instId')!;
  const named = okxInstrument(wire);
  if (!named) return undefined;
  const contract = named.market_type !== 'spot';
  let contractSize: string | undefined;
  let linear = true;
  if (contract) {
    const ctVal = decimal('okx', wire, info, 'ctVal', true)!;
    const ctMultText = info['ctMult'];
    const ctMult = ctMultText === '' || ctMultText === undefined ? '1' : decimal('okx', wire, info, 'ctMult', true)!;
    contractSize = multiplyDecimal(ctVal, ctMult);
    const ctType = info['ctType'];
    if (ctType !== 'linear' && ctType !== 'inverse') throw new InstrumentFieldError('okx', wire, 'ctType', ctType, "expected 'linear' or 'inverse'");
    linear = ctType === 'linear';
  }
  return {
    exchange: 'okx',
    wire,
    symbol: named.symbol,
    market_type: named.market_type,
    base: m.base,
    quote: m.quote,
    settle: contract ? (m.settle ?? undefined) : undefined,
    quantity_unit: contract ? 'contracts' : 'base',
    contract_size: contractSize,
    linear,
    expiry: named.market_type === 'futures' ? (m.expiry ?? undefined) : undefined,
    tick_size: decimal('okx', wire, info, 'tickSz', false),
    lot_size: decimal('okx', wire, info, 'lotSz', false),
    active: m.active === true,
  };
}

function deribit(m: Market, info: Row): InstrumentInfo | undefined {
  const wire = text('deribit', String(m.id), info, 'instrument_name')!;
  const market = marketType(m);
  if (!market || (typeof info['kind'] === 'string' && info['kind'].includes('combo'))) return undefined;
  let symbol: string | undefined;
  if (market === 'perpetual' || market === 'options') symbol = deribitInstrument(wire)?.symbol;
  else if (market === 'futures') symbol = `${m.base}-${m.quote}-${yymmdd(m.expiry)}`;
  else symbol = `${m.base}-${m.quote}`;
  if (!symbol) return undefined;
  // Inverse futures and perpetuals (settled in the coin) trade USD amounts.
  const inverse = (market === 'perpetual' || market === 'futures') && m.inverse === true;
  return {
    exchange: 'deribit',
    wire,
    symbol,
    market_type: market,
    base: m.base,
    quote: m.quote,
    settle: m.settle ?? undefined,
    quantity_unit: inverse ? 'quote' : 'base',
    contract_size: undefined,
    linear: m.linear === true || market === 'spot',
    expiry: market === 'futures' || market === 'options' ? (m.expiry ?? undefined) : undefined,
    tick_size: decimal('deribit', wire, info, 'tick_size', false),
    lot_size: decimal('deribit', wire, info, 'min_trade_amount', false),
    active: m.active === true,
  };
}

function marketType(m: Market): MarketType | undefined {
  switch (m.type) {
    case 'spot':
      return 'spot';
    case 'swap':
      return 'perpetual';
    case 'future':
      return 'futures';
    case 'option':
      return 'options';
    default:
      return undefined;
  }
}

/** "220527" from an expiry in ms (UTC), as OKX and Binance write dated contracts. */
function yymmdd(expiry: number | undefined): string {
  if (expiry === undefined) return 'undated';
  const d = new Date(expiry);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
}

function text(venue: InstrumentVenue, wire: string, row: Row, field: string): string | undefined {
  const v = row[field];
  if (typeof v !== 'string' || v === '') throw new InstrumentFieldError(venue, wire, field, v, 'expected a non-empty string');
  return v;
}

/**
 * A size field as exact plain decimal text. Numbers reach here as their JSON text
 * (ccxt-markets.ts); a JS number would mean the text was lost, so it is refused.
 * Optional fields may be absent or "" (undefined); required ones throw naming the field.
 */
function decimal(venue: InstrumentVenue, wire: string, row: Row, field: string, required: boolean, label = field): string | undefined {
  const v = row[field];
  if ((v === undefined || v === null || v === '') && !required) return undefined;
  if (typeof v !== 'string') throw new InstrumentFieldError(venue, wire, label, v, typeof v === 'number' ? 'a JSON number parsed as a double: its exact text is lost' : 'expected a decimal');
  let plain: string;
  try {
    plain = normalizeDecimal(toPlainDecimal(v));
  } catch {
    throw new InstrumentFieldError(venue, wire, label, v, 'not a decimal');
  }
  if (required && !/[1-9]/.test(plain)) throw new InstrumentFieldError(venue, wire, label, v, 'must be positive');
  if (plain.startsWith('-')) throw new InstrumentFieldError(venue, wire, label, v, 'must not be negative');
  return plain;
}
