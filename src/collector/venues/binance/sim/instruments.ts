/**
 * Binance `exchangeInfo` rows for the simulator's instruments (spot, USDⓈ-M, COIN-M);
 * contract sizes are Binance's own: COIN-M BTCUSD_PERP 100 USD, others 10.
 */
import { LISTED_AT, type ListedInstrument } from '../../../../sim/generate/instrument-lists.js';

/** Binance marks perpetuals with this delivery date (2100-12-25). */
const PERPETUAL_DELIVERY = 4133404800000;

export function binanceSpotSymbols(rows: (ListedInstrument & { symbol: string })[]): unknown[] {
  return rows.map((i) => ({
    symbol: i.symbol,
    status: 'TRADING',
    baseAsset: i.base,
    baseAssetPrecision: 8,
    quoteAsset: i.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: i.tick, maxPrice: '1000000.00000000', tickSize: i.tick },
      { filterType: 'PERCENT_PRICE', multiplierUp: '5', multiplierDown: '0.2', avgPriceMins: 5 },
      { filterType: 'LOT_SIZE', minQty: i.step, maxQty: '9000.00000000', stepSize: i.step },
      { filterType: 'MIN_NOTIONAL', minNotional: '10.00000000', applyToMarket: true, avgPriceMins: 5 },
      { filterType: 'ICEBERG_PARTS', limit: 10 },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
    ],
    permissions: ['SPOT', 'MARGIN'],
  }));
}

/** USDⓈ-M perpetual rows (`/fapi/v1/exchangeInfo`): quantities in the base asset. */
export function binanceUsdmSymbols(rows: (ListedInstrument & { symbol: string; pricePrecision: number; quantityPrecision: number })[]): unknown[] {
  return rows.map((i) => ({
    symbol: i.symbol,
    pair: i.symbol,
    contractType: 'PERPETUAL',
    deliveryDate: PERPETUAL_DELIVERY,
    onboardDate: LISTED_AT,
    status: 'TRADING',
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: i.base,
    quoteAsset: i.quote,
    marginAsset: i.quote,
    pricePrecision: i.pricePrecision,
    quantityPrecision: i.quantityPrecision,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    underlyingSubType: [],
    triggerProtect: '0.0500',
    liquidationFee: '0.012500',
    marketTakeBound: '0.05',
    maxMoveOrderLimit: 10000,
    filters: [
      { minPrice: i.tick, maxPrice: '4529764', filterType: 'PRICE_FILTER', tickSize: i.tick },
      { stepSize: i.step, filterType: 'LOT_SIZE', maxQty: '1000', minQty: i.step },
      { stepSize: i.step, filterType: 'MARKET_LOT_SIZE', maxQty: '120', minQty: i.step },
      { limit: 200, filterType: 'MAX_NUM_ORDERS' },
      { limit: 10, filterType: 'MAX_NUM_ALGO_ORDERS' },
      { notional: '100', filterType: 'MIN_NOTIONAL' },
      { multiplierDown: '0.9500', multiplierUp: '1.0500', multiplierDecimal: '4', filterType: 'PERCENT_PRICE' },
    ],
    orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
  }));
}

/**
 * COIN-M perpetual rows (`/dapi/v1/exchangeInfo`) for the bases: quantities are
 * contracts of `contractSize` USD (a JSON number, as Binance sends it), settled in the coin.
 */
export function binanceCoinmSymbols(bases: string[]): unknown[] {
  return bases.map((base) => ({
    symbol: `${base}USD_PERP`,
    pair: `${base}USD`,
    contractType: 'PERPETUAL',
    deliveryDate: PERPETUAL_DELIVERY,
    onboardDate: LISTED_AT,
    contractStatus: 'TRADING',
    contractSize: base === 'BTC' ? 100 : 10,
    marginAsset: base,
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: base,
    quoteAsset: 'USD',
    pricePrecision: 1,
    quantityPrecision: 0,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    equalQtyPrecision: 4,
    maxMoveOrderLimit: 10000,
    triggerProtect: '0.0500',
    underlyingType: 'COIN',
    underlyingSubType: [],
    liquidationFee: '0.015000',
    marketTakeBound: '0.05',
    filters: [
      { minPrice: '0.1', maxPrice: '4520958', filterType: 'PRICE_FILTER', tickSize: '0.1' },
      { stepSize: '1', filterType: 'LOT_SIZE', maxQty: '1000000', minQty: '1' },
      { stepSize: '1', filterType: 'MARKET_LOT_SIZE', maxQty: '60000', minQty: '1' },
      { limit: 200, filterType: 'MAX_NUM_ORDERS' },
      { limit: 20, filterType: 'MAX_NUM_ALGO_ORDERS' },
      { multiplierDown: '0.9500', multiplierUp: '1.0500', multiplierDecimal: '4', filterType: 'PERCENT_PRICE' },
    ],
    orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  }));
}

export function binanceExchangeInfo(symbols: unknown[], weightPerMin: number, futuresType?: 'U_MARGINED' | 'COIN_MARGINED'): unknown {
  return {
    timezone: 'UTC',
    serverTime: Date.now(),
    ...(futuresType ? { futuresType } : {}),
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: weightPerMin },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
    ],
    exchangeFilters: [],
    symbols,
  };
}
