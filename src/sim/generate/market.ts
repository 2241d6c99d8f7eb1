/**
 * One synthetic instrument: its book, trades with unique ids, and the slow-moving
 * derivatives figures (mark/index price, funding, open interest, liquidations,
 * long/short ratios, DVOL). Venue-neutral integers; the venue feeds format them.
 */
import { SimBook, type BookPush } from './book.js';
import { hashUnit, type Rng } from './rng.js';

export interface InstrumentSpec {
  /** Price = ticks * 10^-priceDecimals. */
  priceDecimals: number;
  qtyDecimals: number;
  midTicks: number;
}

export interface SimTrade {
  id: number;
  price: number;
  qty: number;
  taker: 'buy' | 'sell';
  time: number;
}

export interface SimLiquidation {
  /** Side of the liquidation order: a long liquidated sells. */
  side: 'buy' | 'sell';
  price: number;
  qty: number;
  time: number;
}

export const FUNDING_DECIMALS = 8;
export const RATIO_DECIMALS = 4;
const EIGHT_HOURS = 8 * 3600_000;

/** Prices near today's for BTC and ETH; any other base gets a price from its name. */
export function instrumentSpec(base: string, priceDecimals: number, qtyDecimals: number): InstrumentSpec {
  const price = base === 'BTC' ? 60000 : base === 'ETH' ? 3000 : 1 + Math.floor(hashUnit(base) * 200);
  return { priceDecimals, qtyDecimals, midTicks: price * 10 ** priceDecimals };
}

/** Book updates per step (one push) by default: 1-3, as small as Binance spot's quietest diffs. */
export const DEFAULT_UPDATES_PER_STEP: readonly [number, number] = [1, 3];
let updatesDefault: readonly [number, number] = DEFAULT_UPDATES_PER_STEP;

/**
 * Runs `make` (which builds a generated feed and its markets, synchronously) with
 * `updates` as the book updates per step of every SymbolMarket it creates without its
 * own `updatesPerStep`: how `GenerateOptions.diffUpdates` reaches the venue feeds'
 * markets. Validated here: a range of integers 1..1000, low <= high.
 */
export function withUpdatesPerStep<T>(updates: readonly [number, number] | undefined, make: () => T): T {
  if (updates === undefined) return make();
  const [lo, hi] = updates;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo || hi > 1000)
    throw new RangeError(`generate.diffUpdates must be integers 1 <= low <= high <= 1000, got ${JSON.stringify(updates)}`);
  const was = updatesDefault;
  updatesDefault = [lo, hi];
  try {
    return make();
  } finally {
    updatesDefault = was;
  }
}

export class SymbolMarket {
  readonly book: SimBook;
  /** Book updates per step, each touching one level (several may touch the same one). */
  readonly updatesPerStep: readonly [number, number];
  private tradeId: number;
  /** Funding rate in units of 1e-8. */
  fundingRate: number;
  /** Open interest in lots. */
  openInterest: number;

  constructor(
    private readonly rng: Rng,
    readonly spec: InstrumentSpec,
    book: { firstId: number; idStep: readonly [number, number]; maxLevels: number; updatesPerStep?: readonly [number, number] },
  ) {
    this.updatesPerStep = book.updatesPerStep ?? updatesDefault;
    this.book = new SimBook(rng, { midTicks: spec.midTicks, firstId: book.firstId, idStep: book.idStep, maxLevels: book.maxLevels });
    this.tradeId = rng.int(1_000_000, 9_000_000);
    this.fundingRate = rng.int(-2000, 8000);
    this.openInterest = rng.int(1_000_000, 9_000_000) * 10 ** Math.max(0, spec.qtyDecimals - 3);
  }

  /**
   * One step of market activity: a few book updates and maybe some trades (which also
   * move the book). With `quietChance` a step changes nothing (a heartbeat push).
   */
  step(now: number, quietChance = 0): SimTrade[] {
    if (quietChance > 0 && this.rng.chance(quietChance)) return [];
    const updates = this.rng.int(this.updatesPerStep[0], this.updatesPerStep[1]);
    for (let i = 0; i < updates; i++) this.book.mutate();
    const trades: SimTrade[] = [];
    const count = this.rng.chance(0.6) ? this.rng.int(1, 2) : 0;
    for (let i = 0; i < count; i++) {
      const taker = this.rng.chance(0.5) ? 'buy' : 'sell';
      const { price, qty } = this.book.trade(taker);
      trades.push({ id: ++this.tradeId, price, qty, taker, time: now });
    }
    return trades;
  }

  flush(): BookPush | undefined {
    return this.book.flush();
  }

  midTicks(): number {
    return Math.round((this.book.bestBid() + this.book.bestAsk()) / 2);
  }

  /** Index price: the mark price nudged by a tick or two (ticks). */
  indexTicks(): number {
    return this.midTicks() + this.rng.int(-2, 2);
  }

  /** Moves funding and open interest a little; called on the slow (periodic) clock. */
  drift(): void {
    this.fundingRate = Math.max(-75000, Math.min(75000, this.fundingRate + this.rng.int(-200, 200)));
    this.openInterest = Math.max(1, this.openInterest + this.rng.int(-5000, 5000));
  }

  liquidation(now: number): SimLiquidation {
    const side = this.rng.chance(0.5) ? 'sell' : 'buy';
    const price = side === 'sell' ? this.book.bestBid() - this.rng.int(0, 5) : this.book.bestAsk() + this.rng.int(0, 5);
    return { side, price, qty: this.rng.int(1, 2000), time: now };
  }
}

/** The next funding settlement (00:00, 08:00, 16:00 UTC) after `now`. */
export function nextFundingTime(now: number): number {
  return Math.floor(now / EIGHT_HOURS) * EIGHT_HOURS + EIGHT_HOURS;
}

/** Period text ("5m", "1h", "1d") to ms; undefined when unknown. */
export function periodMs(period: string): number | undefined {
  const m = /^(\d+)([mhdHD])(?:utc)?$/.exec(period);
  if (!m) return undefined;
  const unit = { m: 60_000, h: 3600_000, H: 3600_000, d: 86_400_000, D: 86_400_000 }[m[2]!]!;
  return Number(m[1]) * unit;
}

/** A long/short account split for one period bucket; the same inputs give the same row. */
export function longShortRow(seed: number, key: string, ts: number): { long: number; short: number; ratio: number } {
  const scale = 10 ** RATIO_DECIMALS;
  const long = Math.round((0.35 + 0.3 * hashUnit(seed, key, ts)) * scale);
  const short = scale - long;
  return { long, short, ratio: Math.round((long / short) * scale) };
}

/** Bucket start times (ms), oldest first, of the last `limit` complete periods before `now`. */
export function periodBuckets(now: number, period: number, limit: number, offsetMs = 0): number[] {
  // Buckets start at multiples of the period after `offsetMs` (OKX's Hong Kong-aligned bars: -8 h).
  const last = Math.floor((now - offsetMs) / period) * period + offsetMs - period;
  return Array.from({ length: limit }, (_, i) => last - (limit - 1 - i) * period);
}

/** A DVOL value (2 decimals, in units of 0.01) for a currency at a time bucket. */
export function dvolAt(seed: number, currency: string, ts: number): number {
  return Math.round((40 + 30 * hashUnit(seed, 'dvol', currency, ts)) * 100);
}
