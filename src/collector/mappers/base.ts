/**
 * The part of every venue adapter that is not venue-specific: never letting a bad
 * frame escape, books keyed by venue instrument, trade de-duplication (overlapping
 * connections during rotation deliver some trades twice), and resync bookkeeping.
 */
import type { Exchange, Level, MarketRecord, MarketType, OrderbookRecord, QuantityUnit, TradeRecord } from '../../core/model.js';
import type { AdapterContext, Problem, SnapshotRequest, VenueAdapter } from '../adapter.js';
import { REFRESH_INTERVAL_MS, SyncedBook } from '../book/synced-book.js';
import { InvalidRecordError, MAX_MS, MIN_MS, validateRecord } from '../../core/validate.js';
import type { QuantityRule } from '../units.js';
import { BadValueError, MalformedFrameError } from './wire.js';
import { RecentKeys, TRADE_KEY_WINDOW_MS, TRADE_KEYS_MAX } from './recent-keys.js';

export interface AdapterOptions {
  /** Levels per side in each published book. */
  depth: number;
}

/**
 * A venue's sequence rule for books kept from diffs (Binance `U`/`u`/`pu`, OKX
 * `prevSeqId`/`seqId`): what the shared steps `syncStep` and `loadSnapshot` ask.
 */
export interface SequenceRule<D> {
  /** `d` is already contained in a snapshot with id `id` (dropped when the snapshot loads). */
  inSnapshot(d: D, id: number): boolean;
  /** `d` is already in the synced book `b` (a repeat, e.g. a second connection during rotation): ignored. */
  seen(d: D, b: SyncedBook<D>): boolean;
  /** Why `d` cannot be the first diff after snapshot `id`, or undefined. */
  bridgeProblem(d: D, id: number): string | undefined;
  /** Why `d` does not follow the diff that left the book at `id`, or undefined. */
  chainProblem(d: D, id: number): string | undefined;
  /** Applies `d` (levels, last id, timestamps). */
  apply(b: SyncedBook<D>, d: D): void;
  /** After `apply`: false when an integrity check (OKX checksum) dropped the book. */
  verify(b: SyncedBook<D>, d: D): boolean;
  /** A gap at `d` dropped the book: start again (new snapshot, resubscription). */
  restart(b: SyncedBook<D>, d: D): void;
  /** The venue's time of `d`, ms. */
  time(d: D): number;
}

/** A REST snapshot as the shared `loadSnapshot` takes it. */
export interface BookSnapshot {
  id: number;
  bids: Level[];
  asks: Level[];
  /** The venue's time of the snapshot, when it states one. */
  timestamp: number | undefined;
  /** Levels per side asked for; a side as full as this is bounded (see SyncedBook.load). */
  limit: number | undefined;
}

/**
 * Distinct instruments one adapter keeps state for (books, mark prices, ticker slots). Far
 * above any venue's list (Binance spot about 2,000, OKX about 1,000), so only a peer that
 * names new instruments without end reaches it: those are counted, not remembered.
 */
export const MAX_INSTRUMENTS = 10_000;

export abstract class BaseAdapter<D> implements VenueAdapter {
  protected readonly books = new Map<string, SyncedBook<D>>();
  private readonly admitted = new Set<string>();
  private readonly trades = new RecentKeys(TRADE_KEY_WINDOW_MS, TRADE_KEYS_MAX);
  /** Newest polled row per type, instrument and period: polls return overlapping windows. */
  private readonly lastRow = new Map<string, number>();

  constructor(
    protected readonly ctx: AdapterContext,
    protected readonly opts: AdapterOptions,
  ) {}

  protected abstract handle(conn: string, text: string): void;
  /** The records in a polled body (every row it holds), or undefined when the URL is not polled. */
  protected abstract restRows(url: string, body: string): MarketRecord[] | undefined;
  /**
   * How the venue's quantities of instrument `wire` become base quantities, or
   * undefined when that needs metadata not loaded (yet).
   */
  protected abstract unitsOf(wire: string, market: MarketType): QuantityRule | undefined;
  protected abstract handleSnapshot(book: SyncedBook<D>, body: string): void;
  abstract snapshotKeyOf(url: string): string | undefined;
  /** The REST snapshot request for a book, or undefined where books come from the stream alone. */
  protected abstract snapshotRequest(key: string): SnapshotRequest | undefined;

  onMessage(conn: string, text: string): void {
    try {
      this.handle(conn, text);
    } catch (err) {
      this.fault(err, undefined);
    }
  }

  /**
   * The rows of a polled body that are newer than any seen before, oldest first: a poll
   * after missed ones brings back every bucket its window still holds, and replaying the
   * recorded bodies gives exactly the records live gave.
   */
  restRecords(url: string, body: string): MarketRecord[] | undefined {
    let all: MarketRecord[] | undefined;
    try {
      all = this.restRows(url, body);
    } catch (err) {
      if (!(err instanceof BadValueError)) throw err;
      // A value the model cannot hold: the body is dropped and counted by its own problem.
      this.ctx.problem(err.problem, { message: `${new URL(url).pathname}: ${err.message}` });
      return [];
    }
    if (!all) return undefined;
    const rows = all.filter((r) => this.valid(r, r.symbol));
    const keyOf = (r: MarketRecord) => `${r.data_type}:${r.market_type}:${r.symbol}:${'period' in r ? r.period : ''}`;
    const newest = new Map<string, number>();
    const fresh = rows.filter((r) => {
      const key = keyOf(r);
      newest.set(key, Math.max(newest.get(key) ?? 0, r.timestamp));
      return r.timestamp > (this.lastRow.get(key) ?? 0);
    });
    for (const [key, ts] of newest) this.lastRow.set(key, Math.max(ts, this.lastRow.get(key) ?? 0));
    return fresh.sort((a, b) => a.timestamp - b.timestamp);
  }

  onSnapshot(key: string, body: string): void {
    const b = this.books.get(key);
    if (!b || (b.state !== 'awaiting_snapshot' && !b.refreshing)) return; // superseded (e.g. the book resynced meanwhile)
    try {
      this.handleSnapshot(b, body);
    } catch (err) {
      this.snapshotLost(b); // the next diff asks again
      this.fault(err, b.symbol);
    }
  }

  onSnapshotFailed(key: string, err: Error): void {
    const b = this.books.get(key);
    if (!b || (b.state !== 'awaiting_snapshot' && !b.refreshing)) return;
    this.snapshotLost(b);
    this.ctx.problem('snapshot_failed', { symbol: b.symbol, message: err.message });
  }

  /** A snapshot that will not come: a book waiting for it starts over; a refreshed one stays as it is. */
  private snapshotLost(b: SyncedBook<D>): void {
    if (b.state === 'synced') {
      b.refreshing = false;
      b.buffer = [];
    } else {
      b.reset();
    }
  }

  connectionLost(conn: string): void {
    for (const b of this.books.values()) {
      if (b.conn === conn && b.state !== 'idle') {
        b.reset();
        this.ctx.resync(b.symbol, 'reconnect');
      }
    }
  }

  /**
   * `inst` for `wire` while the adapter holds state for fewer than MAX_INSTRUMENTS
   * instruments (or already for this one); past that, undefined, counted as `unsupported`.
   * Every per-instrument map is filled only after this check.
   */
  protected admit<T>(wire: string, inst: T | undefined): T | undefined {
    if (inst === undefined || this.admitted.has(wire)) return inst;
    if (this.admitted.size >= MAX_INSTRUMENTS) {
      this.ctx.problem('unsupported', { symbol: wire.slice(0, 64), message: `more than ${MAX_INSTRUMENTS} instruments on one venue: ignored` });
      return undefined;
    }
    this.admitted.add(wire);
    return inst;
  }

  protected book(key: string, exchange: Exchange, market: MarketType, symbol: string): SyncedBook<D> {
    let b = this.books.get(key);
    if (!b) {
      b = new SyncedBook<D>(key, exchange, market, symbol, this.opts.depth);
      this.books.set(key, b);
    }
    return b;
  }

  /** Drops the book after a sequence or integrity failure; the venue rule decides how it is rebuilt. */
  protected dropBook(b: SyncedBook<D>, reason: Problem, message: string): void {
    this.ctx.problem(reason, { symbol: b.symbol, message });
    this.ctx.resync(b.symbol, reason);
    b.reset();
  }

  /**
   * One diff on a synced book, by the venue's rule: ignored when already in the book,
   * else it must bridge the snapshot (first diff after it) or chain to the last one; a
   * break drops the book and restarts it. Live diffs and buffered ones (after a
   * snapshot) take this same path, so a repeated or lagging diff never moves the book
   * back. While a depth refresh is on its way, applied diffs are also buffered.
   */
  protected syncStep(b: SyncedBook<D>, d: D, rule: SequenceRule<D>): 'ignored' | 'applied' | 'dropped' {
    if (rule.seen(d, b)) return 'ignored';
    const problem = b.bridging ? rule.bridgeProblem(d, b.lastId) : rule.chainProblem(d, b.lastId);
    b.bridging = false;
    if (problem) {
      this.dropBook(b, 'gap', problem);
      rule.restart(b, d);
      return 'dropped';
    }
    rule.apply(b, d);
    if (!rule.verify(b, d)) return 'dropped';
    if (b.refreshing) b.buffered(d);
    return 'applied';
  }

  /**
   * A REST snapshot for `b`: diffs it contains are dropped; if the rest do not start
   * where it ends (it predates them) another is asked for; else it replaces the book
   * and the buffered diffs follow through `syncStep`, and the result is published.
   */
  protected loadSnapshot(b: SyncedBook<D>, s: BookSnapshot, rule: SequenceRule<D>): void {
    const dropped = b.buffer.filter((d) => rule.inSnapshot(d, s.id));
    const kept = b.buffer.filter((d) => !rule.inSnapshot(d, s.id));
    const first = kept[0];
    // A refresh answered by a snapshot older than the book would move it backwards.
    const older = first ? rule.bridgeProblem(first, s.id) !== undefined : b.state === 'synced' && s.id < b.lastId;
    if (older) {
      b.buffer = kept; // the snapshot predates the buffered diffs: ask again (through the rate limiter)
      const req = this.snapshotRequest(b.key);
      if (req) this.ctx.requestSnapshot(req);
      return;
    }
    this.zeroLevels(b, b.load(s.bids, s.asks, s.id, s.limit));
    b.bridging = true;
    // The snapshot is at least as new as every dropped diff, so the newest of them dates it.
    const last = dropped.at(-1);
    b.timestamp = s.timestamp ?? (last && rule.time(last)) ?? (first && rule.time(first)) ?? this.ctx.now();
    b.localTimestamp = this.ctx.now();
    for (const d of kept) if (this.syncStep(b, d, rule) === 'dropped') return;
    this.changed(b.key, b);
  }

  /**
   * Whether a crossed book (best bid >= best ask) can be right. By default it cannot:
   * it is dropped and rebuilt. A venue whose books legitimately cross says so here.
   */
  protected crossedIsValid(_b: SyncedBook<D>): boolean {
    return false;
  }

  /** Asks for a new snapshot of a synced book whose known range grew thinner than the depth. */
  private refreshIfThin(b: SyncedBook<D>): void {
    if (b.refreshing || !b.thin() || this.ctx.now() - b.refreshedAt < REFRESH_INTERVAL_MS) return;
    const req = this.snapshotRequest(b.key);
    if (!req) return;
    b.refreshing = true;
    b.refreshedAt = this.ctx.now();
    b.buffer = [];
    this.ctx.requestSnapshot(req);
  }

  /** Publishes the book state at this message boundary (throttled by the context). */
  protected changed(key: string, b: SyncedBook<D>): void {
    if (b.book.crossed()) {
      const message = `best bid ${b.book.bids.best()?.[0]} >= best ask ${b.book.asks.best()?.[0]}`;
      if (this.crossedIsValid(b)) {
        this.ctx.problem('crossed_auction', { symbol: b.symbol, message: `${message}, sequence intact: published` });
      } else {
        this.dropBook(b, 'crossed', message);
        this.afterDrop(key, b);
        return;
      }
    }
    this.refreshIfThin(b);
    this.ctx.bookChanged(key, () => {
      // Runs now or on the publish-interval timer: it must not throw, and publishes only a valid record.
      try {
        const units = this.units(b.key, b.market_type);
        const r = units && b.record(units);
        return r && this.validBook(r) ? r : undefined;
      } catch (err) {
        this.fault(err, b.symbol);
        return undefined;
      }
    });
  }

  /**
   * A snapshot level of quantity 0 means nothing (a removal needs a level to remove):
   * it is not loaded, and counted. The rest of the snapshot stands.
   */
  protected zeroLevels(b: SyncedBook<D>, zero: number): void {
    if (zero > 0) this.ctx.problem('bad_quantity', { symbol: b.symbol, message: `snapshot: ${zero} level(s) of quantity 0 not loaded` });
  }

  /**
   * A book message that could not be used (a bad value, a malformed level): the book
   * missed a change the venue made, so it cannot be trusted. It is dropped (counted
   * once, by the value's problem) and rebuilt by the venue's rule (afterDrop).
   */
  protected badBookMessage(b: SyncedBook<D> | undefined, err: unknown): void {
    if (!b || b.state === 'idle') return this.fault(err, b?.symbol);
    const { kind, message } = this.classify(err);
    this.dropBook(b, kind, message);
    this.afterDrop(b.key, b);
  }

  /** A finished record, checked against the data model first: one that fails is counted and dropped. */
  protected emit(r: MarketRecord): void {
    if (this.valid(r, r.symbol)) this.ctx.record(r);
  }

  /** Books whose constant fields passed the data model (at most one per admitted instrument and unit). */
  private readonly checkedHeads = new Set<string>();

  /**
   * `valid` for a book record, without the cost of checking 800 level texts per publish:
   * held levels were checked as they were read (wire.ts: positive prices, quantities not
   * negative, 0 never held) and levels converted to base as they were converted
   * (order-book.ts baseLevel: overflow, or rounding to 0, throws and nothing is published).
   * What is left are the scalars: exchange, market, symbol and unit are the book's own and
   * checked once per book (a success is remembered, a failure checked again); of the
   * fields that change, last_update_id is String() of an id wire.ts read as a non-negative
   * safe integer (a UInt64 by construction) and the times are checked here.
   */
  private validBook(r: OrderbookRecord): boolean {
    const head = `${r.exchange}|${r.market_type}|${r.symbol}|${r.quantity_unit}`;
    if (this.checkedHeads.has(head) && inTableRange(r.timestamp) && inTableRange(r.local_timestamp)) return true;
    const scalars = { ...r, bids: [], asks: [], bids_raw: r.bids_raw && [], asks_raw: r.asks_raw && [] };
    if (!this.valid(scalars, r.symbol)) return false;
    this.checkedHeads.add(head);
    return true;
  }

  /**
   * The last check before a record leaves the adapter: values the mappers let through
   * but the model rejects (a quantity too large once converted to base, a derived
   * notional beyond Decimal(38, 18)) are counted by the field's problem.
   */
  private valid(r: MarketRecord, symbol: string): boolean {
    try {
      validateRecord(r);
      return true;
    } catch (err) {
      if (!(err instanceof InvalidRecordError)) throw err;
      this.ctx.problem(problemOfField(err), { symbol, message: `${r.data_type} not published: ${err.message}` });
      return false;
    }
  }

  /** unitsOf, counting (and so logging, rate-limited) an instrument whose units are unknown. */
  protected units(wire: string, market: MarketType): QuantityRule | undefined {
    const rule = this.unitsOf(wire, market);
    if (!rule) this.ctx.problem('unknown_instrument', { symbol: wire, message: `no contract size known for ${wire}: its quantities are not published` });
    return rule;
  }

  /** A quantity in base with the venue's own figure beside it. */
  protected sized(rule: QuantityRule, raw: string, price: string): { quantity: string; quantity_raw: string; quantity_unit: QuantityUnit } {
    return { quantity: rule.toBase(raw, price), quantity_raw: raw, quantity_unit: rule.unit };
  }

  /** What a venue does once a book was dropped by `changed` (request a snapshot, resubscribe). */
  protected abstract afterDrop(key: string, b: SyncedBook<D>): void;

  protected trade(t: TradeRecord): void {
    // Checked first: an invalid copy must not use up the id a valid one may still bring.
    if (this.valid(t, t.symbol) && this.trades.add(`${t.market_type}:${t.symbol}:${t.trade_id}`)) this.ctx.record(t);
  }

  protected fault(err: unknown, symbol: string | undefined): void {
    const { kind, message } = this.classify(err);
    this.ctx.problem(kind, { symbol, message });
  }

  private classify(err: unknown): { kind: Problem; message: string } {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof BadValueError) return { kind: err.problem, message };
    // Anything else than a bad frame is a bug of ours: still never fatal, but labelled.
    const venueFault = err instanceof MalformedFrameError || err instanceof SyntaxError;
    return { kind: 'malformed', message: venueFault ? message : `internal: ${message}` };
  }
}

/** A time the tables hold (validate.ts's rule for `time` fields). */
function inTableRange(ms: number): boolean {
  return Number.isInteger(ms) && ms >= MIN_MS && ms <= MAX_MS;
}

/** The problem a record rejected by the data model counts as, by the field that failed. */
function problemOfField(err: InvalidRecordError): Problem {
  const f = err.field;
  if (f === 'bids' || f === 'asks') return err.problem.includes('price') ? 'bad_price' : 'bad_quantity';
  if (f === 'price' || f.endsWith('_price') || f === 'index_value') return 'bad_price';
  if (f.startsWith('quantity') || f.startsWith('open_interest') || f.endsWith('_raw')) return 'bad_quantity';
  if (f === 'trade_id' || f === 'last_update_id') return 'bad_id';
  if (f === 'timestamp' || f.endsWith('_timestamp') || f.endsWith('_time')) return 'bad_time';
  return 'malformed';
}
