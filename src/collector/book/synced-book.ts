/**
 * What every venue's book sync shares: the local book, its sync state, the diffs
 * buffered while a snapshot is on its way, the range a depth-limited snapshot makes
 * known, and turning the state into a record. The venue rules (which diff applies,
 * what is a gap) stay in the venue mapper; the steps they drive are in
 * `mappers/base.ts` (`syncStep`, `loadSnapshot`).
 */
import type { Exchange, Level, MarketType, OrderbookRecord } from '../../core/model.js';
import type { QuantityRule } from '../units.js';
import { OrderBook } from './order-book.js';

export type SyncState = 'idle' | 'awaiting_snapshot' | 'synced';

/** Diffs held while waiting for a snapshot; beyond this the oldest go (they predate any new snapshot). */
export const MAX_BUFFERED_DIFFS = 2000;

/** At most one depth refresh (re-snapshot of a book grown thin) per book in this time, ms. */
export const REFRESH_INTERVAL_MS = 5000;

export class SyncedBook<D> {
  readonly book = new OrderBook();
  state: SyncState = 'idle';
  buffer: D[] = [];
  /** Last applied sequence id (Binance u, OKX seqId, Deribit change_id). */
  lastId = 0;
  /** Exchange time of the state in `book`, ms. */
  timestamp = 0;
  localTimestamp = 0;
  /** The connection that last fed this book. */
  conn = '';
  /**
   * Set by a snapshot that no buffered diff followed: the next diff must bridge the
   * snapshot (the venue's first-diff rule), not chain to it.
   */
  bridging = false;
  /**
   * A depth refresh is on its way: the book stays synced and published, and every diff
   * applied meanwhile is also buffered, so the new snapshot takes over exactly as a
   * first one would.
   */
  refreshing = false;
  /** When the last depth refresh was asked for (the adapter's clock), ms. */
  refreshedAt = -Infinity;
  /** Per side, fewer known levels than this makes the book thin (see `thin`). */
  private wanted = { bids: 0, asks: 0 };

  constructor(
    /** The venue's name for the instrument; snapshots are keyed by it. */
    readonly key: string,
    readonly exchange: Exchange,
    readonly market_type: MarketType,
    readonly symbol: string,
    private readonly depth: number,
  ) {}

  buffered(diff: D): void {
    this.buffer.push(diff);
    if (this.buffer.length > MAX_BUFFERED_DIFFS) this.buffer.shift();
  }

  reset(): void {
    this.book.clear();
    this.state = 'idle';
    this.buffer = [];
    this.lastId = 0;
    this.bridging = false;
    this.refreshing = false;
  }

  /**
   * Replaces the book with a snapshot at `id`. `limit`: the levels per side the venue
   * was asked for; a side that came back that full may go on beyond its worst level,
   * so that level becomes the side's boundary (undefined: the snapshot is the venue's
   * whole view, e.g. an OKX pushed snapshot). Returns how many levels of quantity 0 it
   * left out.
   */
  load(bids: readonly Level[], asks: readonly Level[], id: number, limit?: number): number {
    const zero = this.book.bids.load(bids) + this.book.asks.load(asks);
    const bounded = (n: number) => limit !== undefined && n >= limit;
    if (bounded(bids.length)) this.book.bids.setBoundary();
    if (bounded(asks.length)) this.book.asks.setBoundary();
    // A side never reaches `depth` known levels again once a refresh could not give it more.
    this.wanted = { bids: Math.min(this.depth, this.book.bids.known()), asks: Math.min(this.depth, this.book.asks.known()) };
    this.state = 'synced';
    this.buffer = [];
    this.lastId = id;
    this.bridging = false;
    this.refreshing = false;
    return zero;
  }

  /**
   * True when a side bounded by a snapshot knows fewer levels than the published depth
   * (the price walked toward the boundary): time for a new snapshot.
   */
  thin(): boolean {
    const side = (s: 'bids' | 'asks') => this.book[s].boundary !== undefined && this.book[s].known() < this.wanted[s];
    return side('bids') || side('asks');
  }

  /**
   * The published form: top `depth` levels per side with quantities in the base asset
   * (`units` converts the venue's own, which are kept beside them), or undefined while
   * not in sync.
   */
  record(units: QuantityRule): OrderbookRecord | undefined {
    if (this.state !== 'synced') return undefined;
    // Only the known range: a level past a side's boundary may hide others never sent.
    const nb = Math.min(this.depth, this.book.bids.known());
    const na = Math.min(this.depth, this.book.asks.known());
    let bids: Level[], asks: Level[];
    let bidsRaw: string[] | undefined, asksRaw: string[] | undefined;
    if (units.unit === 'base') {
      bids = this.book.bids.publishedTop(nb);
      asks = this.book.asks.publishedTop(na);
    } else {
      ({ levels: bids, raw: bidsRaw } = this.book.bids.topInBase(nb, units));
      ({ levels: asks, raw: asksRaw } = this.book.asks.topInBase(na, units));
    }
    // One object literal of one shape (no spread): built for every published book.
    return {
      data_type: 'orderbook',
      exchange: this.exchange,
      market_type: this.market_type,
      symbol: this.symbol,
      timestamp: this.timestamp,
      local_timestamp: this.localTimestamp,
      last_update_id: String(this.lastId),
      bids,
      asks,
      quantity_unit: units.unit,
      bids_raw: bidsRaw,
      asks_raw: asksRaw,
    };
  }
}
