/**
 * What every venue's book sync shares: the local book, its sync state, the diffs
 * buffered while a snapshot is on its way, and turning the state into a record.
 * The venue rules (which diff applies, what is a gap) stay in the venue mapper.
 */
import type { Exchange, MarketType, OrderbookRecord } from '../../core/model.js';
import { OrderBook } from './order-book.js';

export type SyncState = 'idle' | 'awaiting_snapshot' | 'synced';

/** Diffs held while waiting for a snapshot; beyond this the oldest go (they predate any new snapshot). */
export const MAX_BUFFERED_DIFFS = 2000;

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
  }

  /** The published form: top `depth` levels per side, or undefined while not in sync. */
  record(): OrderbookRecord | undefined {
    if (this.state !== 'synced') return undefined;
    return {
      data_type: 'orderbook',
      exchange: this.exchange,
      market_type: this.market_type,
      symbol: this.symbol,
      timestamp: this.timestamp,
      local_timestamp: this.localTimestamp,
      last_update_id: String(this.lastId),
      bids: this.book.bids.top(this.depth),
      asks: this.book.asks.top(this.depth),
    };
  }
}
