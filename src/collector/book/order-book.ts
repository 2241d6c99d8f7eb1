/**
 * A local order book with exact prices. Each side is a sorted array searched by
 * binary search: a double orders two prices quickly and, when the doubles tie,
 * the decimal texts decide, so two prices never merge and nothing is rounded.
 * Levels keep the venue's own text (OKX checksums are computed over it).
 */
import { compareDecimal, isZero } from '../../core/decimal.js';
import type { Level } from '../../core/model.js';
import type { QuantityRule } from '../units.js';

interface Entry {
  price: string;
  qty: string;
  /** The price as a double, only for ordering. */
  f: number;
  /** The rule `baseLevel` was converted by (conversions divide exactly: dear per level, and most levels stay put between records). */
  rule?: QuantityRule;
  /** The level as published ([price, qty], and [price, base] by `rule`), shared by the records until it changes (Level is read-only). */
  level?: Level;
  baseLevel?: Level;
}

export class BookSide {
  private entries: Entry[] = [];
  /**
   * The worst price a depth-limited snapshot covered, or undefined when this side is
   * known in full. Beyond it a level may exist that was never sent: only levels up to
   * it (inclusive) are known.
   */
  private limit: Entry | undefined;

  /** `descending` for bids (best = highest). */
  constructor(private readonly descending: boolean) {}

  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries = [];
    this.limit = undefined;
  }

  /** The worst price a depth-limited snapshot covered (see `known`), or undefined. */
  get boundary(): string | undefined {
    return this.limit?.price;
  }

  /** Marks the current worst level as the end of what is known (the snapshot held `limit` levels). */
  setBoundary(): void {
    const e = this.entries.at(-1);
    this.limit = e && { ...e };
  }

  /** How many levels, from the best, lie within the known range. */
  known(): number {
    if (!this.limit) return this.entries.length;
    const { index, found } = this.find(this.limit.price, this.limit.f);
    return found ? index + 1 : index;
  }

  /** Sets a level's quantity; a zero quantity removes the level. */
  set(price: string, qty: string): void {
    const f = Number(price);
    const { index, found } = this.find(price, f);
    if (isZero(qty)) {
      if (found) this.entries.splice(index, 1);
    } else if (found) {
      const e = this.entries[index]!;
      e.qty = qty;
      e.price = price;
      e.rule = undefined; // the cached base quantity and levels are of the old texts
      e.level = undefined;
      e.baseLevel = undefined;
    } else {
      this.entries.splice(index, 0, { price, qty, f });
    }
  }

  /** Keeps the best `n` levels (a venue whose channel is a fixed depth forgets the rest). */
  trim(n: number): void {
    if (this.entries.length > n) this.entries.length = n;
  }

  delete(price: string): void {
    const { index, found } = this.find(price, Number(price));
    if (found) this.entries.splice(index, 1);
  }

  /** The best `n` levels, best first, as [price, quantity] text pairs. */
  top(n: number): Level[] {
    const out: Level[] = [];
    const end = Math.min(n, this.entries.length);
    for (let i = 0; i < end; i++) {
      const e = this.entries[i]!;
      out.push((e.level ??= [e.price, e.qty]));
    }
    return out;
  }

  /**
   * The best `n` levels with quantities in base units by `units`, and the venue's own
   * quantities beside them. A level's conversion is computed once and reused while the
   * level's texts and the rule stay the same (a throw caches nothing).
   */
  topInBase(n: number, units: QuantityRule): { levels: Level[]; raw: string[] } {
    const levels: Level[] = [];
    const raw: string[] = [];
    const end = Math.min(n, this.entries.length);
    for (let i = 0; i < end; i++) {
      const e = this.entries[i]!;
      if (e.rule !== units || e.baseLevel === undefined) {
        e.baseLevel = [e.price, units.toBase(e.qty, e.price)];
        e.rule = units;
      }
      levels.push(e.baseLevel);
      raw.push(e.qty);
    }
    return { levels, raw };
  }

  /** The best price as a double (ordering only), or undefined when the side is empty. */
  bestOrder(): number | undefined {
    return this.entries[0]?.f;
  }

  best(): Level | undefined {
    const e = this.entries[0];
    return e && [e.price, e.qty];
  }

  /** Position of `price` (or where it would go) in best-first order. */
  private find(price: string, f: number): { index: number; found: boolean } {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.order(this.entries[mid]!, price, f);
      if (c === 0) return { index: mid, found: true };
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return { index: lo, found: false };
  }

  /** < 0 when `e` comes before the price in best-first order. */
  private order(e: Entry, price: string, f: number): number {
    // Equal doubles: identical texts (the usual case, an update of a held level) are equal
    // without parsing; only different texts of one double need the decimal comparison.
    const c = e.f === f ? (e.price === price ? 0 : compareDecimal(e.price, price)) : e.f < f ? -1 : 1;
    return this.descending ? -c : c;
  }
}

export class OrderBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  /** True when the best bid is at or above the best ask: the book cannot be right. */
  crossed(): boolean {
    const bf = this.bids.bestOrder();
    const af = this.asks.bestOrder();
    if (bf === undefined || af === undefined) return false;
    // Number() of decimal text is monotonic: different doubles order the decimals too.
    if (bf !== af) return bf > af;
    return compareDecimal(this.bids.best()![0], this.asks.best()![0]) >= 0;
  }
}
