/**
 * What the generated Binance spot and USDⓈ-M markets share: instruments keyed by
 * symbol, request-weight accounting, combined-stream framing, and depth diffs
 * serialised once for all the depth streams somebody subscribes to.
 */
import type { BookPush, LevelChange } from '../../../../sim/generate/book.js';
import { fixed } from '../../../../sim/generate/decimal-text.js';
import { GeneratedFeed, type GenerateOptions } from '../../../../sim/generate/feed.js';
import { instrumentSpec, SymbolMarket } from '../../../../sim/generate/market.js';
import type { SimLimits } from '../../../../sim/protocol.js';
import { jsonReply, type FramePublisher, type RestReply, type RestRequest } from '../../../../sim/types.js';
import { combined } from './protocol.js';
import { binanceSymbol, NOT_FOUND, WeightMeter } from './rest.js';

export interface BinanceInstrument {
  symbol: string;
  /** Lower-case symbol, the stream-name prefix. */
  stream: string;
  base: string;
  quote: string;
  market: SymbolMarket;
  lastLiquidation: number;
}

export interface BinanceMarketSpec {
  /** Keeps the instruments' random streams apart between spot and futures. */
  label: string;
  /** `/api/v3` or `/fapi/v1`: where `/time` and `/ping` live. */
  apiPrefix: string;
  weightPerMin: number;
  priceDecimals(base: string): number;
  qtyDecimals: number;
  /** Digits printed: spot always prints 8, futures the contract's precision. */
  printPrice: number;
  printQty: number;
  firstId: readonly [number, number];
  idStep: readonly [number, number];
  /** Stream-name suffixes served per symbol; the depth ones carry the book diffs. */
  depthStreams: readonly string[];
  otherStreams: readonly string[];
  /** The instrument name of a base asset (COIN-M: BTCUSD_PERP); the pair by default. */
  wireName?(base: string, quote: string): string;
  /** The quote asset every instrument has (COIN-M: USD), whatever the configured symbol says. */
  quote?: string;
}

export abstract class BinanceFeed extends GeneratedFeed {
  protected readonly instruments = new Map<string, BinanceInstrument>();
  protected readonly topics = new Set<string>();
  private readonly weight: WeightMeter;

  constructor(
    opts: GenerateOptions,
    publisher: FramePublisher,
    limits: SimLimits,
    private readonly spec: BinanceMarketSpec,
  ) {
    super(opts, publisher);
    this.weight = new WeightMeter(limits.restWeightPerMin ?? spec.weightPerMin);
    for (const s of this.symbols) {
      const [base, configured = 'USDT'] = s.split('-') as [string, string?];
      const quote = spec.quote ?? configured;
      const symbol = spec.wireName?.(base, quote) ?? binanceSymbol(`${base}-${quote}`);
      const rng = this.rng.fork(`${spec.label}:${symbol}`);
      const market = new SymbolMarket(rng, instrumentSpec(base, spec.priceDecimals(base), spec.qtyDecimals), {
        firstId: rng.int(...spec.firstId),
        idStep: spec.idStep,
        maxLevels: this.bookLevels,
      });
      const stream = symbol.toLowerCase();
      this.instruments.set(symbol, { symbol, stream, base, quote, market, lastLiquidation: 0 });
      for (const t of [...spec.depthStreams, ...spec.otherStreams]) this.topics.add(stream + t);
    }
  }

  knows(topic: string): boolean {
    return this.topics.has(topic);
  }

  subscribing(): void {}

  rest(req: RestRequest): RestReply {
    const answer = this.route(req);
    if (answer) return answer;
    if (req.path === `${this.spec.apiPrefix}/time`) return this.charged(1, () => ({ serverTime: Date.now() }));
    if (req.path === `${this.spec.apiPrefix}/ping`) return this.charged(1, () => ({}));
    return NOT_FOUND(req.path);
  }

  /** The venue's own endpoints; undefined for a path it does not serve. */
  protected abstract route(req: RestRequest): RestReply | undefined;

  /** One depth diff for every subscribed depth stream of the instrument. */
  protected publishDepth(i: BinanceInstrument, push: BookPush | undefined, fields: (push: BookPush) => object): void {
    const topics = this.spec.depthStreams.map((d) => i.stream + d).filter((t) => this.publisher.wants(t));
    if (!push || topics.length === 0) return;
    const data = JSON.stringify(fields(push));
    for (const t of topics) this.publisher.publish({ topic: t, text: combined(t, data), kind: 'book-diff' });
  }

  protected emit(stream: string, data: unknown): void {
    if (this.publisher.wants(stream)) this.publisher.publish({ topic: stream, text: combined(stream, JSON.stringify(data)), kind: 'other' });
  }

  /** Answers with the weight headers, or 429 once the minute's weight is spent. */
  protected charged(weight: number, body: () => unknown): RestReply {
    return this.weight.charge(weight) ?? jsonReply(body(), 200, this.weight.headers());
  }

  protected level(i: BinanceInstrument, c: LevelChange): [string, string] {
    return [this.px(i, c.price), this.qty(i, c.qty)];
  }

  protected levels(i: BinanceInstrument, levels: [number, number][]): [string, string][] {
    return levels.map(([p, q]) => [this.px(i, p), this.qty(i, q)]);
  }

  protected px(i: BinanceInstrument, ticks: number): string {
    return fixed(ticks * 10 ** (this.spec.printPrice - i.market.spec.priceDecimals), this.spec.printPrice);
  }

  protected qty(i: BinanceInstrument, lots: number): string {
    return fixed(lots * 10 ** (this.spec.printQty - i.market.spec.qtyDecimals), this.spec.printQty);
  }
}
