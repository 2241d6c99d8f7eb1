/**
 * Generated Binance COIN-M perpetuals (`BTCUSD_PERP`): inverse contracts of
 * `contractSize` USD (100 for BTC, 10 for others), so every quantity (depth levels,
 * aggTrade `q`, forceOrder, open interest) is a whole number of contracts. Depth diffs
 * chain by `pu` as on USDⓈ-M; aggTrade, markPrice (funding), forceOrder; REST depth,
 * open interest, premiumIndex and exchangeInfo under `/dapi/v1`.
 */
import type { GenerateOptions } from '../../../../sim/generate/feed.js';
import type { SimLimits } from '../../../../sim/protocol.js';
import type { FramePublisher, RestReply, RestRequest } from '../../../../sim/types.js';
import type { BinanceInstrument } from './feed.js';
import { BinanceFuturesFeed } from './futures.js';
import { binanceCoinmSymbols, binanceExchangeInfo } from './instruments.js';

export class BinanceCoinmFeed extends BinanceFuturesFeed {
  constructor(opts: GenerateOptions, publisher: FramePublisher, limits: SimLimits) {
    super(opts, publisher, limits, {
      label: 'coinm',
      apiPrefix: '/dapi/v1',
      weightPerMin: 2400,
      priceDecimals: () => 1, // tick 0.1, as exchangeInfo lists
      qtyDecimals: 0, // whole contracts
      printPrice: 1,
      printQty: 0,
      firstId: [1e11, 9e11],
      idStep: [1, 40],
      depthStreams: ['@depth@100ms', '@depth', '@depth@500ms'],
      otherStreams: ['@aggTrade', '@trade', '@markPrice', '@markPrice@1s', '@forceOrder'],
      wireName: (base) => `${base}USD_PERP`,
      quote: 'USD',
    });
  }

  protected override pairFields(i: BinanceInstrument): Record<string, string> {
    return { symbol: i.symbol, pair: `${i.base}USD` };
  }

  protected override readonly minLiquidationLots = 1;

  protected streamExtras(i: BinanceInstrument) {
    const ps = `${i.base}USD`;
    return { trade: () => ({}), depth: { ps }, mark: () => ({}), order: { ps } };
  }

  protected route(req: RestRequest): RestReply | undefined {
    const p = req.params;
    switch (req.path) {
      case '/dapi/v1/depth':
        return this.depth(p);
      case '/dapi/v1/openInterest':
        return this.withInstrument(p, 1, (i) => ({
          symbol: i.symbol,
          pair: `${i.base}USD`,
          openInterest: this.qty(i, i.market.openInterest),
          contractType: 'PERPETUAL',
          time: Date.now(),
        }));
      case '/dapi/v1/premiumIndex':
        return this.withInstrument(p, 1, (i) => [this.premiumIndex(i, Date.now())]);
      case '/dapi/v1/exchangeInfo':
        return this.charged(1, () =>
          binanceExchangeInfo(binanceCoinmSymbols([...new Set([...this.instruments.values()].map((i) => i.base))]), 2400, 'COIN_MARGINED'),
        );
      default:
        return undefined;
    }
  }
}
