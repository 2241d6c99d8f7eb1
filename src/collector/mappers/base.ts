/**
 * The part of every venue adapter that is not venue-specific: never letting a bad
 * frame escape, books keyed by venue instrument, trade de-duplication (overlapping
 * connections during rotation deliver some trades twice), and resync bookkeeping.
 */
import type { Exchange, MarketRecord, MarketType, QuantityUnit, TradeRecord } from '../../core/model.js';
import type { AdapterContext, Problem, VenueAdapter } from '../adapter.js';
import { SyncedBook } from '../book/synced-book.js';
import type { QuantityRule } from '../units.js';
import { MalformedFrameError } from './wire.js';

export interface AdapterOptions {
  /** Levels per side in each published book. */
  depth: number;
}

/** Remembers the last `max` keys (insertion order), for exactly-once trades. */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly max: number) {}

  /** True the first time a key is seen. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
    return true;
  }
}

export abstract class BaseAdapter<D> implements VenueAdapter {
  protected readonly books = new Map<string, SyncedBook<D>>();
  private readonly trades = new RecentKeys(50_000);
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
    const rows = this.restRows(url, body);
    if (!rows) return undefined;
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
    if (!b || b.state !== 'awaiting_snapshot') return; // superseded (e.g. the book resynced meanwhile)
    try {
      this.handleSnapshot(b, body);
    } catch (err) {
      b.reset(); // the next diff asks again
      this.fault(err, b.symbol);
    }
  }

  onSnapshotFailed(key: string, err: Error): void {
    const b = this.books.get(key);
    if (!b || b.state !== 'awaiting_snapshot') return;
    b.reset();
    this.ctx.problem('snapshot_failed', { symbol: b.symbol, message: err.message });
  }

  connectionLost(conn: string): void {
    for (const b of this.books.values()) {
      if (b.conn === conn && b.state !== 'idle') {
        b.reset();
        this.ctx.resync(b.symbol, 'reconnect');
      }
    }
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

  /** Publishes the book state at this message boundary (throttled by the context). */
  protected changed(key: string, b: SyncedBook<D>): void {
    if (b.book.crossed()) {
      this.dropBook(b, 'crossed', `best bid ${b.book.bids.best()?.[0]} >= best ask ${b.book.asks.best()?.[0]}`);
      this.afterDrop(key, b);
      return;
    }
    this.ctx.bookChanged(key, () => {
      const units = this.units(b.key, b.market_type);
      return units && b.record(units);
    });
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
    if (this.trades.add(`${t.market_type}:${t.symbol}:${t.trade_id}`)) this.ctx.emit(t);
  }

  protected fault(err: unknown, symbol: string | undefined): void {
    const message = err instanceof Error ? err.message : String(err);
    // Anything else than a bad frame is a bug of ours: still never fatal, but labelled.
    const venueFault = err instanceof MalformedFrameError || err instanceof SyntaxError;
    this.ctx.problem('malformed', { symbol, message: venueFault ? message : `internal: ${message}` });
  }
}

