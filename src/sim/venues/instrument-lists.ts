/**
 * Instrument-list bodies in the venues' real formats, for the simulator's generated
 * instruments: Binance `exchangeInfo` rows (spot, USDⓈ-M, COIN-M), OKX
 * `/api/v5/public/instruments` rows, Deribit `public/get_instruments` and
 * `public/get_currencies` results. The field sets follow the recorded bodies in the
 * cryptofeed captures (Binance spot 2021, OKX 2022) and the venues' documentation;
 * contract sizes are the venues' own: OKX BTC-USDT-SWAP 0.01 BTC, ETH-USDT-SWAP 0.1 ETH,
 * BTC-USD-SWAP 100 USD (others 10), Binance COIN-M BTCUSD_PERP 100 USD (others 10),
 * Deribit inverse 10 USD, USDC-linear 0.001 BTC / 0.01 ETH.
 */

/** What every list needs of one generated instrument. */
export interface ListedInstrument {
  base: string;
  quote: string;
  /** One price tick and one quantity step, as the instrument's messages print them. */
  tick: string;
  step: string;
}

/** Binance marks perpetuals with this delivery date (2100-12-25). */
const PERPETUAL_DELIVERY = 4133404800000;
const LISTED_AT = 1569398400000;

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

/** OKX contract value: base units per linear contract, USD per inverse one. */
export function okxContractValue(base: string, inverse: boolean): string {
  if (inverse) return base === 'BTC' ? '100' : '10';
  return base === 'BTC' ? '0.01' : base === 'ETH' ? '0.1' : '1';
}

/** One `/api/v5/public/instruments` row (SPOT or SWAP), every field a string as OKX sends them. */
export function okxInstrumentRow(i: ListedInstrument & { instId: string; instType: 'SPOT' | 'SWAP' }): Record<string, string> {
  const swap = i.instType === 'SWAP';
  const inverse = swap && i.quote === 'USD';
  const family = `${i.base}-${i.quote}`;
  return {
    alias: '',
    baseCcy: swap ? '' : i.base,
    category: '1',
    ctMult: swap ? '1' : '',
    ctType: swap ? (inverse ? 'inverse' : 'linear') : '',
    ctVal: swap ? okxContractValue(i.base, inverse) : '',
    ctValCcy: swap ? (inverse ? 'USD' : i.base) : '',
    expTime: '',
    instFamily: swap ? family : '',
    instId: i.instId,
    instType: i.instType,
    lever: swap ? '100' : '10',
    listTime: String(LISTED_AT),
    lotSz: i.step,
    maxIcebergSz: '9999999999',
    maxLmtSz: '9999999999',
    maxMktSz: swap ? '12000' : '1000000',
    maxStopSz: swap ? '12000' : '1000000',
    maxTriggerSz: '9999999999',
    maxTwapSz: '9999999999',
    minSz: i.step,
    optType: '',
    quoteCcy: swap ? '' : i.quote,
    ruleType: 'normal',
    settleCcy: swap ? (inverse ? i.base : i.quote) : '',
    state: 'live',
    stk: '',
    tickSz: i.tick,
    uly: swap ? family : '',
  };
}

/** Deribit's dated futures expire on the last Friday of the quarter, 08:00 UTC. */
export function quarterlyExpiry(now: number): number {
  const d = new Date(now);
  for (let q = Math.floor(d.getUTCMonth() / 3); ; q++) {
    const year = d.getUTCFullYear() + Math.floor(q / 4);
    const month = (q % 4) * 3 + 2;
    const last = new Date(Date.UTC(year, month + 1, 0, 8));
    last.setUTCDate(last.getUTCDate() - ((last.getUTCDay() + 2) % 7));
    if (last.getTime() > now) return last.getTime();
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** "27JUN25": Deribit's expiry in an instrument name. */
export function deribitExpiryName(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, '0')}`;
}

/** Deribit's perpetuals carry this expiration (3000-01-01). */
const DERIBIT_PERPETUAL_EXPIRY = 32503708800000;

/**
 * `public/get_instruments` rows for a currency: the inverse perpetual the simulator
 * trades (amounts in USD, contract_size 10), and, listed only (no market data), the
 * USDC-linear perpetual (amounts in the coin) and the next quarterly inverse future.
 */
export function deribitInstrumentRows(currency: string, tick: number, now: number, firstId: number): Record<string, unknown>[] {
  const expiry = quarterlyExpiry(now);
  const inverse = (name: string, period: 'perpetual' | 'month', expiration: number, id: number) => ({
    tick_size: tick,
    tick_size_steps: [],
    taker_commission: 0.0005,
    settlement_period: period,
    settlement_currency: currency,
    rfq: false,
    quote_currency: 'USD',
    price_index: `${currency.toLowerCase()}_usd`,
    min_trade_amount: 10,
    max_liquidation_commission: 0.0075,
    max_leverage: 50,
    maker_commission: 0,
    kind: 'future',
    is_active: true,
    instrument_name: name,
    instrument_id: id,
    instrument_type: 'reversed',
    expiration_timestamp: expiration,
    creation_timestamp: LISTED_AT,
    counter_currency: 'USD',
    contract_size: 10,
    block_trade_tick_size: 0.01,
    block_trade_min_trade_amount: 200000,
    block_trade_commission: 0.00025,
    base_currency: currency,
  });
  const linearSize = currency === 'BTC' ? 0.001 : 0.01;
  return [
    inverse(`${currency}-PERPETUAL`, 'perpetual', DERIBIT_PERPETUAL_EXPIRY, firstId),
    {
      ...inverse(`${currency}_USDC-PERPETUAL`, 'perpetual', DERIBIT_PERPETUAL_EXPIRY, firstId + 1),
      settlement_currency: 'USDC',
      quote_currency: 'USDC',
      counter_currency: 'USDC',
      price_index: `${currency.toLowerCase()}_usdc`,
      instrument_type: 'linear',
      min_trade_amount: linearSize,
      contract_size: linearSize,
    },
    inverse(`${currency}-${deribitExpiryName(expiry)}`, 'month', expiry, firstId + 2),
  ];
}

export function deribitCurrencyRow(currency: string): Record<string, unknown> {
  return {
    currency,
    currency_long: currency === 'BTC' ? 'Bitcoin' : currency === 'ETH' ? 'Ethereum' : currency,
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 0.0001,
    withdrawal_fee: 0.0001,
    withdrawal_priorities: [],
    coin_type: currency === 'BTC' ? 'BITCOIN' : 'ETH',
  };
}
