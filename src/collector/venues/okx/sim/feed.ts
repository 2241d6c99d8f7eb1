/**
 * Generated OKX v5 market: for each symbol a spot (`BTC-USDT`) and a perpetual swap
 * (`BTC-USDT-SWAP`) instrument. `books` (seqId/prevSeqId chained, heartbeat pushes
 * with seqId = prevSeqId, and in mode '2025' a pushed snapshot and CRC32 checksum;
 * in '2026' checksum 0 and no snapshot: REST `/api/v5/market/books` with seqId),
 * `trades`, `mark-price`, `index-tickers`, `funding-rate`, `open-interest`, `liquidation-orders`;
 * REST books, open interest, funding rate, instruments and the rubik long/short ratios.
 */
import type { SimConnection } from '../../../../sim/connection.js';
import type { BookSnapshot, LevelChange } from '../../../../sim/generate/book.js';
import { trimmed } from '../../../../sim/generate/decimal-text.js';
import { GeneratedFeed, type GenerateOptions } from '../../../../sim/generate/feed.js';
import {
  FUNDING_DECIMALS,
  instrumentSpec,
  longShortRow,
  nextFundingTime,
  periodBuckets,
  periodMs,
  RATIO_DECIMALS,
  SymbolMarket,
} from '../../../../sim/generate/market.js';
import { okxContractValue, okxInstrumentRow } from './instruments.js';
import { divideDecimal, multiplyDecimal } from '../../../../core/decimal-math.js';
import { jsonReply, type FramePublisher, type RestReply, type RestRequest } from '../../../../sim/types.js';
import { okxChecksum } from '../checksum.js';

interface OkxInstrument {
  instId: string;
  instType: 'SPOT' | 'SWAP';
  family: string;
  base: string;
  quote: string;
  market: SymbolMarket;
  tradeSeq: number;
}
type OkxLevel = [string, string, string, string];

const HEARTBEAT_CHANCE = 0.05;
/** `6H`, `12H`, `1D` open at Hong Kong time (UTC+8); the `utc` variants at UTC, like Binance's. */
const RUBIK_PERIODS = new Set(['5m', '15m', '30m', '1H', '2H', '4H', '6H', '12H', '1D', '6Hutc', '12Hutc', '1Dutc']);
const HONG_KONG_OFFSET_MS = -8 * 3600_000;
const RUBIK_PATHS = new Set([
  '/api/v5/rubik/stat/contracts/long-short-account-ratio-contract-top-trader',
  '/api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader',
  '/api/v5/rubik/stat/contracts/long-short-account-ratio-contract',
]);

export class OkxFeed extends GeneratedFeed {
  private readonly instruments = new Map<string, OkxInstrument>();
  private readonly topics = new Set<string>(['liquidation-orders/SWAP']);
  private readonly mode: '2025' | '2026';

  constructor(opts: GenerateOptions, publisher: FramePublisher) {
    super(opts, publisher);
    this.mode = opts.okxMode ?? '2026';
    for (const s of this.symbols) {
      const [base, quote = 'USDT'] = s.split('-') as [string, string?];
      const family = `${base}-${quote}`;
      for (const [instId, instType] of [
        [family, 'SPOT'],
        [`${family}-SWAP`, 'SWAP'],
      ] as const) {
        const rng = this.rng.fork(`okx:${instId}`);
        const spec = instrumentSpec(base, base === 'BTC' ? 1 : 2, instType === 'SPOT' ? 8 : 2);
        const market = new SymbolMarket(rng, spec, { firstId: rng.int(1e9, 9e9), idStep: [1, 3], maxLevels: this.bookLevels });
        this.instruments.set(instId, { instId, instType, family, base, quote, market, tradeSeq: rng.int(1e9, 9e9) });
        const channels = instType === 'SPOT' ? ['books', 'trades'] : ['books', 'trades', 'mark-price', 'funding-rate', 'open-interest'];
        for (const c of channels) this.topics.add(`${c}/${instId}`);
      }
      this.topics.add(`index-tickers/${family}`);
    }
  }

  knows(topic: string): boolean {
    return this.topics.has(topic);
  }

  subscribing(conn: SimConnection, topic: string): void {
    if (this.mode !== '2025' || !topic.startsWith('books/')) return;
    const inst = this.instruments.get(topic.slice('books/'.length))!;
    // Push what is pending to the others first: the snapshot then ends where the next push starts.
    this.pushBook(inst, Date.now());
    const snap = this.levels(inst, inst.market.book.snapshot(400));
    conn.send(
      JSON.stringify({
        arg: { channel: 'books', instId: inst.instId },
        action: 'snapshot',
        data: [{ ...snap, ts: String(Date.now()), checksum: okxChecksum(snap.bids, snap.asks), prevSeqId: -1, seqId: inst.market.book.pushedId }],
      }),
    );
  }

  rest(req: RestRequest): RestReply {
    const p = req.params;
    if (RUBIK_PATHS.has(req.path)) {
      const swap = this.instrument(p.get('instId'), 'SWAP');
      return swap ? this.ratios(req.path, swap.instId, p) : NO_INSTRUMENT();
    }
    switch (req.path) {
      case '/api/v5/market/books':
        return this.withInstrument(p.get('instId'), undefined, (i) => {
          const sz = Math.min(400, Math.max(1, Number(p.get('sz') ?? 1) || 1));
          const snap = i.market.book.snapshotBetweenPushes(sz);
          return [{ ...this.levels(i, snap), ts: String(Date.now()), seqId: snap.id }];
        });
      case '/api/v5/public/open-interest':
        return ok(this.swaps(p.get('instId')).map((i) => this.openInterest(i, Date.now())));
      case '/api/v5/public/funding-rate':
        return this.withInstrument(p.get('instId'), 'SWAP', (i) => [this.fundingRate(i, Date.now())]);
      case '/api/v5/public/mark-price':
        return ok(this.swaps(p.get('instId')).map((i) => this.markPrice(i, Date.now())));
      case '/api/v5/rubik/stat/contracts/long-short-account-ratio':
        return this.ccyRatio(p);
      case '/api/v5/public/instruments': {
        const instType = p.get('instType');
        if (instType === null || !['SPOT', 'MARGIN', 'SWAP', 'FUTURES', 'OPTION'].includes(instType))
          return jsonReply({ code: '51000', msg: 'Parameter instType error', data: [] }, 400);
        return ok(
          [...this.instruments.values()]
            .filter((i) => i.instType === instType && (p.get('instId') === null || p.get('instId') === i.instId))
            .map((i) => okxInstrumentRow({ instId: i.instId, instType: i.instType, base: i.base, quote: i.quote, tick: this.px(i, 1), step: this.sz(i, 1) })),
        );
      }
      default:
        return jsonReply({ code: '50000', msg: `simulator: no endpoint ${req.path}`, data: [] }, 404);
    }
  }

  protected step(now: number): void {
    for (const i of this.instruments.values()) {
      const trades = i.market.step(now, HEARTBEAT_CHANCE);
      if (trades.length > 0 && this.publisher.wants(`trades/${i.instId}`)) {
        const data = trades.map((t) => ({
          instId: i.instId,
          tradeId: String(t.id),
          px: this.px(i, t.price),
          sz: this.sz(i, t.qty),
          side: t.taker,
          ts: String(t.time),
          count: '1',
          source: '0',
          seqId: ++i.tradeSeq,
        }));
        this.emit('trades', i.instId, { arg: { channel: 'trades', instId: i.instId }, data });
      }
      this.pushBook(i, now);
    }
  }

  protected periodic(now: number): void {
    for (const i of this.instruments.values()) {
      if (i.instType !== 'SWAP') continue;
      i.market.drift();
      this.emit('mark-price', i.instId, { arg: { channel: 'mark-price', instId: i.instId }, data: [this.markPrice(i, now)] });
      // The underlying's index: the swap's mid, as its own instrument (BTC-USDT).
      const idxPx = this.px(i, i.market.midTicks());
      this.emit('index-tickers', i.family, {
        arg: { channel: 'index-tickers', instId: i.family },
        data: [{ instId: i.family, idxPx, high24h: idxPx, low24h: idxPx, open24h: idxPx, sodUtc0: idxPx, sodUtc8: idxPx, ts: String(now) }],
      });
      this.emit('funding-rate', i.instId, { arg: { channel: 'funding-rate', instId: i.instId }, data: [this.fundingRate(i, now)] });
      this.emit('open-interest', i.instId, { arg: { channel: 'open-interest', instId: i.instId }, data: [this.openInterest(i, now)] });
      const l = i.market.liquidation(now);
      const details = [
        {
          bkLoss: '0',
          bkPx: this.px(i, l.price),
          ccy: '',
          posSide: l.side === 'sell' ? 'long' : 'short',
          side: l.side,
          sz: this.sz(i, l.qty),
          ts: String(l.time),
        },
      ];
      this.emit('liquidation-orders', 'SWAP', {
        arg: { channel: 'liquidation-orders', instType: 'SWAP' },
        data: [{ details, instFamily: i.family, instId: i.instId, instType: 'SWAP', uly: i.family }],
      });
    }
  }

  /** One `books` update: the changes since the last push, or a heartbeat (seqId = prevSeqId) when none. */
  private pushBook(i: OkxInstrument, now: number): void {
    const push = i.market.flush();
    if (!this.publisher.wants(`books/${i.instId}`)) return;
    const book = i.market.book;
    const bids = push ? push.bids.map((c) => this.level(i, c)) : [];
    const asks = push ? push.asks.map((c) => this.level(i, c)) : [];
    let checksum = 0;
    if (this.mode === '2025') {
      const top = this.levels(i, book.snapshot(25));
      checksum = okxChecksum(top.bids, top.asks);
    }
    const data = { asks, bids, ts: String(now), checksum, prevSeqId: push ? push.prev : book.pushedId, seqId: book.pushedId };
    const text = JSON.stringify({ arg: { channel: 'books', instId: i.instId }, action: 'update', data: [data] });
    this.publisher.publish({ topic: `books/${i.instId}`, text, kind: push ? 'book-diff' : 'other' });
  }

  private markPrice(i: OkxInstrument, now: number) {
    return { instType: i.instType, instId: i.instId, markPx: this.px(i, i.market.midTicks()), ts: String(now) };
  }

  private fundingRate(i: OkxInstrument, now: number) {
    const rate = trimmed(i.market.fundingRate, FUNDING_DECIMALS);
    const next = nextFundingTime(now);
    return {
      formulaType: 'withRate',
      fundingRate: rate,
      fundingTime: String(next),
      impactValue: '20000',
      instId: i.instId,
      instType: 'SWAP',
      interestRate: '0.0001',
      maxFundingRate: '0.0075',
      method: 'current_period',
      minFundingRate: '-0.0075',
      nextFundingRate: '',
      nextFundingTime: String(next + 8 * 3600_000),
      premium: trimmed(Math.round(i.market.fundingRate / 2), FUNDING_DECIMALS),
      settFundingRate: rate,
      settState: 'settled',
      ts: String(now),
    };
  }

  private openInterest(i: OkxInstrument, now: number) {
    const oi = this.sz(i, i.market.openInterest);
    const mark = this.px(i, i.market.midTicks());
    const inverse = i.quote === 'USD';
    // Linear: oiCcy = contracts x ctVal (coin), oiUsd = oiCcy x mark. Inverse: oiUsd = contracts x ctVal (USD), oiCcy = oiUsd / mark.
    const ctVal = okxContractValue(i.base, inverse);
    const oiCcy = inverse ? divideDecimal(multiplyDecimal(oi, ctVal), mark, 8) : multiplyDecimal(oi, ctVal);
    const oiUsd = inverse ? multiplyDecimal(oi, ctVal) : divideDecimal(multiplyDecimal(oiCcy, mark), '1', 2);
    return { instId: i.instId, instType: 'SWAP', oi, oiCcy, oiUsd, ts: String(now) };
  }

  private ratios(path: string, instId: string, p: URLSearchParams): RestReply {
    const period = p.get('period') ?? '5m';
    const ms = periodMs(period);
    const limit = Math.min(100, Math.max(1, Number(p.get('limit') ?? 100) || 100));
    if (!RUBIK_PERIODS.has(period) || ms === undefined) return jsonReply({ code: '51000', msg: 'Parameter period error', data: [] }, 400);
    // Newest first, as OKX lists them.
    const offset = ms >= 6 * 3600_000 && !period.endsWith('utc') ? HONG_KONG_OFFSET_MS : 0;
    return ok(
      periodBuckets(Date.now(), ms, limit, offset)
        .reverse()
        .map((ts) => [String(ts), trimmed(longShortRow(this.seed, `${path}:${instId}:${period}`, ts).ratio, RATIO_DECIMALS)]),
    );
  }

  private ccyRatio(p: URLSearchParams): RestReply {
    const ccy = p.get('ccy') ?? '';
    if (![...this.instruments.values()].some((i) => i.base === ccy)) return jsonReply({ code: '51000', msg: 'Parameter ccy error', data: [] }, 400);
    const period = p.get('period') ?? '5m';
    const ms = periodMs(period) ?? 300_000;
    return ok(
      periodBuckets(Date.now(), ms, 100)
        .reverse()
        .map((ts) => [String(ts), trimmed(longShortRow(this.seed, `ccy:${ccy}:${period}`, ts).ratio, RATIO_DECIMALS)]),
    );
  }

  private swaps(instId: string | null): OkxInstrument[] {
    return [...this.instruments.values()].filter((i) => i.instType === 'SWAP' && (instId === null || i.instId === instId));
  }

  private instrument(instId: string | null, type?: OkxInstrument['instType']): OkxInstrument | undefined {
    const i = this.instruments.get(instId ?? '');
    return i && (!type || i.instType === type) ? i : undefined;
  }

  private withInstrument(instId: string | null, type: OkxInstrument['instType'] | undefined, body: (i: OkxInstrument) => unknown): RestReply {
    const i = this.instrument(instId, type);
    return i ? ok(body(i)) : NO_INSTRUMENT();
  }

  private emit(channel: string, scope: string, message: unknown): void {
    this.publisher.publish({ topic: `${channel}/${scope}`, text: JSON.stringify(message), kind: 'other' });
  }

  private levels(i: OkxInstrument, snap: BookSnapshot): { asks: OkxLevel[]; bids: OkxLevel[] } {
    const level = ([p, q]: [number, number]): OkxLevel => [this.px(i, p), this.sz(i, q), '0', String(1 + (q % 7))];
    return { asks: snap.asks.map(level), bids: snap.bids.map(level) };
  }

  private level(i: OkxInstrument, c: LevelChange): OkxLevel {
    return [this.px(i, c.price), this.sz(i, c.qty), '0', c.qty === 0 ? '0' : String(1 + (c.qty % 7))];
  }

  private px(i: OkxInstrument, ticks: number): string {
    return trimmed(ticks, i.market.spec.priceDecimals);
  }

  private sz(i: OkxInstrument, lots: number): string {
    return trimmed(lots, i.market.spec.qtyDecimals);
  }
}

const NO_INSTRUMENT = (): RestReply => jsonReply({ code: '51001', msg: "Instrument ID doesn't exist", data: [] });

function ok(data: unknown): RestReply {
  return jsonReply({ code: '0', msg: '', data });
}
