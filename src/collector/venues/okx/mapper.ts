/**
 * OKX v5 public channels -> records, and the `books` sync:
 *   - a pushed snapshot (prevSeqId -1, or action "snapshot") replaces the book;
 *   - each update's prevSeqId must equal the last seqId (an update with
 *     seqId == prevSeqId and no levels is a heartbeat);
 *   - when no snapshot is pushed (the 2026 protocol) updates are buffered and a
 *     REST snapshot taken: the first update used has prevSeqId <= snapshot seqId < seqId;
 *   - the CRC32 checksum over the top 25 levels is checked when it is non-zero
 *     (the 2022 capture has no seqId at all: the checksum is the only check there).
 * A broken book is resynced by resubscribing when the venue pushes snapshots, else
 * from REST.
 */
import type {
  Decimal,
  FundingRateRecord,
  Level,
  LiquidationRecord,
  LsrAllAccountRecord,
  LsrTopPositionRecord,
  MarketRecord,
  MarketType,
  OpenInterestRecord,
} from '../../../core/model.js';
import { BASE_UNITS, unitsFromInfo, type QuantityRule } from '../../units.js';
import type { AdapterContext, SnapshotRequest } from '../../adapter.js';
import { CHECKSUM_LEVELS, okxChecksum } from './checksum.js';
import type { OrderBook } from '../../book/order-book.js';
import type { SyncedBook } from '../../book/synced-book.js';
import { normalPeriod } from '../../periods.js';
import type { Instrument } from '../../symbols.js';
import { okxInstrument } from './symbols.js';
import { BaseAdapter, type AdapterOptions, type SequenceRule } from '../../mappers/base.js';
import {
  arr,
  decimalField,
  idField,
  idText,
  levels,
  MalformedFrameError,
  obj,
  optionalId,
  optionalInt,
  optionalQuantity,
  optionalTime,
  priceField,
  quantityField,
  ratio as ratioValue,
  side,
  text,
  time,
  timeField,
  type Obj,
} from '../../mappers/wire.js';
import { liftKeys, parseLifting, type Lifted } from '../../mappers/lifted-levels.js';

export interface OkxOptions extends AdapterOptions {
  /** https://www.okx.com (or a simulator). */
  restUrl: string;
  /** Levels asked of the REST snapshot (max 400). */
  snapshotLimit: number;
}

/** Book channels and their depth: OKX's book is the top N, a level pushed below it is forgotten. */
const BOOK_CHANNELS = new Map([
  ['books', 400],
  ['books-l2-tbt', 400],
  ['books50-l2-tbt', 50],
]);
const BOOKS_PATH = '/api/v5/market/books';
/** The level lists of a `books` push and of a REST snapshot, read by the scanner (mappers/lifted-levels). */
const BOOK_LISTS = liftKeys('asks', 'bids');

export function createOkxAdapter(ctx: AdapterContext, opts: OkxOptions): OkxAdapter {
  return new OkxAdapter(ctx, opts);
}

/** The OKX checksum of a local book. */
export function bookChecksum(book: OrderBook): number {
  return okxChecksum(book.bids.top(CHECKSUM_LEVELS), book.asks.top(CHECKSUM_LEVELS));
}

export class OkxAdapter extends BaseAdapter<Update> {
  /** Books whose venue pushes snapshots: resync by resubscribing rather than REST. */
  private readonly pushesSnapshots = new Set<string>();
  /** Book channel depth per instId (the top N levels OKX maintains). */
  private readonly channelDepth = new Map<string, number>();
  /** Per instId: whether the last update applied was checked by seqId chain or checksum. */
  private readonly intact = new Map<string, boolean>();
  /** Latest `mark-price` per swap/future instId and `index-tickers` price per index ("BTC-USDT"): funding records carry them. */
  private readonly markPrices = new Map<string, Decimal>();
  private readonly indexPrices = new Map<string, Decimal>();

  constructor(
    ctx: AdapterContext,
    private readonly options: OkxOptions,
  ) {
    super(ctx, options);
  }

  /** Spot sizes are in the base asset; swaps and futures count contracts of the instrument's ctVal × ctMult. */
  protected unitsOf(instId: string, market: MarketType): QuantityRule | undefined {
    return market === 'spot' ? BASE_UNITS : unitsFromInfo(this.ctx.instrument(instId));
  }

  protected restRows(url: string, body: string): MarketRecord[] | undefined {
    const u = new URL(url);
    const period = normalPeriod(u.searchParams.get('period') ?? '5m'); // OKX writes 1H, 1Dutc
    const instId = u.searchParams.get('instId') ?? '';
    const now = this.ctx.now();
    if (u.pathname.endsWith('/api/v5/public/open-interest')) return mapOkxOpenInterest(body, now);
    if (u.pathname.endsWith('/rubik/stat/contracts/long-short-position-ratio-contract-top-trader'))
      return mapOkxLongShort('lsr_top_position', instId, body, period, now);
    if (u.pathname.endsWith('/rubik/stat/contracts/long-short-account-ratio-contract')) return mapOkxLongShort('lsr_all_account', instId, body, period, now);
    return undefined;
  }

  snapshotKeyOf(url: string): string | undefined {
    const u = new URL(url);
    return u.pathname.endsWith(BOOKS_PATH) ? (u.searchParams.get('instId') ?? undefined) : undefined;
  }

  protected handle(conn: string, frame: string): void {
    if (frame === 'pong') return;
    const { value, lifted } = parseLifting(frame, BOOK_LISTS);
    const msg = obj(value, 'frame');
    if (typeof msg.event === 'string') {
      if (msg.event === 'error') this.ctx.problem('venue_error', { message: `${String(msg.code)}: ${String(msg.msg)}` });
      return; // subscribe/unsubscribe/login acknowledgements
    }
    const arg = obj(msg.arg, 'arg');
    const channel = text(arg, 'channel');
    const data = arr(msg.data, 'data');
    const depth = BOOK_CHANNELS.get(channel);
    if (depth) return this.bookPush(conn, text(arg, 'instId'), msg.action, data, depth, lifted);
    for (const item of data) {
      const d = obj(item, 'data[]');
      if (channel === 'trades') this.tradeItem(d);
      else if (channel === 'funding-rate') this.funding(d);
      else if (channel === 'open-interest') this.openInterest(d);
      else if (channel === 'liquidation-orders') this.liquidations(d);
      else if (channel === 'mark-price') this.markPrices.set(text(d, 'instId'), priceField(d, 'markPx'));
      else if (channel === 'index-tickers') this.indexPrices.set(text(d, 'instId'), priceField(d, 'idxPx'));
    }
  }

  private instrument(instId: string): Instrument | undefined {
    const inst = okxInstrument(instId);
    if (!inst) this.ctx.problem('unsupported', { symbol: instId, message: `${instId} is not a spot pair, perpetual swap or dated future` });
    return this.admit(instId, inst);
  }

  // ---- order book ----

  private bookPush(conn: string, instId: string, action: unknown, data: unknown[], depth: number, lifted: Lifted | undefined): void {
    const inst = this.instrument(instId);
    if (!inst) return;
    const b = this.book(instId, 'okx', inst.market_type, inst.symbol);
    b.conn = conn;
    this.channelDepth.set(instId, depth);
    let changed = false;
    let updates: Update[];
    try {
      // Every item parsed before any is applied: a bad one leaves the book as it was, and resynced.
      updates = data.map((item) => parseUpdate(obj(item, 'data[]'), this.ctx.now(), lifted));
    } catch (err) {
      return this.badBookMessage(b, err);
    }
    for (const u of updates) {
      const snapshot = action === 'snapshot' || u.prevSeqId === -1;
      if (snapshot) {
        this.pushesSnapshots.add(instId);
        // The channel's own full view: nothing beyond it is unknown (no boundary).
        this.zeroLevels(b, b.load(u.bids, u.asks, u.seqId ?? 0));
        b.timestamp = u.ts;
        b.localTimestamp = u.at;
        this.intact.set(instId, hasIntegrity(u));
        if (!this.checksumOk(b, u)) return this.resync(b);
        changed = true;
        continue;
      }
      if (b.state === 'idle') {
        if (!this.pushesSnapshots.has(instId)) this.startRestSync(b, u);
        return;
      }
      if (b.state === 'awaiting_snapshot') {
        b.buffered(u);
        continue;
      }
      const step = this.syncStep(b, u, this.rule);
      if (step === 'dropped') return;
      if (step === 'applied' && (u.bids.length > 0 || u.asks.length > 0)) changed = true;
    }
    if (changed) {
      b.book.bids.trim(depth);
      b.book.asks.trim(depth);
      this.changed(instId, b);
    }
  }

  /**
   * prevSeqId must equal the last seqId; right after a REST snapshot the first update
   * must straddle it (prevSeqId <= snapshot seqId < seqId) and one already in it is
   * skipped. The pre-2022-06 protocol has no seqId: the checksum is the only check.
   */
  private readonly rule: SequenceRule<Update> = {
    inSnapshot: (u, seq) => u.seqId !== undefined && u.seqId <= seq,
    seen: (u, b) => b.bridging && this.rule.inSnapshot(u, b.lastId),
    bridgeProblem: (u, id) => chainProblem(u, id, true),
    chainProblem: (u, id) => chainProblem(u, id),
    apply: (b, u) => {
      for (const l of u.bids) b.book.bids.setLevel(l);
      for (const l of u.asks) b.book.asks.setLevel(l);
      b.lastId = u.seqId ?? 0;
      b.timestamp = u.ts;
      b.localTimestamp = u.at;
      this.intact.set(b.key, hasIntegrity(u));
    },
    verify: (b, u) => {
      if (this.checksumOk(b, u)) return true;
      this.resync(b);
      return false;
    },
    restart: (b, u) => (this.pushesSnapshots.has(b.key) ? this.resubscribe(b) : this.startRestSync(b, u)),
    time: (u) => u.ts,
  };

  /**
   * OKX: "best ask price may be lower than the best bid price during the pre-open
   * period" (call auction). A crossed book is published when its last update was
   * checked (seqId chain or checksum), so it is the venue's book, not a broken one.
   */
  protected crossedIsValid(b: SyncedBook<Update>): boolean {
    return this.intact.get(b.key) === true;
  }

  private checksumOk(b: SyncedBook<Update>, u: Update): boolean {
    if (!u.checksum) return true; // 0 or absent: deprecated (2026), validated by sequence
    const ours = bookChecksum(b.book);
    if (ours === u.checksum) return true;
    this.dropBook(b, 'checksum', `checksum ${u.checksum} from OKX, ${ours} computed`);
    return false;
  }

  private resync(b: SyncedBook<Update>): void {
    if (this.pushesSnapshots.has(b.key)) this.resubscribe(b);
    else b.state = 'idle'; // the next update asks for a REST snapshot
  }

  protected afterDrop(_key: string, b: SyncedBook<Update>): void {
    this.resync(b);
  }

  /** A fresh subscription makes OKX push a new snapshot (where it still pushes them). */
  private resubscribe(b: SyncedBook<Update>): void {
    b.state = 'awaiting_snapshot'; // updates until the pushed snapshot are superseded by it
    const args = [{ channel: 'books', instId: b.key }];
    this.ctx.send(b.conn, JSON.stringify({ op: 'unsubscribe', args }));
    this.ctx.send(b.conn, JSON.stringify({ op: 'subscribe', args }));
  }

  private startRestSync(b: SyncedBook<Update>, first: Update): void {
    b.state = 'awaiting_snapshot';
    b.buffer = [first];
    this.ctx.requestSnapshot(this.snapshotRequest(b.key));
  }

  protected snapshotRequest(instId: string): SnapshotRequest {
    return { key: instId, url: `${this.options.restUrl}${BOOKS_PATH}?instId=${instId}&sz=${this.options.snapshotLimit}`, weight: 1 };
  }

  protected handleSnapshot(b: SyncedBook<Update>, body: string): void {
    const { value, lifted } = parseLifting(body, BOOK_LISTS);
    const res = obj(value, 'books response');
    if (res.code !== '0' && res.code !== 0) throw new MalformedFrameError(`books: code ${String(res.code)} ${String(res.msg)}`);
    const s = obj(arr(res.data, 'data')[0], 'data[0]');
    const limit = this.options.snapshotLimit;
    this.intact.set(b.key, true); // a REST snapshot carries a seqId: the chain is checked from it
    this.loadSnapshot(
      b,
      {
        id: idField(s, 'seqId'),
        bids: levels(s.bids, 'bids', lifted),
        asks: levels(s.asks, 'asks', lifted),
        timestamp: timeField(s, 'ts'),
        // Asked for fewer levels than the channel keeps: the levels in between are unknown until pushed.
        limit: limit < (this.channelDepth.get(b.key) ?? 400) ? limit : undefined,
      },
      this.rule,
    );
  }

  // ---- other channels ----

  private tradeItem(d: Obj): void {
    const instId = text(d, 'instId');
    const inst = this.instrument(instId);
    if (!inst) return;
    const units = this.units(instId, inst.market_type);
    if (!units) return;
    const taker = side(d.side, 'side');
    const ts = timeField(d, 'ts');
    const price = priceField(d, 'px');
    this.trade({
      data_type: 'trade',
      exchange: 'okx',
      ...inst,
      timestamp: ts,
      local_timestamp: this.ctx.now(),
      trade_id: idText(d, 'tradeId'),
      price,
      ...this.sized(units, quantityField(d, 'sz', true), price),
      side: taker,
      is_maker: taker === 'sell', // the buyer was the maker when the taker sold
      trade_time: ts,
    });
  }

  private funding(d: Obj): void {
    const instId = text(d, 'instId');
    const inst = this.instrument(instId);
    if (!inst) return;
    const record: FundingRateRecord = {
      data_type: 'funding_rate',
      exchange: 'okx',
      ...inst,
      timestamp: timeField(d, 'ts'),
      local_timestamp: this.ctx.now(),
      funding_rate: decimalField(d, 'fundingRate'),
      mark_price: this.markPrices.get(instId),
      // The index of a swap's underlying: BTC-USDT-SWAP -> BTC-USDT.
      index_price: this.indexPrices.get(instId.split('-').slice(0, 2).join('-')),
      // fundingTime is the settlement the current rate applies to, nextFundingTime the one after.
      funding_time: optionalTime(d, 'fundingTime'),
      next_funding_time: optionalTime(d, 'nextFundingTime'),
    };
    this.emit(record);
  }

  private openInterest(d: Obj): void {
    const inst = this.instrument(text(d, 'instId'));
    if (inst) this.emit(mapOkxOpenInterestItem(d, inst, this.ctx.now()));
  }

  private liquidations(d: Obj): void {
    const instId = text(d, 'instId');
    const inst = this.instrument(instId);
    if (!inst) return;
    const units = this.units(instId, inst.market_type);
    if (!units) return;
    for (const item of arr(d.details, 'details')) {
      const x = obj(item, 'details[]');
      const ts = timeField(x, 'ts');
      const price = priceField(x, 'bkPx');
      const record: LiquidationRecord = {
        data_type: 'liquidation',
        exchange: 'okx',
        ...inst,
        timestamp: ts,
        local_timestamp: this.ctx.now(),
        side: side(x.side, 'side'),
        // The bankruptcy price: OKX does not report the fill price of a liquidation.
        price,
        ...this.sized(units, quantityField(x, 'sz', true), price),
        liquidation_time: ts,
      };
      this.emit(record);
    }
  }
}

/** Why `u` does not follow seqId `lastId` (or, `bridge`, does not straddle snapshot `lastId`), or undefined. */
function chainProblem(u: Update, lastId: number, bridge = false): string | undefined {
  if (u.prevSeqId === undefined) return undefined; // pre-2022-06 protocol: checksum only
  if (bridge) return u.prevSeqId <= lastId ? undefined : `prevSeqId=${u.prevSeqId} after snapshot seqId ${lastId}: updates missed`;
  return u.prevSeqId === lastId ? undefined : `prevSeqId=${u.prevSeqId} but last seqId=${lastId}`;
}

/** Whether an update can be checked: it carries a seqId chain or a non-zero checksum. */
function hasIntegrity(u: Update): boolean {
  return u.prevSeqId !== undefined || !!u.checksum;
}

function parseUpdate(d: Obj, at: number, lifted: Lifted | undefined): Update {
  return {
    bids: levels(d.bids, 'bids', lifted),
    asks: levels(d.asks, 'asks', lifted),
    ts: timeField(d, 'ts'),
    seqId: optionalId(d, 'seqId'),
    prevSeqId: optionalId(d, 'prevSeqId', true),
    checksum: optionalInt(d, 'checksum'),
    at,
  };
}

// ---- REST bodies ----

function mapOkxOpenInterestItem(d: Obj, inst: Instrument, now: number): OpenInterestRecord {
  return {
    data_type: 'open_interest',
    exchange: 'okx',
    ...inst,
    timestamp: timeField(d, 'ts'),
    local_timestamp: now,
    // oiCcy is OKX's own figure in the base currency (coin, also for inverse swaps); oi counts contracts.
    open_interest: quantityField(d, 'oiCcy'),
    open_interest_raw: quantityField(d, 'oi'),
    open_interest_unit: 'contracts',
    open_interest_value: optionalQuantity(d, 'oiUsd'),
  };
}

/** GET /api/v5/public/open-interest (the same fields as the WebSocket channel). */
export function mapOkxOpenInterest(body: string, now: number): OpenInterestRecord[] {
  return okxData(body).flatMap((item) => {
    const d = obj(item, 'data[]');
    const inst = okxInstrument(text(d, 'instId'));
    return inst ? [mapOkxOpenInterestItem(d, inst, now)] : [];
  });
}

/**
 * Rubik long/short rows `[ts, ratio]`: lsr_top_position from
 * long-short-position-ratio-contract-top-trader, lsr_all_account from
 * long-short-account-ratio-contract (two different endpoints). OKX gives only the
 * ratio r = long/short; the shares are derived as r/(1+r) and 1/(1+r), rounded
 * half-up to 18 decimal places (the storage scale).
 */
export function mapOkxLongShort(
  kind: 'lsr_top_position' | 'lsr_all_account',
  instId: string,
  body: string,
  period: string,
  now: number,
): (LsrTopPositionRecord | LsrAllAccountRecord)[] {
  const inst = okxInstrument(instId);
  if (!inst) throw new MalformedFrameError(`long/short: ${instId} is not a swap`);
  return okxData(body).map((row) => {
    const r = arr(row, 'row');
    const ratio = ratioValue(r[1], 'ratio');
    const [long, short] = shares(ratio);
    const base = { exchange: 'okx', ...inst, timestamp: time(r[0], 'ts'), local_timestamp: now, period } as const;
    return kind === 'lsr_top_position'
      ? { ...base, data_type: kind, long_position_ratio: long, short_position_ratio: short, long_short_ratio: ratio }
      : { ...base, data_type: kind, long_account_ratio: long, short_account_ratio: short, long_short_ratio: ratio };
  });
}

function okxData(body: string): unknown[] {
  const res = obj(JSON.parse(body), 'response');
  if (res.code !== '0' && res.code !== 0) throw new MalformedFrameError(`code ${String(res.code)}: ${String(res.msg)}`);
  return arr(res.data, 'data');
}

const SCALE = 18n;
const ONE = 10n ** SCALE;

/** [r/(1+r), 1/(1+r)] for a non-negative decimal ratio, to 18 places, half-up, in integers. */
export function shares(ratio: string): [string, string] {
  const [i = '0', f = ''] = ratio.split('.');
  const fScaled = BigInt((f + '0'.repeat(Number(SCALE))).slice(0, Number(SCALE)) || '0');
  const r = BigInt(i) * ONE + fScaled; // ratio * 10^18
  const denom = ONE + r;
  const div = (num: bigint) => (num * ONE * 2n + denom) / (denom * 2n); // round half up
  const long = div(r);
  return [fixed(long), fixed(ONE - long)];
}

function fixed(n: bigint): string {
  const s = n.toString().padStart(Number(SCALE) + 1, '0');
  const frac = s.slice(-Number(SCALE)).replace(/0+$/, '');
  return s.slice(0, -Number(SCALE)) + (frac ? '.' + frac : '');
}

// ---- wire types ----

interface Update {
  bids: Level[];
  asks: Level[];
  ts: number;
  seqId: number | undefined;
  prevSeqId: number | undefined;
  checksum: number | undefined;
  at: number;
}
