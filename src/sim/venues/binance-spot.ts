/**
 * Generated Binance spot market: `<sym>@depth@100ms` / `<sym>@depth` diffs (U/u
 * contiguous), `<sym>@trade`, `<sym>@aggTrade`; REST `/api/v3/depth`,
 * `/api/v3/exchangeInfo`, `/api/v3/time`, `/api/v3/ping`. Prices and sizes are
 * 8-decimal strings, as spot prints them.
 */
import { fixed } from '../generate/decimal-text.js';
import { GeneratedFeed, type GenerateOptions } from '../generate/feed.js';
import { instrumentSpec, SymbolMarket } from '../generate/market.js';
import type { SimLimits } from '../protocol.js';
import { jsonReply, type FramePublisher, type RestReply, type RestRequest } from '../types.js';
import { combined } from './binance.js';
import { binanceSymbol, INVALID_SYMBOL, limitParam, NOT_FOUND, WeightMeter } from './binance-rest.js';
import type { LevelChange } from '../generate/book.js';

interface SpotInstrument {
  symbol: string;
  stream: string;
  base: string;
  quote: string;
  market: SymbolMarket;
}

const DEPTH_STREAMS = ['@depth@100ms', '@depth'];
const PRINT_DECIMALS = 8;

export class BinanceSpotFeed extends GeneratedFeed {
  private readonly instruments = new Map<string, SpotInstrument>();
  private readonly topics = new Set<string>();
  private readonly weight: WeightMeter;

  constructor(opts: GenerateOptions, publisher: FramePublisher, limits: SimLimits) {
    super(opts, publisher);
    this.weight = new WeightMeter(limits.restWeightPerMin ?? 6000);
    for (const s of this.symbols) {
      const [base, quote = 'USDT'] = s.split('-') as [string, string?];
      const symbol = binanceSymbol(`${base}-${quote}`);
      const rng = this.rng.fork(symbol);
      const market = new SymbolMarket(rng, instrumentSpec(base, 2, 5), { firstId: rng.int(1e9, 9e9), idStep: [1, 1], maxLevels: this.bookLevels });
      const stream = symbol.toLowerCase();
      this.instruments.set(symbol, { symbol, stream, base, quote, market });
      for (const t of [...DEPTH_STREAMS, '@trade', '@aggTrade']) this.topics.add(stream + t);
    }
  }

  knows(topic: string): boolean {
    return this.topics.has(topic);
  }

  subscribing(): void {}

  rest(req: RestRequest): RestReply {
    switch (req.path) {
      case '/api/v3/depth':
        return this.depth(req.params);
      case '/api/v3/exchangeInfo':
        return this.charged(20, () => this.exchangeInfo());
      case '/api/v3/time':
        return this.charged(1, () => ({ serverTime: Date.now() }));
      case '/api/v3/ping':
        return this.charged(1, () => ({}));
      default:
        return NOT_FOUND(req.path);
    }
  }

  protected step(now: number): void {
    for (const inst of this.instruments.values()) {
      const trades = inst.market.step(now);
      const wantTrade = this.publisher.wants(`${inst.stream}@trade`);
      const wantAgg = this.publisher.wants(`${inst.stream}@aggTrade`);
      for (const t of wantTrade || wantAgg ? trades : []) {
        const p = this.px(inst, t.price);
        const q = this.qty(inst, t.qty);
        const maker = t.taker === 'sell';
        if (wantTrade) this.emit(`${inst.stream}@trade`, { e: 'trade', E: now, s: inst.symbol, t: t.id, p, q, T: t.time, m: maker, M: true });
        if (wantAgg) this.emit(`${inst.stream}@aggTrade`, { e: 'aggTrade', E: now, s: inst.symbol, a: t.id, p, q, f: t.id, l: t.id, T: t.time, m: maker, M: true });
      }
      const push = inst.market.flush();
      const topics = DEPTH_STREAMS.map((d) => inst.stream + d).filter((t) => this.publisher.wants(t));
      if (!push || topics.length === 0) continue;
      const data = JSON.stringify({
        e: 'depthUpdate',
        E: now,
        s: inst.symbol,
        U: push.first,
        u: push.last,
        b: push.bids.map((c) => this.level(inst, c)),
        a: push.asks.map((c) => this.level(inst, c)),
      });
      for (const t of topics) this.publisher.publish({ topic: t, text: combined(t, data), kind: 'book-diff' });
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
      return {
        lastUpdateId: snap.id,
        bids: snap.bids.map(([p, q]) => [this.px(inst, p), this.qty(inst, q)]),
        asks: snap.asks.map(([p, q]) => [this.px(inst, p), this.qty(inst, q)]),
      };
    });
  }

  private exchangeInfo(): unknown {
    return {
      timezone: 'UTC',
      serverTime: Date.now(),
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
      exchangeFilters: [],
      symbols: [...this.instruments.values()].map((i) => ({
        symbol: i.symbol,
        status: 'TRADING',
        baseAsset: i.base,
        baseAssetPrecision: 8,
        quoteAsset: i.quote,
        quotePrecision: 8,
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: this.px(i, 1), maxPrice: '1000000.00000000', tickSize: this.px(i, 1) },
          { filterType: 'LOT_SIZE', minQty: this.qty(i, 1), maxQty: '9000.00000000', stepSize: this.qty(i, 1) },
        ],
      })),
    };
  }

  private charged(weight: number, body: () => unknown): RestReply {
    const refused = this.weight.charge(weight);
    return refused ?? jsonReply(body(), 200, this.weight.headers());
  }

  private emit(stream: string, data: unknown): void {
    this.publisher.publish({ topic: stream, text: combined(stream, JSON.stringify(data)), kind: 'other' });
  }

  private level(inst: SpotInstrument, c: LevelChange): [string, string] {
    return [this.px(inst, c.price), this.qty(inst, c.qty)];
  }

  private px(inst: SpotInstrument, ticks: number): string {
    return fixed(ticks * 10 ** (PRINT_DECIMALS - inst.market.spec.priceDecimals), PRINT_DECIMALS);
  }

  private qty(inst: SpotInstrument, lots: number): string {
    return fixed(lots * 10 ** (PRINT_DECIMALS - inst.market.spec.qtyDecimals), PRINT_DECIMALS);
  }
}
