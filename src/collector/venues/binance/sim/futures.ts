/**
 * What the generated USDⓈ-M and COIN-M markets share: the premium index (mark, index,
 * funding), the depth snapshot endpoint with the futures request weights, and answering
 * per instrument (`symbol=`).
 */
import { fixed } from '../../../../sim/generate/decimal-text.js';
import { FUNDING_DECIMALS, nextFundingTime } from '../../../../sim/generate/market.js';
import type { RestReply } from '../../../../sim/types.js';
import { BinanceFeed, type BinanceInstrument } from './feed.js';
import { binanceError, INVALID_SYMBOL, limitParam } from './rest.js';

export abstract class BinanceFuturesFeed extends BinanceFeed {
  /** Fields COIN-M adds to its REST bodies (`pair`); none on USDⓈ-M. */
  protected pairFields(_i: BinanceInstrument): Record<string, string> {
    return {};
  }

  protected premiumIndex(i: BinanceInstrument, now: number) {
    const mid = i.market.midTicks();
    return {
      symbol: i.symbol,
      ...this.pairFields(i),
      markPrice: this.px(i, mid),
      indexPrice: this.px(i, i.market.indexTicks()),
      estimatedSettlePrice: this.px(i, mid),
      lastFundingRate: fixed(i.market.fundingRate, FUNDING_DECIMALS),
      interestRate: '0.00010000',
      nextFundingTime: nextFundingTime(now),
      time: now,
    };
  }

  /** GET depth: a snapshot between two pushes, weighted by limit as the futures APIs do. */
  protected depth(p: URLSearchParams): RestReply {
    const limit = limitParam(p, 500, 1000);
    if (limit === undefined) return binanceError(400, -1100, "Illegal characters found in parameter 'limit'.");
    const weight = limit < 100 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
    return this.withInstrument(p, weight, (i) => {
      const snap = i.market.book.snapshotBetweenPushes(limit);
      const now = Date.now();
      return { lastUpdateId: snap.id, E: now, T: now - 1, ...this.pairFields(i), bids: this.levels(i, snap.bids), asks: this.levels(i, snap.asks) };
    });
  }

  protected withInstrument(p: URLSearchParams, weight: number, body: (i: BinanceInstrument) => unknown): RestReply {
    const i = this.instruments.get(p.get('symbol') ?? '');
    return i ? this.charged(weight, () => body(i)) : INVALID_SYMBOL();
  }
}
