/**
 * Binance instrument lists through ccxt (`exchangeInfo` of /api/v3, /fapi/v1, /dapi/v1):
 * spot and USDⓈ-M count the base asset; COIN-M counts contracts of `contractSize` USD.
 */
import type { MarketInterface as Market } from 'ccxt';
import { decimal, marketType, text, yymmdd, type Row } from '../../instruments/classify.js';
import type { InstrumentInfo, InstrumentSource } from '../../instruments/types.js';
import { binanceSymbol } from './symbols.js';

const EXCHANGE_INFO: Record<string, string> = { spot: '/api/v3/exchangeInfo?', linear: '/fapi/v1/exchangeInfo?', inverse: '/dapi/v1/exchangeInfo?' };

function source(venue: 'binance-spot' | 'binance-usdm' | 'binance-coinm', type: 'spot' | 'linear' | 'inverse'): InstrumentSource {
  return {
    ccxt: 'binance',
    types: [type],
    recordedTypes: (keys) => (keys.includes(EXCHANGE_INFO[type]!) ? [type] : []),
    classify: (m) => classifyBinance(venue, m),
  };
}

export const binanceSpotInstruments = source('binance-spot', 'spot');
export const binanceUsdmInstruments = source('binance-usdm', 'linear');
export const binanceCoinmInstruments = source('binance-coinm', 'inverse');

function classifyBinance(venue: 'binance-spot' | 'binance-usdm' | 'binance-coinm', m: Market): InstrumentInfo | undefined {
  const info = (m.info ?? {}) as Row;
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
