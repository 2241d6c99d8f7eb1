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

  protected step(now: number): void {
    for (const i of this.instruments.values()) {
      for (const t of i.market.step(now)) {
        const q = this.qty(i, t.qty);
        const data = { e: 'aggTrade', E: now, a: t.id, s: i.symbol, p: this.px(i, t.price), q, f: t.id, l: t.id, T: t.time, m: t.taker === 'sell' };
        this.emit(`${i.stream}@aggTrade`, data);
        this.emit(`${i.stream}@trade`, { e: 'trade', E: now, T: t.time, s: i.symbol, t: t.id, p: data.p, q, X: 'MARKET', m: data.m });
      }
      this.publishDepth(i, i.market.flush(), (push) => ({
        e: 'depthUpdate',
        E: now,
        T: now - 1,
        s: i.symbol,
        ps: `${i.base}USD`,
        U: push.first,
        u: push.last,
        pu: push.prev,
        b: push.bids.map((c) => this.level(i, c)),
        a: push.asks.map((c) => this.level(i, c)),
      }));
    }
  }

  protected periodic(now: number): void {
    for (const i of this.instruments.values()) {
      i.market.drift();
      const mark = this.premiumIndex(i, now);
      const update = {
        e: 'markPriceUpdate',
        E: now,
        s: i.symbol,
        p: mark.markPrice,
        P: mark.estimatedSettlePrice,
        i: mark.indexPrice,
        r: mark.lastFundingRate,
        T: mark.nextFundingTime,
      };
      this.emit(`${i.stream}@markPrice`, update);
      this.emit(`${i.stream}@markPrice@1s`, update);
      if (now - i.lastLiquidation < 1000) continue;
      i.lastLiquidation = now;
      const l = i.market.liquidation(now);
      const qty = this.qty(i, Math.max(1, l.qty));
      const order = {
        e: 'forceOrder',
        E: now,
        o: {
          s: i.symbol,
          ps: `${i.base}USD`,
          S: l.side.toUpperCase(),
          o: 'LIMIT',
          f: 'IOC',
          q: qty,
          p: this.px(i, l.price),
          ap: this.px(i, l.price),
          X: 'FILLED',
          l: qty,
          z: qty,
          T: l.time,
        },
      };
      this.emit(`${i.stream}@forceOrder`, order);
    }
  }
}
