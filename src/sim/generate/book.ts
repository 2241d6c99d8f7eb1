/**
 * A synthetic order book in integer ticks and lots whose updates carry ids the way the
 * venues number them. Updates happen one at a time (`mutate`, `trade`), each with an
 * id; a push (`flush`) covers every update since the previous push: first id `U`,
 * last id `u`, previous push's last id `pu`. A push lists the net absolute quantity
 * of every level it touched, so replaying pushes over any older state is exact.
 */
import type { Rng } from './rng.js';

export type BookSide = 'bid' | 'ask';
/** Price in ticks, quantity in lots; quantity 0 removes the level. */
export interface LevelChange {
  side: BookSide;
  price: number;
  qty: number;
  /** Quantity at the previous push (0: the level is new since then). */
  before: number;
}
export interface BookPush {
  first: number;
  last: number;
  prev: number;
  bids: LevelChange[];
  asks: LevelChange[];
}
export interface BookSnapshot {
  id: number;
  bids: [number, number][];
  asks: [number, number][];
}
export interface SimBookOptions {
  midTicks: number;
  firstId: number;
  /** Ids advance by a random step in this range (1..1 = contiguous, as Binance spot). */
  idStep: readonly [number, number];
  /** Levels kept per side; beyond it the farthest level is removed. */
  maxLevels: number;
}

export class SimBook {
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();
  private readonly pending = new Map<string, LevelChange>();
  private pendingFirst: number | undefined;
  /** Best and farthest price of each side, cached (undefined: scan again); the books hold hundreds of levels. */
  private best: Record<BookSide, number | undefined> = { bid: undefined, ask: undefined };
  private worst: Record<BookSide, number | undefined> = { bid: undefined, ask: undefined };
  /** Id of the last update applied. */
  lastId: number;
  /** Last id of the last push. */
  pushedId: number;

  constructor(
    private readonly rng: Rng,
    private readonly opts: SimBookOptions,
  ) {
    this.lastId = this.pushedId = opts.firstId;
    const half = Math.max(2, Math.floor(opts.maxLevels / 2));
    for (let i = 0; i < half; i++) {
      // A cheap instrument's deep book would reach zero: its bid side stops at one tick.
      const bid = opts.midTicks - 1 - i * rng.int(1, 3);
      if (bid > 0) this.bids.set(bid, rng.int(1, 5000));
      this.asks.set(opts.midTicks + 1 + i * rng.int(1, 3), rng.int(1, 5000));
    }
  }

  bestBid(): number {
    return (this.best.bid ??= extreme(this.bids, Math.max));
  }

  bestAsk(): number {
    return (this.best.ask ??= extreme(this.asks, Math.min));
  }

  private worstOf(side: BookSide): number {
    return (this.worst[side] ??= side === 'bid' ? extreme(this.bids, Math.min) : extreme(this.asks, Math.max));
  }

  /** One random update near the top of the book; never crosses the book. */
  mutate(): void {
    const side: BookSide = this.rng.chance(0.5) ? 'bid' : 'ask';
    const levels = side === 'bid' ? this.bids : this.asks;
    const offset = Math.floor(this.rng.next() ** 2 * this.opts.maxLevels);
    let price = side === 'bid' ? this.bestAsk() - 1 - offset : this.bestBid() + 1 + offset;
    if (price <= 0) price = this.bestBid();
    const remove = levels.has(price) && levels.size > 1 && this.rng.chance(0.25);
    this.set(side, price, remove ? 0 : this.rng.int(1, 5000));
    if (levels.size > this.opts.maxLevels) this.set(side, this.worstOf(side), 0);
  }

  /** A taker trade against the best level of the other side; returns its price and size. */
  trade(taker: 'buy' | 'sell'): { price: number; qty: number } {
    const side: BookSide = taker === 'buy' ? 'ask' : 'bid';
    const levels = side === 'bid' ? this.bids : this.asks;
    const price = side === 'bid' ? this.bestBid() : this.bestAsk();
    const resting = levels.get(price)!;
    const qty = Math.min(resting, this.rng.int(1, 500));
    // The last level of a side is refilled rather than emptied, so a side is never bare.
    this.set(side, price, resting - qty > 0 || levels.size > 1 ? resting - qty : this.rng.int(1, 5000));
    return { price, qty };
  }

  hasPending(): boolean {
    return this.pendingFirst !== undefined;
  }

  /** The updates since the previous push, or undefined when there were none. */
  flush(): BookPush | undefined {
    if (this.pendingFirst === undefined) return undefined;
    const changes = [...this.pending.values()];
    const push: BookPush = {
      first: this.pendingFirst,
      last: this.lastId,
      prev: this.pushedId,
      bids: changes.filter((c) => c.side === 'bid').sort((a, b) => b.price - a.price),
      asks: changes.filter((c) => c.side === 'ask').sort((a, b) => a.price - b.price),
    };
    this.pushedId = this.lastId;
    this.pending.clear();
    this.pendingFirst = undefined;
    return push;
  }

  /**
   * A REST snapshot as a real one falls: between two updates of a push window. One
   * update before it puts its id inside the next push (U <= id <= u, Binance), one
   * after makes that push end past it (prevSeqId <= id < seqId, OKX).
   */
  snapshotBetweenPushes(limit = Infinity): BookSnapshot {
    if (!this.hasPending()) this.mutate();
    const snap = this.snapshot(limit);
    this.mutate();
    return snap;
  }

  /** Best first, at most `limit` levels a side, with the id of the last update applied. */
  snapshot(limit = Infinity): BookSnapshot {
    return {
      id: this.lastId,
      bids: [...this.bids].sort((a, b) => b[0] - a[0]).slice(0, limit),
      asks: [...this.asks].sort((a, b) => a[0] - b[0]).slice(0, limit),
    };
  }

  private set(side: BookSide, price: number, qty: number): void {
    const levels = side === 'bid' ? this.bids : this.asks;
    const key = `${side}:${price}`;
    const before = this.pending.get(key)?.before ?? levels.get(price) ?? 0;
    if (qty === 0) {
      levels.delete(price);
      if (price === this.best[side]) this.best[side] = undefined;
      if (price === this.worst[side]) this.worst[side] = undefined;
    } else {
      if (!levels.has(price)) this.track(side, price);
      levels.set(price, qty);
    }
    const [lo, hi] = this.opts.idStep;
    this.lastId += this.rng.int(lo, hi);
    this.pendingFirst ??= this.lastId;
    this.pending.set(key, { side, price, qty, before });
  }

  /** A new level may become the best or the farthest of its side. */
  private track(side: BookSide, price: number): void {
    const better = side === 'bid' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
    const best = this.best[side];
    const worst = this.worst[side];
    if (best !== undefined && better(price, best)) this.best[side] = price;
    if (worst !== undefined && better(worst, price)) this.worst[side] = price;
  }
}

function extreme(levels: Map<number, number>, pick: (...n: number[]) => number): number {
  let best: number | undefined;
  for (const p of levels.keys()) best = best === undefined ? p : pick(best, p);
  return best!;
}
