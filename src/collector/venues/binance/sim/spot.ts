/**
 * Generated Binance spot market: `<sym>@depth@100ms` / `<sym>@depth` diffs (U/u
 * contiguous), `<sym>@trade`, `<sym>@aggTrade`; REST `/api/v3/depth`,
 * `/api/v3/exchangeInfo`, `/api/v3/time`, `/api/v3/ping`. Prices and sizes are
 * 8-decimal strings, as spot prints them.
 */
import type { GenerateOptions } from '../../../../sim/generate/feed.js';
import type { SimLimits } from '../../../../sim/protocol.js';
import { jsonReply, type FramePublisher, type RestReply, type RestRequest } from '../../../../sim/types.js';
import { BinanceFeed } from './feed.js';
import { INVALID_SYMBOL, limitParam } from './rest.js';
import { binanceExchangeInfo, binanceSpotSymbols } from './instruments.js';

export class BinanceSpotFeed extends BinanceFeed {
  constructor(opts: GenerateOptions, publisher: FramePublisher, limits: SimLimits) {
    super(opts, publisher, limits, {
      label: 'spot',
      apiPrefix: '/api/v3',
      weightPerMin: 6000,
      priceDecimals: () => 2,
      qtyDecimals: 5,
      printPrice: 8,
      printQty: 8,
      firstId: [1e9, 9e9],
      idStep: [1, 1],
      depthStreams: ['@depth@100ms', '@depth'],
      otherStreams: ['@trade', '@aggTrade'],
    });
  }

  protected route(req: RestRequest): RestReply | undefined {
    if (req.path === '/api/v3/depth') return this.depth(req.params);
    if (req.path === '/api/v3/exchangeInfo') return this.charged(20, () => this.exchangeInfo());
    return undefined;
  }

  protected step(now: number): void {
    for (const i of this.instruments.values()) {
      for (const t of i.market.step(now)) {
        const p = this.px(i, t.price);
        const q = this.qty(i, t.qty);
        const maker = t.taker === 'sell';
        this.emit(`${i.stream}@trade`, { e: 'trade', E: now, s: i.symbol, t: t.id, p, q, T: t.time, m: maker, M: true });
        this.emit(`${i.stream}@aggTrade`, { e: 'aggTrade', E: now, s: i.symbol, a: t.id, p, q, f: t.id, l: t.id, T: t.time, m: maker, M: true });
      }
      this.publishDepth(i, i.market.flush(), (push) => ({
        e: 'depthUpdate',
        E: now,
        s: i.symbol,
        U: push.first,
        u: push.last,
        b: push.bids.map((c) => this.level(i, c)),
        a: push.asks.map((c) => this.level(i, c)),
      }));
    }
  }

  protected periodic(): void {}

  private depth(params: URLSearchParams): RestReply {
    const inst = this.instruments.get(params.get('symbol') ?? '');
    const limit = limitParam(params, 100, 5000);
    if (limit === undefined) return jsonReply({ code: -1100, msg: "Illegal characters found in parameter 'limit'." }, 400);
    const weight = limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
    if (!inst) return INVALID_SYMBOL();
    return this.charged(weight, () => {
      const snap = inst.market.book.snapshotBetweenPushes(limit);
      return { lastUpdateId: snap.id, bids: this.levels(inst, snap.bids), asks: this.levels(inst, snap.asks) };
    });
  }

  private exchangeInfo(): unknown {
    const rows = [...this.instruments.values()].map((i) => ({ symbol: i.symbol, base: i.base, quote: i.quote, tick: this.px(i, 1), step: this.qty(i, 1) }));
    return binanceExchangeInfo(binanceSpotSymbols(rows), 6000);
  }
}
