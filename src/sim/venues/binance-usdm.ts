/**
 * Generated Binance USDⓈ-M perpetuals: depth diffs with `pu` (ids jump, as futures
 * ids do), aggTrade, markPrice (funding), forceOrder (at most one a second per
 * symbol, also on `!forceOrder@arr`); REST depth, open interest, both long/short
 * ratio endpoints, premiumIndex and exchangeInfo. Frames carry today's extra keys
 * (`st`, `ps`, `nq`, `ap`) so parsers that choke on unknown keys fail here first.
 */
import type { LevelChange } from '../generate/book.js';
import { fixed } from '../generate/decimal-text.js';
import { GeneratedFeed, type GenerateOptions } from '../generate/feed.js';
import { FUNDING_DECIMALS, instrumentSpec, longShortRow, nextFundingTime, periodBuckets, periodMs, RATIO_DECIMALS, SymbolMarket } from '../generate/market.js';
import type { SimLimits } from '../protocol.js';
import { jsonReply, type FramePublisher, type RestReply, type RestRequest } from '../types.js';
import { combined } from './binance.js';
import { binanceError, binanceSymbol, INVALID_SYMBOL, limitParam, NOT_FOUND, WeightMeter } from './binance-rest.js';

interface UsdmInstrument {
  symbol: string;
  stream: string;
  base: string;
  market: SymbolMarket;
  /** Digits printed for prices (ticks may be coarser, as on the venue: "61800.20"). */
  priceDigits: number;
  lastLiquidation: number;
}

const DEPTH_STREAMS = ['@depth@100ms', '@depth', '@depth@500ms', '@depth@0ms'];
const LSR_PERIODS = new Set(['5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d']);

export class BinanceUsdmFeed extends GeneratedFeed {
  private readonly instruments = new Map<string, UsdmInstrument>();
  private readonly topics = new Set<string>(['!forceOrder@arr', '!markPrice@arr', '!markPrice@arr@1s']);
  private readonly weight: WeightMeter;

  constructor(opts: GenerateOptions, publisher: FramePublisher, limits: SimLimits) {
    super(opts, publisher);
    this.weight = new WeightMeter(limits.restWeightPerMin ?? 2400);
    for (const s of this.symbols) {
      const [base, quote = 'USDT'] = s.split('-') as [string, string?];
      const symbol = binanceSymbol(`${base}-${quote}`);
      const rng = this.rng.fork(`usdm:${symbol}`);
      const spec = instrumentSpec(base, base === 'BTC' ? 1 : 2, 3);
      const market = new SymbolMarket(rng, spec, { firstId: rng.int(1e12, 9e12), idStep: [1, 40], maxLevels: this.bookLevels });
      const stream = symbol.toLowerCase();
      this.instruments.set(symbol, { symbol, stream, base, market, priceDigits: 2, lastLiquidation: 0 });
      for (const t of [...DEPTH_STREAMS, '@aggTrade', '@trade', '@markPrice', '@markPrice@1s', '@forceOrder']) this.topics.add(stream + t);
    }
  }

  knows(topic: string): boolean {
    return this.topics.has(topic);
  }

  subscribing(): void {}

  rest(req: RestRequest): RestReply {
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
        return this.charged(1, () => ({
          timezone: 'UTC',
          serverTime: Date.now(),
          symbols: [...this.instruments.values()].map((i) => ({ symbol: i.symbol, pair: i.symbol, contractType: 'PERPETUAL', status: 'TRADING', baseAsset: i.base, quoteAsset: 'USDT' })),
        }));
      case '/fapi/v1/time':
        return this.charged(1, () => ({ serverTime: Date.now() }));
      case '/fapi/v1/ping':
        return this.charged(1, () => ({}));
      default:
        return NOT_FOUND(req.path);
    }
  }

  protected step(now: number): void {
    for (const i of this.instruments.values()) {
      const trades = i.market.step(now);
      for (const t of this.publisher.wants(`${i.stream}@aggTrade`) || this.publisher.wants(`${i.stream}@trade`) ? trades : []) {
        const q = this.qty(i, t.qty);
        const data = { e: 'aggTrade', E: now, a: t.id, s: i.symbol, p: this.px(i, t.price), q, nq: q, f: t.id, l: t.id, T: t.time, m: t.taker === 'sell', st: 1 };
        this.emit(`${i.stream}@aggTrade`, data);
        this.emit(`${i.stream}@trade`, { e: 'trade', E: now, T: t.time, s: i.symbol, t: t.id, p: data.p, q, X: 'MARKET', m: data.m });
      }
      const push = i.market.flush();
      const topics = DEPTH_STREAMS.map((d) => i.stream + d).filter((t) => this.publisher.wants(t));
      if (!push || topics.length === 0) continue;
      const data = JSON.stringify({
        e: 'depthUpdate',
        E: now,
        T: now - 1,
        s: i.symbol,
        U: push.first,
        u: push.last,
        pu: push.prev,
        b: push.bids.map((c) => this.level(i, c)),
        a: push.asks.map((c) => this.level(i, c)),
        st: 1,
        ps: i.symbol,
      });
      for (const t of topics) this.publisher.publish({ topic: t, text: combined(t, data), kind: 'book-diff' });
    }
  }

  protected periodic(now: number): void {
    for (const i of this.instruments.values()) {
      i.market.drift();
      const mark = this.premiumIndex(i, now);
      const update = { e: 'markPriceUpdate', E: now, s: i.symbol, p: mark.markPrice, ap: mark.markPrice, P: mark.estimatedSettlePrice, i: mark.indexPrice, r: mark.lastFundingRate, T: mark.nextFundingTime, st: 1 };
      this.emit(`${i.stream}@markPrice`, update);
      this.emit(`${i.stream}@markPrice@1s`, update);
      // The venue sends at most one liquidation per symbol per second.
      if (now - i.lastLiquidation < 1000) continue;
      i.lastLiquidation = now;
      const l = i.market.liquidation(now);
      const qty = this.qty(i, l.qty);
      const order = { e: 'forceOrder', E: now, o: { s: i.symbol, S: l.side.toUpperCase(), o: 'LIMIT', f: 'IOC', q: qty, p: this.px(i, l.price), ap: this.px(i, l.price), X: 'FILLED', l: qty, z: qty, T: l.time } };
      this.emit(`${i.stream}@forceOrder`, order);
      this.emit('!forceOrder@arr', order);
    }
  }

  private premiumIndex(i: UsdmInstrument, now: number) {
    const mid = i.market.midTicks();
    return {
      symbol: i.symbol,
      markPrice: this.px(i, mid),
      indexPrice: this.px(i, i.market.indexTicks()),
      estimatedSettlePrice: this.px(i, mid),
      lastFundingRate: fixed(i.market.fundingRate, FUNDING_DECIMALS),
      interestRate: '0.00010000',
      nextFundingTime: nextFundingTime(now),
      time: now,
    };
  }

  private depth(p: URLSearchParams): RestReply {
    const limit = limitParam(p, 500, 1000);
    if (limit === undefined) return binanceError(400, -1100, "Illegal characters found in parameter 'limit'.");
    const weight = limit < 100 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
    return this.withInstrument(p, weight, (i) => {
      const snap = i.market.book.snapshotBetweenPushes(limit);
      const now = Date.now();
      return {
        lastUpdateId: snap.id,
        E: now,
        T: now - 1,
        bids: snap.bids.map(([px, q]) => [this.px(i, px), this.qty(i, q)]),
        asks: snap.asks.map(([px, q]) => [this.px(i, px), this.qty(i, q)]),
      };
    });
  }

  private longShort(path: string, p: URLSearchParams): RestReply {
    const period = p.get('period') ?? '';
    const ms = periodMs(period);
    if (!LSR_PERIODS.has(period) || ms === undefined) return binanceError(400, -1102, "Mandatory parameter 'period' was not sent, was empty/null, or malformed.");
    const limit = limitParam(p, 30, 500);
    if (limit === undefined) return binanceError(400, -1100, "Illegal characters found in parameter 'limit'.");
    return this.withInstrument(p, 0, (i) =>
      periodBuckets(Date.now(), ms, limit).map((ts) => {
        const row = longShortRow(this.seed, `${path}:${i.symbol}:${period}`, ts);
        return { symbol: i.symbol, longShortRatio: fixed(row.ratio, RATIO_DECIMALS), longAccount: fixed(row.long, RATIO_DECIMALS), shortAccount: fixed(row.short, RATIO_DECIMALS), timestamp: ts };
      }),
    );
  }

  private withInstrument(p: URLSearchParams, weight: number, body: (i: UsdmInstrument) => unknown): RestReply {
    const i = this.instruments.get(p.get('symbol') ?? '');
    return i ? this.charged(weight, () => body(i)) : INVALID_SYMBOL();
  }

  private charged(weight: number, body: () => unknown): RestReply {
    return this.weight.charge(weight) ?? jsonReply(body(), 200, this.weight.headers());
  }

  private emit(stream: string, data: unknown): void {
    if (this.publisher.wants(stream)) this.publisher.publish({ topic: stream, text: combined(stream, JSON.stringify(data)), kind: 'other' });
  }

  private level(i: UsdmInstrument, c: LevelChange): [string, string] {
    return [this.px(i, c.price), this.qty(i, c.qty)];
  }

  private px(i: UsdmInstrument, ticks: number): string {
    return fixed(ticks * 10 ** (i.priceDigits - i.market.spec.priceDecimals), i.priceDigits);
  }

  private qty(i: UsdmInstrument, lots: number): string {
    return fixed(lots, i.market.spec.qtyDecimals);
  }
}
