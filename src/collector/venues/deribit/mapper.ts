/**
 * Deribit JSON-RPC subscriptions -> records. Deribit sends prices and amounts as
 * JSON numbers, so frames are parsed keeping number text (../json.ts).
 *   book.{instrument}.{interval}: the first notification is a snapshot, then
 *     changes whose prev_change_id must equal the last change_id; on a mismatch the
 *     channel is resubscribed (the venue's rule), which brings a new snapshot.
 *   deribit_volatility_index.{index}: DVOL -> volatility_index.
 *   ticker.{instrument}.{interval}: perpetual funding and open interest, at most
 *     one record of each per instrument per `tickerIntervalMs`.
 */
import { multiplyDecimal } from '../../../core/decimal-math.js';
import type { MarketRecord, MarketType } from '../../../core/model.js';
import { BASE_UNITS, QUOTE_UNITS, type QuantityRule } from '../../units.js';
import type { AdapterContext } from '../../adapter.js';
import type { SyncedBook } from '../../book/synced-book.js';
import { parseJsonKeepNumbers } from '../../json.js';
import { deribitInstrument } from './symbols.js';
import { BaseAdapter, type AdapterOptions } from '../../mappers/base.js';
import { isZero } from '../../../core/decimal.js';
import {
  arr,
  idField,
  MalformedFrameError,
  obj,
  optionalDecimal,
  optionalId,
  optionalPrice,
  optionalQuantity,
  price,
  priceField,
  quantity,
  text,
  time,
  timeField,
  type Obj,
} from '../../mappers/wire.js';

/** One level change: a price and its new amount (0: the level goes). */
type Change = readonly [price: string, amount: string];

export interface DeribitOptions extends AdapterOptions {
  /** Minimum spacing of funding/open-interest records per instrument (ticker streams at 100 ms). */
  tickerIntervalMs: number;
}

export function createDeribitAdapter(ctx: AdapterContext, opts: DeribitOptions): DeribitAdapter {
  return new DeribitAdapter(ctx, opts);
}

export class DeribitAdapter extends BaseAdapter<never> {
  /** Book key -> its subscription channel, for resubscribing. */
  private readonly channels = new Map<string, string>();
  private readonly lastTicker = new Map<string, number>();

  constructor(
    ctx: AdapterContext,
    private readonly options: DeribitOptions,
  ) {
    super(ctx, options);
  }

  snapshotKeyOf(): string | undefined {
    return undefined; // books come from the subscription's own snapshot
  }

  protected restRows(): MarketRecord[] | undefined {
    return undefined; // everything streams
  }

  /** Inverse contracts (settled in the coin, BTC-PERPETUAL) count USD; linear ones (BTC_USDC-PERPETUAL) and options the base asset. */
  protected unitsOf(name: string, market: MarketType): QuantityRule {
    return isInverse(name, market) ? QUOTE_UNITS : BASE_UNITS;
  }

  protected handleSnapshot(): void {
    // never asked for
  }

  protected snapshotRequest(): undefined {
    return undefined; // a resubscription brings the snapshot
  }

  protected handle(conn: string, frame: string): void {
    const msg = obj(parseJsonKeepNumbers(frame), 'frame');
    if (msg.error !== undefined) {
      const e = obj(msg.error, 'error');
      this.ctx.problem('venue_error', { message: `${String(e.code)}: ${String(e.message)}` });
      return;
    }
    if (msg.method !== 'subscription') return; // results, heartbeats (answered by the feed)
    const params = obj(msg.params, 'params');
    const channel = text(params, 'channel');
    const data = obj(params.data, 'data');
    const kind = channel.slice(0, channel.indexOf('.'));
    if (kind === 'book') this.bookNote(conn, channel, data);
    else if (kind === 'deribit_volatility_index') this.dvol(data);
    else if (kind === 'ticker') this.ticker(data);
  }

  // ---- order book ----

  private bookNote(conn: string, channel: string, d: Obj): void {
    const name = text(d, 'instrument_name');
    const parsed = deribitInstrument(name);
    if (!parsed) {
      this.ctx.problem('unsupported', { symbol: name, message: `${name} is not a perpetual or option` });
      return;
    }
    const inst = this.admit(name, parsed);
    if (!inst) return;
    if (channel.split('.').length !== 3) throw new MalformedFrameError(`${channel}: grouped book channels carry no change chain`);
    const b = this.book(name, 'deribit', inst.market_type, inst.symbol);
    b.conn = conn;
    this.channels.set(name, channel);
    const snapshot = d.type === 'snapshot';
    if (!snapshot && b.state !== 'synced') return; // waiting for the snapshot a resubscription brings
    // The whole notification is read before any of it is applied: a bad value leaves nothing half-applied.
    let note: { changeId: number; prev: number | undefined; timestamp: number; bids: Change[]; asks: Change[]; zero: number };
    try {
      const zero = { n: 0 };
      note = {
        changeId: idField(d, 'change_id'),
        prev: snapshot ? undefined : optionalId(d, 'prev_change_id', true),
        timestamp: timeField(d, 'timestamp'),
        bids: changes(arr(d.bids, 'bids'), zero),
        asks: changes(arr(d.asks, 'asks'), zero),
        zero: 0,
      };
      note.zero = zero.n;
    } catch (err) {
      // The book misses this change: resubscribe (a new snapshot), as after a gap.
      return this.badBookMessage(b, err);
    }
    if (snapshot) {
      b.book.clear();
      b.state = 'synced';
    } else if (note.prev !== b.lastId) {
      this.dropBook(b, 'gap', `prev_change_id=${String(note.prev)} but last change_id=${b.lastId}`);
      return this.afterDrop(name, b);
    }
    // "new"/"change" to 0 means nothing (Deribit removes with "delete"): the level goes, and it is counted.
    if (note.zero > 0) this.ctx.problem('bad_quantity', { symbol: inst.symbol, message: `${note.zero} level(s) set to amount 0: removed` });
    for (const l of note.bids) b.book.bids.setLevel(l);
    for (const l of note.asks) b.book.asks.setLevel(l);
    b.lastId = note.changeId;
    b.timestamp = note.timestamp;
    b.localTimestamp = this.ctx.now();
    this.changed(name, b);
  }

  protected afterDrop(key: string, b: SyncedBook<never>): void {
    const channel = this.channels.get(key);
    if (!channel) return;
    b.state = 'awaiting_snapshot';
    const rpc = (method: string) => JSON.stringify({ jsonrpc: '2.0', id: Date.now(), method, params: { channels: [channel] } });
    this.ctx.send(b.conn, rpc('public/unsubscribe'));
    this.ctx.send(b.conn, rpc('public/subscribe'));
  }

  // ---- indices and tickers ----

  private dvol(d: Obj): void {
    const index = text(d, 'index_name'); // "btc_usd"
    const [base = '', quote = ''] = index.toUpperCase().split('_');
    if (!base || !quote) throw new MalformedFrameError(`index_name ${index}`);
    this.emit({
      data_type: 'volatility_index',
      exchange: 'deribit',
      market_type: 'options',
      symbol: `${base}-${quote}`,
      timestamp: timeField(d, 'timestamp'),
      local_timestamp: this.ctx.now(),
      index_value: priceField(d, 'volatility'),
      underlying_asset: base,
      maturity_date: undefined,
    });
  }

  private ticker(d: Obj): void {
    const name = text(d, 'instrument_name');
    const inst = this.admit(name, deribitInstrument(name));
    if (!inst || inst.market_type !== 'perpetual') return;
    const now = this.ctx.now();
    if (now - (this.lastTicker.get(name) ?? -Infinity) < this.options.tickerIntervalMs) return;
    this.lastTicker.set(name, now);
    const base = {
      exchange: 'deribit',
      market_type: 'perpetual' as MarketType,
      symbol: inst.symbol,
      timestamp: time(d.timestamp, 'timestamp'),
      local_timestamp: now,
    } as const;
    const mark = optionalPrice(d, 'mark_price');
    const funding = optionalDecimal(d, 'funding_8h') ?? optionalDecimal(d, 'current_funding');
    if (funding !== undefined) {
      this.emit({
        ...base,
        data_type: 'funding_rate',
        funding_rate: funding,
        mark_price: mark,
        index_price: optionalPrice(d, 'index_price'),
        funding_time: undefined,
        next_funding_time: undefined,
      });
    }
    const oi = optionalQuantity(d, 'open_interest');
    if (oi !== undefined && mark !== undefined) {
      // Inverse perpetuals count open interest in USD, which is the notional; base = USD / mark price.
      const rule = this.unitsOf(name, inst.market_type);
      this.emit({
        ...base,
        data_type: 'open_interest',
        open_interest: rule.toBase(oi, mark),
        open_interest_raw: oi,
        open_interest_unit: rule.unit,
        open_interest_value: rule.unit === 'quote' ? oi : multiplyDecimal(oi, mark),
      });
    }
  }
}

/** Deribit levels `[action, price, amount]` as [price, new amount]; `zero.n` counts new/change to 0. */
function changes(levels: unknown[], zero: { n: number }): Change[] {
  return levels.map((c) => {
    const [action, px, amount] = arr(c, 'level');
    const p = price(px, 'price');
    if (action === 'delete') return [p, '0'] as const;
    if (action !== 'new' && action !== 'change') throw new MalformedFrameError(`level action ${String(action)}`);
    const q = quantity(amount, 'amount');
    if (isZero(q)) zero.n++;
    return [p, q] as const;
  });
}

function isInverse(name: string, market: MarketType): boolean {
  return market !== 'options' && !name.includes('_');
}
