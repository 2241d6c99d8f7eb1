/**
 * What every venue's book sync shares: the local book, its sync state, the diffs
 * buffered while a snapshot is on its way, and turning the state into a record.
 * The venue rules (which diff applies, what is a gap) stay in the venue mapper.
 */
import type { Exchange, Level, MarketType, OrderbookRecord } from '../../core/model.js';
import type { QuantityRule } from '../units.js';
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

  /**
   * The published form: top `depth` levels per side with quantities in the base asset
   * (`units` converts the venue's own, which are kept beside them), or undefined while
   * not in sync.
   */
  record(units: QuantityRule): OrderbookRecord | undefined {
    if (this.state !== 'synced') return undefined;
    const bids = this.book.bids.top(this.depth);
    const asks = this.book.asks.top(this.depth);
    const base = units.unit === 'base';
    return {
      data_type: 'orderbook',
      exchange: this.exchange,
      market_type: this.market_type,
      symbol: this.symbol,
      timestamp: this.timestamp,
      local_timestamp: this.localTimestamp,
      last_update_id: String(this.lastId),
      bids: base ? bids : inBase(bids, units),
      asks: base ? asks : inBase(asks, units),
      quantity_unit: units.unit,
      bids_raw: base ? undefined : bids.map((l) => l[1]),
      asks_raw: base ? undefined : asks.map((l) => l[1]),
    };
  }
}

function inBase(levels: readonly Level[], units: QuantityRule): Level[] {
  return levels.map(([p, q]) => [p, units.toBase(q, p)] as const);
}
