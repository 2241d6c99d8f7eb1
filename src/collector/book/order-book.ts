/**
 * A local order book with exact prices. Each side is a sorted array searched by
 * binary search: a double orders two prices quickly and, when the doubles tie,
 * the decimal texts decide, so two prices never merge and nothing is rounded.
 * Levels keep the venue's own text (OKX checksums are computed over it).
 */
import { DECIMAL_INTEGER_DIGITS, DECIMAL_SCALE, compareDecimal, decimalToDouble, isZero } from '../../core/decimal.js';
import { BadValueError } from '../mappers/wire.js';
import type { Level } from '../../core/model.js';
import type { QuantityRule } from '../units.js';

/**
 * `level` with its quantity in base, checked storable once here (a level's conversion is
 * cached with it): conversions give plain decimal text without trailing zeros or leading
 * zeros (so 20 characters hold at most 20 integer or 18 fractional digits, and 0 is "0"). A level that
 * overflows or rounds to 0 throws (caching nothing): the record is not published.
 */
function baseLevel(level: Level, units: QuantityRule): Level {
  const [p, raw] = level;
  const q = units.toBase(raw, p);
  if (q !== '0' && (q.length <= 20 || storablePlain(q))) return [p, q];
  throw new BadValueError('bad_quantity', `orderbook not published: the level at ${p} is ${q.slice(0, 30)} in base`);
}

/** Plain decimal text (as conversions give it) within Decimal(38, 18): the digits counted around the point. */
function storablePlain(q: string): boolean {
  const point = q.indexOf('.');
  const intDigits = (point < 0 ? q.length : point) - (q.charCodeAt(0) === 45 ? 1 : 0);
  return intDigits <= DECIMAL_INTEGER_DIGITS && (point < 0 || q.length - point - 1 <= DECIMAL_SCALE);
}

/** Doubles a side holds before its first growth (a snapshot sizes it to its levels). */
const INITIAL_CAPACITY = 64;

/**
 * One side of a book, best first, as parallel arrays: the level tuples as read from the
 * venue (shared, read-only, published as they are), their prices as doubles (ordering
 * only), and, once a record asked for base units, each level's base-unit form once
 * converted. `top(n)` is one slice.
 *
 * An update in the middle of a side moves the levels behind it (a diff of 29 levels into a
 * 400-level side inserts and removes a dozen): the doubles are a typed array moved by
 * `copyWithin` (a memmove) and the conversions are kept only for a side that converts, so
 * one array `splice` per insert or removal is left (docs/benchmarks.md, live collector).
 */
export class BookSide {
  private levels: Level[] = [];
  /** levels[i]'s price as a double, only for ordering; capacity ≥ levels.length, the rest unused. */
  private fs = new Float64Array(INITIAL_CAPACITY);
  /** levels[i] with its quantity in base by `rule`, converted on first use (conversions divide exactly: dear per level, and most levels stay put between records); empty while `rule` is undefined. */
  private based: (Level | undefined)[] = [];
  private rule: QuantityRule | undefined;
  /**
   * The worst level a depth-limited snapshot covered, or undefined when this side is
   * known in full. Beyond it a level may exist that was never sent: only levels up to
   * it (inclusive) are known.
   */
  private limit: { price: string; f: number } | undefined;

  /** `descending` for bids (best = highest). */
  constructor(private readonly descending: boolean) {}

  get size(): number {
    return this.levels.length;
  }

  clear(): void {
    this.levels = [];
    this.based = [];
    this.limit = undefined;
  }

  /** The worst price a depth-limited snapshot covered (see `known`), or undefined. */
  get boundary(): string | undefined {
    return this.limit?.price;
  }

  /** Marks the current worst level as the end of what is known (the snapshot held `limit` levels). */
  setBoundary(): void {
    const n = this.levels.length;
    this.limit = n > 0 ? { price: this.levels[n - 1]![0], f: this.fs[n - 1]! } : undefined;
  }

  /** How many levels, from the best, lie within the known range. */
  known(): number {
    if (!this.limit) return this.levels.length;
    const i = this.find(this.limit.price, this.limit.f);
    return i >= 0 ? i + 1 : ~i;
  }

  /** Sets a level's quantity; a zero quantity removes the level. */
  set(price: string, qty: string): void {
    this.setLevel([price, qty]);
  }

  /** `set` of a level tuple as read (kept and published as it is: Level is read-only). */
  setLevel(level: Level): void {
    const price = level[0];
    const f = decimalToDouble(price);
    const i = this.find(price, f);
    if (isZero(level[1])) {
      if (i >= 0) this.removeAt(i);
      return;
    }
    const converts = this.rule !== undefined;
    if (i >= 0) {
      this.levels[i] = level;
      if (converts) this.based[i] = undefined;
      return;
    }
    const index = ~i;
    const n = this.levels.length;
    if (n === this.fs.length) this.grow(n * 2);
    if (index === n) {
      this.levels.push(level);
      if (converts) this.based.push(undefined);
    } else {
      this.fs.copyWithin(index + 1, index, n);
      this.levels.splice(index, 0, level);
      if (converts) this.based.splice(index, 0, undefined);
    }
    this.fs[index] = f;
  }

  private grow(capacity: number): void {
    const fs = new Float64Array(Math.max(INITIAL_CAPACITY, capacity));
    fs.set(this.fs.subarray(0, Math.min(this.levels.length, fs.length)));
    this.fs = fs;
  }

  /**
   * Replaces the side with `levels` (a snapshot), zero quantities left out (their count
   * is returned: a snapshot level of 0 means nothing). Levels in
   * strict best-first order by double (every venue's snapshots) are taken as they are;
   * any other order falls back to `setLevel` one by one.
   */
  load(levels: readonly Level[]): number {
    this.clear();
    const out: Level[] = [];
    if (this.fs.length < levels.length) this.fs = new Float64Array(Math.max(INITIAL_CAPACITY, levels.length * 2));
    const fs = this.fs;
    let zero = 0;
    let prev = this.descending ? Infinity : -Infinity;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]!;
      const f = decimalToDouble(l[0]);
      if (this.descending ? !(f < prev) : !(f > prev)) return this.loadUnordered(levels);
      prev = f;
      if (isZero(l[1])) {
        zero++;
        continue;
      }
      fs[out.length] = f;
      out.push(l);
    }
    this.levels = out;
    if (this.rule !== undefined) this.based = new Array<Level | undefined>(out.length).fill(undefined);
    return zero;
  }

  private loadUnordered(levels: readonly Level[]): number {
    this.clear();
    let zero = 0;
    for (const l of levels) {
      if (isZero(l[1])) zero++;
      else this.setLevel(l);
    }
    return zero;
  }

  private removeAt(index: number): void {
    const converts = this.rule !== undefined;
    const n = this.levels.length;
    if (index === n - 1) {
      this.levels.pop();
      if (converts) this.based.pop();
    } else {
      this.fs.copyWithin(index, index + 1, n);
      this.levels.splice(index, 1);
      if (converts) this.based.splice(index, 1);
    }
  }

  /** Keeps the best `n` levels (a venue whose channel is a fixed depth forgets the rest). */
  trim(n: number): void {
    if (this.levels.length > n) {
      this.levels.length = n;
      if (this.based.length > n) this.based.length = n;
    }
  }

  delete(price: string): void {
    const i = this.find(price, decimalToDouble(price));
    if (i >= 0) this.removeAt(i);
  }

  /** The best `n` levels, best first, as [price, quantity] text pairs. */
  top(n: number): Level[] {
    return this.levels.slice(0, n);
  }

  /**
   * The best `n` levels with quantities in base units by `units`, and the venue's own
   * quantities beside them. A level's conversion is computed once and reused while the
   * level and the rule stay the same (a throw caches nothing).
   */
  topInBase(n: number, units: QuantityRule): { levels: Level[]; raw: string[] } {
    if (units !== this.rule) {
      this.based = new Array<Level | undefined>(this.levels.length).fill(undefined);
      this.rule = units;
    }
    const end = Math.min(n, this.levels.length);
    const levels = new Array<Level>(end);
    const raw = new Array<string>(end);
    for (let i = 0; i < end; i++) {
      const l = this.levels[i]!;
      levels[i] = this.based[i] ??= baseLevel(l, units);
      raw[i] = l[1];
    }
    return { levels, raw };
  }

  /** The best price as a double (ordering only), or undefined when the side is empty. */
  bestOrder(): number | undefined {
    return this.levels.length > 0 ? this.fs[0] : undefined;
  }

  best(): Level | undefined {
    return this.levels[0];
  }

  /** Index of `price` when held, else ~(the index where it would go), in best-first order. */
  private find(price: string, f: number): number {
    const fs = this.fs;
    const desc = this.descending;
    let lo = 0;
    let hi = this.levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = fs[mid]!;
      let c: number;
      if (e === f) {
        // Equal doubles: identical texts (the usual case, an update of a held level) are equal
        // without parsing; only different texts of one double need the decimal comparison.
        const p = this.levels[mid]![0];
        if (p === price) return mid;
        c = compareDecimal(p, price);
        if (c === 0) return mid;
      } else c = e < f ? -1 : 1;
      // c < 0: the level at mid comes before the price in best-first order.
      if (desc ? c > 0 : c < 0) lo = mid + 1;
      else hi = mid;
    }
    return ~lo;
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
    // Number() of decimal text (decimalToDouble) is monotonic: different doubles order the decimals too.
    if (bf !== af) return bf > af;
    return compareDecimal(this.bids.best()![0], this.asks.best()![0]) >= 0;
  }
}
