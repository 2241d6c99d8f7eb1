/**
 * What the generated USDⓈ-M and COIN-M markets share: the streams (aggTrade and trade,
 * `pu`-chained depth diffs, markPrice with funding, at most one forceOrder a second per
 * symbol), the premium index, the depth snapshot endpoint with the futures request
 * weights, and answering per instrument (`symbol=`). Each market adds its own keys.
 */
import { fixed } from '../../../../sim/generate/decimal-text.js';
import { FUNDING_DECIMALS, nextFundingTime } from '../../../../sim/generate/market.js';
import type { RestReply } from '../../../../sim/types.js';
import { BinanceFeed, type BinanceInstrument } from './feed.js';
import { binanceError, INVALID_SYMBOL, limitParam } from './rest.js';

type Extra = Record<string, unknown>;

export abstract class BinanceFuturesFeed extends BinanceFeed {
  /** Fields COIN-M adds to its REST bodies (`pair`); none on USDⓈ-M. */
  protected pairFields(_i: BinanceInstrument): Record<string, string> {
    return {};
  }

  /** The market's own keys on each stream's payload (USDⓈ-M: `st`, `ps`, `nq`, `ap`; COIN-M: `ps`). */
  protected abstract streamExtras(i: BinanceInstrument): { trade(q: string): Extra; depth: Extra; mark(markPrice: string): Extra; order: Extra };
  /** The all-market liquidation stream that also carries every order, if the market has one. */
  protected readonly allLiquidations: string | undefined = undefined;
  /** The fewest lots a liquidation order has (COIN-M: one whole contract). */
  protected readonly minLiquidationLots: number = 0;

  protected step(now: number): void {
    for (const i of this.instruments.values()) {
      const extra = this.streamExtras(i);
      for (const t of i.market.step(now)) {
        const q = this.qty(i, t.qty);
        const data = {
          e: 'aggTrade',
          E: now,
          a: t.id,
          s: i.symbol,
          p: this.px(i, t.price),
          q,
          f: t.id,
          l: t.id,
          T: t.time,
          m: t.taker === 'sell',
          ...extra.trade(q),
        };
        this.emit(`${i.stream}@aggTrade`, data);
        this.emit(`${i.stream}@trade`, { e: 'trade', E: now, T: t.time, s: i.symbol, t: t.id, p: data.p, q, X: 'MARKET', m: data.m });
      }
      this.publishDepth(i, i.market.flush(), (push) => ({
        e: 'depthUpdate',
        E: now,
        T: now - 1,
        s: i.symbol,
        U: push.first,
        u: push.last,
        pu: push.prev,
        b: push.bids.map((c) => this.level(i, c)),
        a: push.asks.map((c) => this.level(i, c)),
        ...extra.depth,
      }));
    }
  }

  protected periodic(now: number): void {
    for (const i of this.instruments.values()) {
      const extra = this.streamExtras(i);
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
        ...extra.mark(mark.markPrice),
      };
      this.emit(`${i.stream}@markPrice`, update);
      this.emit(`${i.stream}@markPrice@1s`, update);
      // The venue sends at most one liquidation per symbol per second.
      if (now - i.lastLiquidation < 1000) continue;
      i.lastLiquidation = now;
      const l = i.market.liquidation(now);
      const qty = this.qty(i, Math.max(this.minLiquidationLots, l.qty));
      const px = this.px(i, l.price);
      const o = { s: i.symbol, ...extra.order, S: l.side.toUpperCase(), o: 'LIMIT', f: 'IOC', q: qty, p: px, ap: px, X: 'FILLED', l: qty, z: qty, T: l.time };
      const order = { e: 'forceOrder', E: now, o };
      this.emit(`${i.stream}@forceOrder`, order);
      if (this.allLiquidations) this.emit(this.allLiquidations, order);
    }
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
