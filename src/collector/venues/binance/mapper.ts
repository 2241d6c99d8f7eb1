/**
 * Binance spot, USDⓈ-M and COIN-M futures: frames and REST bodies -> records, and the
 * local book sync each market specifies (COIN-M follows the USDⓈ-M rule).
 * Quantities are in base: spot and USDⓈ-M count the base asset, COIN-M contracts of
 * `contractSize` USD (base = contracts × size ÷ price, from the instrument list).
 *   spot:  drop diffs with u <= lastUpdateId; the first kept has U <= lastUpdateId+1 <= u;
 *          afterwards U > local+1 is a gap.
 *   usdm, coinm: drop diffs with u < lastUpdateId; the first kept has U <= lastUpdateId <= u;
 *          afterwards every diff's pu equals the previous u, else a gap.
 * In both, once a diff is applied, one with u <= local id was already applied (a second
 * connection during rotation delivers it again) and is ignored, buffered diffs included.
 * The steps themselves (buffer, snapshot, bridge, chain, resync) are shared: base.ts.
 */
import { isZero } from '../../../core/decimal.js';
import { multiplyDecimal } from '../../../core/decimal-math.js';
import type { Decimal, Level, LiquidationRecord, MarketRecord, LsrAllAccountRecord, LsrTopPositionRecord } from '../../../core/model.js';
import { BASE_UNITS, unitsFromInfo, type QuantityRule } from '../../units.js';
import type { AdapterContext, SnapshotRequest } from '../../adapter.js';
import type { SyncedBook } from '../../book/synced-book.js';
import type { Instrument } from '../../symbols.js';
import { binanceInstrument, binanceSymbol, type BinanceMarket } from './symbols.js';
import { BaseAdapter, type AdapterOptions, type SequenceRule } from '../../mappers/base.js';
import {
  arr,
  bool,
  decimalField,
  id,
  idField,
  levels,
  MalformedFrameError,
  obj,
  optionalId,
  optionalTime,
  price,
  priceField,
  quantityField,
  ratioField,
  side,
  text,
  time,
  timeField,
  type Obj,
} from '../../mappers/wire.js';
import { liftKeys, parseLifting, type Lifted } from '../../mappers/lifted-levels.js';

export interface BinanceOptions extends AdapterOptions {
  market: BinanceMarket;
  /** https://api.binance.com or https://fapi.binance.com (or a simulator). */
  restUrl: string;
  /** Levels asked of the REST snapshot. */
  snapshotLimit: number;
}

export function createBinanceAdapter(ctx: AdapterContext, opts: BinanceOptions): BinanceAdapter {
  return new BinanceAdapter(ctx, opts);
}

/** The level lists of a depth diff and of a REST snapshot, read by the scanner (mappers/lifted-levels). */
const DIFF_LISTS = liftKeys('b', 'a');
const SNAPSHOT_LISTS = liftKeys('bids', 'asks');

const DEPTH_PATH = { spot: '/api/v3/depth', usdm: '/fapi/v1/depth', coinm: '/dapi/v1/depth' } as const;
const OPEN_INTEREST_PATH = { usdm: '/fapi/v1/openInterest', coinm: '/dapi/v1/openInterest' } as const;

/** Request weight of GET depth by limit (Binance docs, 2025). */
export function binanceDepthWeight(market: BinanceMarket, limit: number): number {
  if (market === 'spot') return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
  return limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
}

export class BinanceAdapter extends BaseAdapter<Diff> {
  /** Latest mark price per instrument (markPrice stream): open interest's notional, COIN-M's contracts in base. */
  private readonly markPrices = new Map<string, Decimal>();

  constructor(
    ctx: AdapterContext,
    private readonly options: BinanceOptions,
  ) {
    super(ctx, options);
  }

  snapshotKeyOf(url: string): string | undefined {
    const u = new URL(url);
    return u.pathname.endsWith(DEPTH_PATH[this.options.market]) ? (u.searchParams.get('symbol') ?? undefined) : undefined;
  }

  /** Spot and USDⓈ-M count every quantity in the base asset; COIN-M counts contracts of `contractSize` USD. */
  protected unitsOf(wire: string): QuantityRule | undefined {
    return this.options.market === 'coinm' ? unitsFromInfo(this.ctx.instrument(wire)) : BASE_UNITS;
  }

  protected restRows(url: string, body: string): MarketRecord[] | undefined {
    const market = this.options.market;
    if (market === 'spot') return undefined;
    const u = new URL(url);
    const period = u.searchParams.get('period') ?? '5m';
    const now = this.ctx.now();
    if (u.pathname.endsWith(OPEN_INTEREST_PATH[market])) return this.openInterest(body, now);
    if (market !== 'usdm') return undefined;
    if (u.pathname.endsWith('/futures/data/topLongShortPositionRatio')) return mapBinanceLongShort('lsr_top_position', body, period, now);
    if (u.pathname.endsWith('/futures/data/globalLongShortAccountRatio')) return mapBinanceLongShort('lsr_all_account', body, period, now);
    return undefined;
  }

  protected handle(conn: string, frame: string): void {
    const { value, lifted } = parseLifting(frame, DIFF_LISTS);
    const msg = obj(value, 'frame');
    if ('result' in msg && 'id' in msg) return; // subscribe/unsubscribe acknowledgement
    if ('code' in msg && 'msg' in msg) {
      this.ctx.problem('venue_error', { message: `${String(msg.code)}: ${String(msg.msg)}` });
      return;
    }
    const data = msg.data ?? msg;
    for (const d of Array.isArray(data) ? data : [data]) this.event(conn, obj(d, 'data'), lifted);
  }

  private event(conn: string, d: Obj, lifted: Lifted | undefined): void {
    switch (d.e) {
      case 'depthUpdate':
        return this.depth(conn, d, lifted);
      case 'trade':
      case 'aggTrade':
        return this.tradeEvent(d);
      case 'markPriceUpdate':
        return this.markPrice(d);
      case 'forceOrder':
        return this.forceOrder(d);
      default:
        return; // bookTicker, kline, ...: not collected
    }
  }

  private instrument(wire: string): Instrument | undefined {
    const inst = binanceInstrument(wire, this.options.market);
    if (!inst) this.ctx.problem('unsupported', { symbol: wire, message: `${wire} is not a Binance ${this.options.market} instrument` });
    return this.admit(wire, inst);
  }

  /**
   * Open interest, in base: USDⓈ-M states it in the base asset (valued at the mark
   * price); COIN-M in contracts of `contractSize` USD, which are the notional and give
   * base at the mark price: no record until a mark price arrived.
   */
  private openInterest(body: string, now: number): MarketRecord[] {
    const o = obj(JSON.parse(body), 'openInterest');
    const wire = text(o, 'symbol');
    const inst = this.instrument(wire);
    if (!inst) return [];
    const raw = quantityField(o, 'openInterest');
    const mark = this.markPrices.get(wire);
    const base = {
      data_type: 'open_interest',
      exchange: 'binance',
      ...inst,
      timestamp: timeField(o, 'time'),
      local_timestamp: now,
      open_interest_raw: raw,
    } as const;
    if (this.options.market === 'usdm') {
      return [{ ...base, open_interest: raw, open_interest_unit: 'base', open_interest_value: mark === undefined ? undefined : multiplyDecimal(raw, mark) }];
    }
    const units = this.units(wire, inst.market_type);
    const info = this.ctx.instrument(wire);
    if (!units || !info?.contract_size || mark === undefined) return [];
    return [{ ...base, open_interest: units.toBase(raw, mark), open_interest_unit: units.unit, open_interest_value: multiplyDecimal(raw, info.contract_size) }];
  }

  // ---- order book ----

  private depth(conn: string, d: Obj, lifted: Lifted | undefined): void {
    const key = text(d, 's');
    const inst = this.instrument(key);
    if (!inst) return;
    let diff: Diff;
    try {
      diff = {
        U: idField(d, 'U'),
        u: idField(d, 'u'),
        pu: optionalId(d, 'pu', true),
        E: timeField(d, 'E'),
        bids: levels(d.b, 'b', lifted),
        asks: levels(d.a, 'a', lifted),
        at: this.ctx.now(),
      };
    } catch (err) {
      // A diff that cannot be applied: the book misses it, so it resyncs from a new snapshot.
      return this.badBookMessage(this.books.get(key), err);
    }
    const b = this.book(key, 'binance', inst.market_type, inst.symbol);
    b.conn = conn;
    if (b.state === 'idle') return this.startSync(b, diff);
    if (b.state === 'awaiting_snapshot') return b.buffered(diff);
    if (this.syncStep(b, diff, this.rule) === 'applied') this.changed(key, b);
  }

  private startSync(b: SyncedBook<Diff>, first: Diff): void {
    b.state = 'awaiting_snapshot';
    b.buffer = [first];
    b.bridging = false;
    this.ctx.requestSnapshot(this.snapshotRequest(b.key));
  }

  protected afterDrop(_key: string, b: SyncedBook<Diff>): void {
    // A crossed book: resync from a fresh snapshot; the next diff starts the buffer.
    b.state = 'idle';
  }

  /**
   * The market's rule. "Contained in snapshot L": spot u <= L, USDⓈ-M u < L (the diff
   * ending at L is the first to apply there). Once a diff is applied, any with u <= the
   * local id is a repeat.
   */
  private readonly rule: SequenceRule<Diff> = {
    inSnapshot: (d, id) => (this.options.market === 'spot' ? d.u <= id : d.u < id),
    seen: (d, b) => (b.bridging ? this.rule.inSnapshot(d, b.lastId) : d.u <= b.lastId),
    bridgeProblem: (d, id) => {
      const ok = this.options.market === 'spot' ? d.U <= id + 1 && id + 1 <= d.u : d.U <= id && id <= d.u;
      return ok ? undefined : `first diff U=${d.U} u=${d.u} does not bridge snapshot ${id}`;
    },
    chainProblem: (d, id) => {
      if (this.options.market === 'spot') return d.U > id + 1 ? `U=${d.U} after local id ${id}: ${d.U - id - 1} updates missed` : undefined;
      return d.pu === id ? undefined : `pu=${String(d.pu)} but previous u=${id}`;
    },
    apply: (b, d) => {
      for (const l of d.bids) b.book.bids.setLevel(l);
      for (const l of d.asks) b.book.asks.setLevel(l);
      b.lastId = d.u;
      b.timestamp = d.E;
      b.localTimestamp = d.at;
    },
    verify: () => true,
    restart: (b, d) => this.startSync(b, d),
    time: (d) => d.E,
  };

  protected handleSnapshot(b: SyncedBook<Diff>, body: string): void {
    const { value, lifted } = parseLifting(body, SNAPSHOT_LISTS);
    const s = obj(value, 'snapshot');
    this.loadSnapshot(
      b,
      {
        id: id(s.lastUpdateId, 'lastUpdateId'),
        bids: levels(s.bids, 'bids', lifted),
        asks: levels(s.asks, 'asks', lifted),
        timestamp: optionalTime(s, 'E'),
        limit: this.options.snapshotLimit,
      },
      this.rule,
    );
  }

  protected snapshotRequest(key: string): SnapshotRequest {
    const limit = this.options.snapshotLimit;
    return {
      key,
      url: `${this.options.restUrl}${DEPTH_PATH[this.options.market]}?symbol=${key}&limit=${limit}`,
      weight: binanceDepthWeight(this.options.market, limit),
    };
  }

  // ---- other streams ----

  private tradeEvent(d: Obj): void {
    const wire = text(d, 's');
    const inst = this.instrument(wire);
    if (!inst) return;
    const units = this.units(wire, inst.market_type);
    if (!units) return;
    const buyerIsMaker = bool(d, 'm');
    const px = priceField(d, 'p');
    this.trade({
      data_type: 'trade',
      exchange: 'binance',
      ...inst,
      timestamp: timeField(d, 'E'),
      local_timestamp: this.ctx.now(),
      trade_id: String(id(d.e === 'aggTrade' ? d.a : d.t, d.e === 'aggTrade' ? 'a' : 't')),
      price: px,
      ...this.sized(units, quantityField(d, 'q', true), px),
      side: buyerIsMaker ? 'sell' : 'buy',
      is_maker: buyerIsMaker,
      trade_time: timeField(d, 'T'),
    });
  }

  private markPrice(d: Obj): void {
    const wire = text(d, 's');
    const inst = this.instrument(wire);
    if (!inst) return;
    const mark = priceField(d, 'p');
    this.markPrices.set(wire, mark);
    if (d.r === '' || d.r === undefined) return; // no funding (a delivery contract)
    this.emit({
      data_type: 'funding_rate',
      exchange: 'binance',
      ...inst,
      timestamp: timeField(d, 'E'),
      local_timestamp: this.ctx.now(),
      funding_rate: decimalField(d, 'r'),
      mark_price: mark,
      index_price: priceField(d, 'i'),
      // `T` is the next settlement, the one the current rate applies to; Binance does not state the one after.
      funding_time: optionalTime(d, 'T'),
      next_funding_time: undefined,
    });
  }

  private forceOrder(d: Obj): void {
    const o = obj(d.o, 'o');
    const wire = text(o, 's');
    const inst = this.instrument(wire);
    if (!inst) return;
    const units = this.units(wire, inst.market_type);
    if (!units) return;
    // The average fill price and filled quantity, falling back to the order's own (0 = not filled yet).
    const avg = decimalField(o, 'ap');
    const px = isZero(avg) ? priceField(o, 'p') : price(avg, 'ap');
    const filled = quantityField(o, 'z');
    const record: LiquidationRecord = {
      data_type: 'liquidation',
      exchange: 'binance',
      ...inst,
      timestamp: timeField(d, 'E'),
      local_timestamp: this.ctx.now(),
      side: side(o.S, 'S'),
      price: px,
      ...this.sized(units, isZero(filled) ? quantityField(o, 'q', true) : filled, px),
      liquidation_time: timeField(o, 'T'),
    };
    this.emit(record);
  }
}

// ---- REST bodies (open interest, long/short ratios): polled, see rest/pollers.ts ----

/** topLongShortPositionRatio (lsr_top_position) or globalLongShortAccountRatio (lsr_all_account) rows. */
export function mapBinanceLongShort(
  kind: 'lsr_top_position' | 'lsr_all_account',
  body: string,
  period: string,
  now: number,
): (LsrTopPositionRecord | LsrAllAccountRecord)[] {
  return arr(JSON.parse(body), 'long/short ratio').map((row) => {
    const r = obj(row, 'row');
    const symbol = binanceSymbol(text(r, 'symbol'));
    if (!symbol) throw new MalformedFrameError(`long/short: unknown symbol ${String(r.symbol)}`);
    // Docs show "timestamp" as text, live bodies as a number: int() takes both.
    const base = { exchange: 'binance', market_type: 'perpetual', symbol, timestamp: time(r.timestamp, 'timestamp'), local_timestamp: now, period } as const;
    const long = ratioField(r, r.longPosition !== undefined ? 'longPosition' : 'longAccount');
    const short = ratioField(r, r.shortPosition !== undefined ? 'shortPosition' : 'shortAccount');
    const ratio = ratioField(r, 'longShortRatio');
    return kind === 'lsr_top_position'
      ? { ...base, data_type: kind, long_position_ratio: long, short_position_ratio: short, long_short_ratio: ratio }
      : { ...base, data_type: kind, long_account_ratio: long, short_account_ratio: short, long_short_ratio: ratio };
  });
}

// ---- wire types ----

interface Diff {
  U: number;
  u: number;
  /** USDⓈ-M only: the previous diff's u. */
  pu: number | undefined;
  E: number;
  bids: Level[];
  asks: Level[];
  /** Local receipt time. */
  at: number;
}
