/**
 * Generated Binance USDⓈ-M perpetuals: depth diffs with `pu` (ids jump, as futures
 * ids do), aggTrade, markPrice (funding), forceOrder (at most one a second per
 * symbol, also on `!forceOrder@arr`); REST depth, open interest, both long/short
 * ratio endpoints, premiumIndex and exchangeInfo. Frames carry today's extra keys
 * (`st`, `ps`, `nq`, `ap`) so parsers that choke on unknown keys fail here first.
 */
import { fixed } from '../../../../sim/generate/decimal-text.js';
import type { GenerateOptions } from '../../../../sim/generate/feed.js';
import { longShortRow, periodBuckets, periodMs, RATIO_DECIMALS } from '../../../../sim/generate/market.js';
import type { SimLimits } from '../../../../sim/protocol.js';
import type { FramePublisher, RestReply, RestRequest } from '../../../../sim/types.js';
import type { BinanceInstrument } from './feed.js';
import { BinanceFuturesFeed } from './futures.js';
import { binanceError, limitParam } from './rest.js';
import { binanceExchangeInfo, binanceUsdmSymbols } from './instruments.js';

/** Digits USDⓈ-M prints (the contract's pricePrecision / quantityPrecision). */
const PRINT_PRICE = 2;
const PRINT_QTY = 3;
const LSR_PERIODS = new Set(['5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d']);

export class BinanceUsdmFeed extends BinanceFuturesFeed {
  constructor(opts: GenerateOptions, publisher: FramePublisher, limits: SimLimits) {
    super(opts, publisher, limits, {
      label: 'usdm',
      apiPrefix: '/fapi/v1',
      weightPerMin: 2400,
      priceDecimals: (base) => (base === 'BTC' ? 1 : 2),
      qtyDecimals: 3,
      printPrice: PRINT_PRICE,
      printQty: PRINT_QTY,
      firstId: [1e12, 9e12],
      // Futures ids jump between diffs; `pu` carries the chain.
      idStep: [1, 40],
      depthStreams: ['@depth@100ms', '@depth', '@depth@500ms', '@depth@0ms'],
      otherStreams: ['@aggTrade', '@trade', '@markPrice', '@markPrice@1s', '@forceOrder'],
    });
    this.topics.add('!forceOrder@arr');
  }

  protected override readonly allLiquidations = '!forceOrder@arr';

  /** Today's extra keys (`st` symbol type, `ps` pair, `nq` quantity without RPI orders, `ap`). */
  protected streamExtras(i: BinanceInstrument) {
    return { trade: (q: string) => ({ nq: q, st: 1 }), depth: { st: 1, ps: i.symbol }, mark: (p: string) => ({ ap: p, st: 1 }), order: {} };
  }

  protected route(req: RestRequest): RestReply | undefined {
    const p = req.params;
    switch (req.path) {
      case '/fapi/v1/depth':
        return this.depth(p);
      case '/fapi/v1/openInterest':
        return this.withInstrument(p, 1, (i) => ({ symbol: i.symbol, openInterest: this.qty(i, i.market.openInterest), time: Date.now() }));
      case '/fapi/v1/premiumIndex':
        return this.withInstrument(p, 1, (i) => this.premiumIndex(i, Date.now()));
      case '/futures/data/topLongShortPositionRatio':
      case '/futures/data/globalLongShortAccountRatio':
        return this.longShort(req.path, p);
      case '/fapi/v1/exchangeInfo':
        return this.charged(1, () =>
          binanceExchangeInfo(
            binanceUsdmSymbols(
              [...this.instruments.values()].map((i) => ({
                symbol: i.symbol,
                base: i.base,
                quote: i.quote,
                tick: this.px(i, 1),
                step: this.qty(i, 1),
                pricePrecision: PRINT_PRICE,
                quantityPrecision: PRINT_QTY,
              })),
            ),
            2400,
            'U_MARGINED',
          ),
        );
      default:
        return undefined;
    }
  }

  private longShort(path: string, p: URLSearchParams): RestReply {
    const period = p.get('period') ?? '';
    const ms = periodMs(period);
    if (!LSR_PERIODS.has(period) || ms === undefined)
      return binanceError(400, -1102, "Mandatory parameter 'period' was not sent, was empty/null, or malformed.");
    const limit = limitParam(p, 30, 500);
    if (limit === undefined) return binanceError(400, -1100, "Illegal characters found in parameter 'limit'.");
    return this.withInstrument(p, 0, (i) =>
      periodBuckets(Date.now(), ms, limit).map((ts) => {
        const row = longShortRow(this.seed, `${path}:${i.symbol}:${period}`, ts);
        return {
          symbol: i.symbol,
          longShortRatio: fixed(row.ratio, RATIO_DECIMALS),
          longAccount: fixed(row.long, RATIO_DECIMALS),
          shortAccount: fixed(row.short, RATIO_DECIMALS),
          timestamp: ts,
        };
      }),
    );
  }
}
