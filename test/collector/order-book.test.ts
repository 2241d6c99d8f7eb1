/** The exact order book: ordering by value, not by text or by rounded doubles. */
import { describe, expect, it } from 'vitest';
import { BookSide, OrderBook } from '../../src/collector/book/order-book.js';
import { compareDecimal, isZero } from '../../src/core/decimal.js';
import { multiplyDecimal } from '../../src/core/decimal-math.js';
import { levelsJson } from '../../src/core/record-json.js';
import type { QuantityRule } from '../../src/collector/units.js';

describe('OrderBook', () => {
  it('orders bids descending and asks ascending by exact value, replacing equal prices written differently', () => {
    const b = new OrderBook();
    b.bids.set('0.35210000', '1');
    b.bids.set('0.3522', '2');
    b.bids.set('0.352100', '3'); // same price as the first
    b.asks.set('10', '1');
    b.asks.set('9.99', '1');
    expect(b.bids.top(10)).toEqual([
      ['0.3522', '2'],
      ['0.352100', '3'],
    ]);
    expect(b.asks.top(10)).toEqual([
      ['9.99', '1'],
      ['10', '1'],
    ]);
  });

  it('keeps prices apart that one double cannot tell apart', () => {
    const b = new OrderBook();
    b.asks.set('1.00000000000000000001', '1');
    b.asks.set('1.00000000000000000002', '2');
    b.asks.set('1', '3');
    expect(b.asks.top(3)).toEqual([
      ['1', '3'],
      ['1.00000000000000000001', '1'],
      ['1.00000000000000000002', '2'],
    ]);
    b.asks.set('1.00000000000000000001', '0');
    expect(b.asks.size).toBe(2);
  });

  it('detects a crossed book', () => {
    const b = new OrderBook();
    b.bids.set('100', '1');
    b.asks.set('101', '1');
    expect(b.crossed()).toBe(false);
    b.bids.set('101', '1');
    expect(b.crossed()).toBe(true);
  });

  it('a side equals a plain sorted reference through random sets, removals, loads, trims and conversions', () => {
    let seed = 11;
    const rnd = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    // Prices from a small range so updates hit held levels, with texts that differ for one value ("5.10" / "5.1").
    const price = () => {
      const cents = 1 + rnd(900);
      const t = (cents / 100).toFixed(2);
      return rnd(5) === 0 ? t.replace(/0+$/, '').replace(/\.$/, '') : t;
    };
    const twice: QuantityRule = { unit: 'contracts', toBase: (raw) => multiplyDecimal(raw, '2') };
    for (const descending of [true, false]) {
      const side = new BookSide(descending);
      let ref = new Map<string, [string, string]>(); // normalized price → level as last set
      const key = (p: string) => (Number(p) * 100).toFixed(0);
      const expected = () => [...ref.values()].sort((a, b) => (descending ? compareDecimal(b[0], a[0]) : compareDecimal(a[0], b[0])));
      let converting = false;
      let held: readonly (readonly [string, string])[] | undefined;
      for (let step = 0; step < 20_000; step++) {
        const op = rnd(100);
        if (op < 80) {
          const p = price();
          const q = rnd(4) === 0 ? '0' : String(1 + rnd(50));
          side.set(p, q);
          if (isZero(q)) ref.delete(key(p));
          else ref.set(key(p), [p, q]);
        } else if (op < 82) {
          const n = rnd(300);
          const levels = [...new Map(Array.from({ length: n }, () => [key(price()), 0])).keys()]
            .map((k) => [(Number(k) / 100).toFixed(2), String(rnd(3))] as [string, string])
            .sort((a, b) => (descending ? compareDecimal(b[0], a[0]) : compareDecimal(a[0], b[0])));
          const zero = side.load(levels);
          expect(zero).toBe(levels.filter((l) => l[1] === '0').length);
          ref = new Map(levels.filter((l) => l[1] !== '0').map((l) => [key(l[0]), l]));
        } else if (op < 83) {
          const n = rnd(200);
          side.trim(n);
          ref = new Map(
            expected()
              .slice(0, n)
              .map((l) => [key(l[0]), l]),
          );
        } else if (op < 84) converting = true;
        const want = expected();
        expect(side.size).toBe(want.length);
        if (step % 50 === 0 || op >= 80) {
          // A list taken before the side changed is written as it was taken (its texts kept or not).
          if (held) expect(levelsJson(held)).toBe(JSON.stringify(held));
          expect(side.top(want.length)).toEqual(want);
          const top = side.publishedTop(want.length);
          expect(top).toEqual(want);
          // The texts a side keeps for its levels (made once per level, record-json) are the levels' own.
          expect(levelsJson(top)).toBe(JSON.stringify(want));
          held = rnd(2) === 0 ? top : held;
          expect(side.best()).toEqual(want[0]);
          expect(side.bestOrder()).toBe(want[0] ? Number(want[0][0]) : undefined);
          if (converting) {
            const n = rnd(want.length + 1);
            const { levels, raw } = side.topInBase(n, twice);
            expect(raw).toEqual(want.slice(0, n).map((l) => l[1]));
            expect(levels).toEqual(want.slice(0, n).map((l) => [l[0], multiplyDecimal(l[1], '2')]));
            expect(levelsJson(levels)).toBe(JSON.stringify(levels));
            held = rnd(2) === 0 ? levels : held;
          }
        }
      }
    }
  });

  it('keeps its order when every change is at one end, far more often than the room there (moved to the middle, grown)', () => {
    // Asks: each new level is the new best (the front moves), the worst is removed as often (the block
    // drifts to the front of its arrays and is moved back to the middle); then the best is taken away.
    const side = new BookSide(false);
    const ref: string[] = [];
    const check = () => {
      expect(side.size).toBe(ref.length);
      expect(side.top(ref.length).map((l) => l[0])).toEqual(ref);
      expect(side.best()?.[0]).toBe(ref[0]);
    };
    for (let i = 0; i < 3000; i++) {
      const p = String(100_000 - i);
      side.set(p, '1');
      ref.unshift(p);
      if (i % 3 === 2) {
        side.delete(ref.pop()!);
      }
      if (i % 97 === 0) check();
    }
    check();
    side.load(ref.slice(0, 500).map((p) => [p, '2'] as const));
    ref.length = 500;
    for (let i = 0; i < 2000; i++) {
      const p = String(100_000 - 3000 - i);
      side.set(p, '1');
      ref.unshift(p);
    }
    check();
    while (ref.length > 0) {
      side.delete(ref.shift()!);
      if (ref.length % 101 === 0) check();
    }
    check();
  });
});
