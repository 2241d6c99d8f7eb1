/**
 * A local order book with exact prices. Each side is kept in best-first order and
 * searched by binary search: a double orders two prices quickly and, when the doubles tie,
 * the decimal texts decide, so two prices never merge and nothing is rounded.
 * Levels keep the venue's own text (OKX checksums are computed over it).
 */
import { DECIMAL_INTEGER_DIGITS, DECIMAL_SCALE, compareDecimal, decimalToDouble, isZero } from '../../core/decimal.js';
import { BadValueError } from '../mappers/wire.js';
import type { Level } from '../../core/model.js';
import { fromLevelsSource, levelJson, type LevelsSource } from '../../core/record-json.js';
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

/** Levels a side holds before its first growth (a snapshot sizes it to its levels). */
const INITIAL_CAPACITY = 64;

/**
 * One side of a book, best first. The level tuples as read from the venue (shared,
 * read-only, published as they are) stay in slots that never move; the order is two
 * typed arrays, each level's slot and its price as a double (ordering only), so an
 * insert or removal in the middle of a side moves numbers with `copyWithin` (a memmove)
 * and never an array of objects (a diff of 29 levels into a 400-level side inserts and
 * removes a dozen; moving object arrays was a quarter of the live collector's time:
 * docs/benchmarks.md). The levels sit in the middle of the arrays (from `lo`), with room
 * on both sides, and an insert or removal moves whichever part is shorter: most of a
 * book's changes are near its best prices, where that part is a few numbers rather than
 * the whole side. Once a record asked for base units, each slot also keeps its
 * level's base-unit form until the level changes.
 */
export class BookSide implements LevelsSource {
  /** Level tuples by slot; a freed slot holds undefined until reused. */
  private slots: (Level | undefined)[] = [];
  /** slots[s] with its quantity in base by `rule`, converted on first use (conversions divide exactly: dear per level, and most levels stay put between records); empty while `rule` is undefined. */
  private based: (Level | undefined)[] = [];
  /**
   * The JSON text (`levelJson`) of each slot's level, and of its base-unit form in
   * `basedTexts` (kept as `based` is), made when a record with the level is first written
   * and kept until the level changes: between two records most of a 400-level side stays
   * put, and a record's text is then mostly a join of texts already made. A record that is
   * never written (the normalize bench) makes none.
   */
  private texts: (string | undefined)[] = [];
  private basedTexts: (string | undefined)[] = [];
  /**
   * Changes with every change of the order, the levels or the base-unit rule: a list
   * `publishedTop` or `topInBase` gave is this side's best levels while it is unchanged.
   */
  private version = 0;
  /** Freed slots, reused before new ones. */
  private free: number[] = [];
  /** order[lo + i]: the slot of the i-th best level; fs[lo + i]: its price as a double. Capacity ≥ lo + n. */
  private order = new Int32Array(INITIAL_CAPACITY);
  private fs = new Float64Array(INITIAL_CAPACITY);
  private lo = INITIAL_CAPACITY >> 1;
  private n = 0;
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
    return this.n;
  }

  clear(): void {
    this.version++;
    this.slots = [];
    this.based = [];
    this.texts = [];
    this.basedTexts = [];
    this.free = [];
    this.n = 0;
    this.lo = this.order.length >> 1;
    this.limit = undefined;
  }

  /** The worst price a depth-limited snapshot covered (see `known`), or undefined. */
  get boundary(): string | undefined {
    return this.limit?.price;
  }

  /** Marks the current worst level as the end of what is known (the snapshot held `limit` levels). */
  setBoundary(): void {
    const n = this.n;
    this.limit = n > 0 ? { price: this.at(n - 1)[0], f: this.fs[this.lo + n - 1]! } : undefined;
  }

  /** How many levels, from the best, lie within the known range. */
  known(): number {
    if (!this.limit) return this.n;
    const i = this.find(this.limit.price, this.limit.f);
    return i >= 0 ? i + 1 : ~i;
  }

  /** Sets a level's quantity; a zero quantity removes the level. */
  set(price: string, qty: string): void {
    this.setLevel([price, qty]);
  }

  /** `set` of a level tuple as read (kept and published as it is: Level is read-only). */
  setLevel(level: Level): void {
    this.version++;
    const price = level[0];
    const f = decimalToDouble(price);
    const i = this.find(price, f);
    if (isZero(level[1])) {
      if (i >= 0) this.removeAt(i);
      return;
    }
    const converts = this.rule !== undefined;
    if (i >= 0) {
      const slot = this.order[this.lo + i]!;
      this.slots[slot] = level;
      this.texts[slot] = undefined;
      if (converts) this.based[slot] = this.basedTexts[slot] = undefined;
      return;
    }
    const index = ~i;
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.slots.length;
      this.slots.push(level);
      this.texts.push(undefined);
      if (converts) {
        this.based.push(undefined);
        this.basedTexts.push(undefined);
      }
    } else {
      this.slots[slot] = level;
      this.texts[slot] = undefined;
      if (converts) this.based[slot] = this.basedTexts[slot] = undefined;
    }
    const at = this.openAt(index);
    this.order[at] = slot;
    this.fs[at] = f;
  }

  /**
   * Makes room for a level at `index` (0 ≤ index ≤ n) by moving the shorter part of the side
   * by one (the levels before it toward the front, or those after it toward the back) and
   * returns the array position to fill.
   */
  private openAt(index: number): number {
    const n = this.n;
    const front = index < n - index;
    if (front ? this.lo === 0 : this.lo + n === this.order.length) this.recenter(n + 1);
    const { lo, order, fs } = this;
    this.n = n + 1;
    if (front) {
      order.copyWithin(lo - 1, lo, lo + index);
      fs.copyWithin(lo - 1, lo, lo + index);
      this.lo = lo - 1;
      return lo - 1 + index;
    }
    order.copyWithin(lo + index + 1, lo + index, lo + n);
    fs.copyWithin(lo + index + 1, lo + index, lo + n);
    return lo + index;
  }

  /** Places the levels in the middle of arrays with room for at least `need` (twice that, so both ends have room; grown when smaller). */
  private recenter(need: number): void {
    const { n, lo: from } = this;
    const keep = this.order.length >= need * 2;
    const size = keep ? this.order.length : Math.max(INITIAL_CAPACITY, need * 2);
    const lo = (size - n) >> 1;
    if (keep) {
      this.order.copyWithin(lo, from, from + n);
      this.fs.copyWithin(lo, from, from + n);
    } else {
      const order = new Int32Array(size);
      const fs = new Float64Array(size);
      order.set(this.order.subarray(from, from + n), lo);
      fs.set(this.fs.subarray(from, from + n), lo);
      this.order = order;
      this.fs = fs;
    }
    this.lo = lo;
  }

  /**
   * Replaces the side with `levels` (a snapshot), zero quantities left out (their count
   * is returned: a snapshot level of 0 means nothing). Levels in
   * strict best-first order by double (every venue's snapshots) are taken as they are;
   * any other order falls back to `setLevel` one by one.
   */
  load(levels: readonly Level[]): number {
    this.clear();
    if (this.order.length < levels.length * 2) {
      this.order = new Int32Array(levels.length * 2);
      this.fs = new Float64Array(levels.length * 2);
    }
    // Room before the levels as large as the snapshot: a side changes at its best prices most.
    const lo = (this.lo = Math.min(levels.length, this.order.length - levels.length));
    const slots: Level[] = [];
    const { order, fs } = this;
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
      const k = slots.length;
      order[lo + k] = k;
      fs[lo + k] = f;
      slots.push(l);
    }
    this.slots = slots;
    this.n = slots.length;
    this.texts = new Array<string | undefined>(slots.length).fill(undefined);
    if (this.rule !== undefined) this.resetBased();
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

  private release(slot: number): void {
    this.slots[slot] = undefined;
    this.texts[slot] = undefined;
    if (this.rule !== undefined) this.based[slot] = this.basedTexts[slot] = undefined;
    this.free.push(slot);
  }

  /** Removes the level at `index`, moving the shorter part of the side (as `openAt`). */
  private removeAt(index: number): void {
    this.version++;
    const { lo, order, fs } = this;
    this.release(order[lo + index]!);
    const n = this.n - 1;
    if (index < n - index) {
      order.copyWithin(lo + 1, lo, lo + index);
      fs.copyWithin(lo + 1, lo, lo + index);
      this.lo = lo + 1;
    } else {
      order.copyWithin(lo + index, lo + index + 1, lo + n + 1);
      fs.copyWithin(lo + index, lo + index + 1, lo + n + 1);
    }
    this.n = n;
  }

  /** Keeps the best `n` levels (a venue whose channel is a fixed depth forgets the rest). */
  trim(n: number): void {
    if (this.n <= n) return;
    this.version++;
    for (let i = n; i < this.n; i++) this.release(this.order[this.lo + i]!);
    this.n = n;
  }

  delete(price: string): void {
    const i = this.find(price, decimalToDouble(price));
    if (i >= 0) this.removeAt(i);
  }

  /** The i-th best level (i < n). */
  private at(i: number): Level {
    return this.slots[this.order[this.lo + i]!]!;
  }

  /** No base-unit form of any level known yet (a new rule, or new slots). */
  private resetBased(): void {
    this.based = new Array<Level | undefined>(this.slots.length).fill(undefined);
    this.basedTexts = new Array<string | undefined>(this.slots.length).fill(undefined);
  }

  /** The best `n` levels, best first, as [price, quantity] text pairs. */
  top(n: number): Level[] {
    const end = Math.min(n, this.n);
    const out = new Array<Level>(end);
    const { slots, order, lo } = this;
    for (let i = 0; i < end; i++) out[i] = slots[order[lo + i]!]!;
    return out;
  }

  /** `top` for a record: its JSON text is then made from the texts this side keeps (`levelsJson`). */
  publishedTop(n: number): Level[] {
    return fromLevelsSource(this.top(n), this, this.version, false);
  }

  /**
   * The JSON text of `levels`, a list `publishedTop` or `topInBase` (`inBase`) gave while
   * the side was at `version`, from the texts this side keeps (made for the levels that
   * have none); undefined once the side has changed since (the caller then writes the
   * list itself).
   */
  levelsJson(levels: readonly Level[], version: number, inBase: boolean): string | undefined {
    if (version !== this.version) return undefined;
    const texts = inBase ? this.basedTexts : this.texts;
    const { order, lo } = this;
    const n = levels.length;
    const parts = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      // Unchanged since: levels[i] is the level published from slot order[lo + i].
      const slot = order[lo + i]!;
      let t = texts[slot];
      if (t === undefined) {
        t = levelJson(levels[i]!);
        // Made flat once (V8 flattens a concatenation when a character is read): a join then copies
        // it in one piece, each time it is written again; kept as five pieces, the join took twice as long.
        t.charCodeAt(0);
        texts[slot] = t;
      }
      parts[i] = t;
    }
    return '[' + parts.join(',') + ']';
  }

  /**
   * The best `n` levels with quantities in base units by `units`, and the venue's own
   * quantities beside them. A level's conversion is computed once and reused while the
   * level and the rule stay the same (a throw caches nothing).
   */
  topInBase(n: number, units: QuantityRule): { levels: Level[]; raw: string[] } {
    if (units !== this.rule) {
      this.version++;
      this.rule = units;
      this.resetBased();
    }
    const end = Math.min(n, this.n);
    const levels = new Array<Level>(end);
    const raw = new Array<string>(end);
    const { slots, order, based, lo } = this;
    for (let i = 0; i < end; i++) {
      const slot = order[lo + i]!;
      const l = slots[slot]!;
      levels[i] = based[slot] ??= baseLevel(l, units);
      raw[i] = l[1];
    }
    return { levels: fromLevelsSource(levels, this, this.version, true), raw };
  }

  /** The best price as a double (ordering only), or undefined when the side is empty. */
  bestOrder(): number | undefined {
    return this.n > 0 ? this.fs[this.lo] : undefined;
  }

  best(): Level | undefined {
    return this.n > 0 ? this.at(0) : undefined;
  }

  /** Index of `price` when held, else ~(the index where it would go), in best-first order. */
  private find(price: string, f: number): number {
    const { fs, lo: base } = this;
    const desc = this.descending;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = fs[base + mid]!;
      let c: number;
      if (e === f) {
        // Equal doubles: identical texts (the usual case, an update of a held level) are equal
        // without parsing; only different texts of one double need the decimal comparison.
        const p = this.at(mid)[0];
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
