/**
 * The `normalize` bench's two sides on the real captures must end each pass with the
 * same books: our adapter (exact text) and tardis-dev's mappers + OrderBook agree on
 * every book's best bid and ask. A faster wrong book is worthless.
 */
import { describe, expect, it } from 'vitest';
import { compareTops, loadCapture, oursPass, oursTop, SESSIONS, tardisPass } from '../../bench/normalize.js';
import { BookSide } from '../../src/collector/book/order-book.js';
import type { QuantityRule } from '../../src/collector/units.js';
import { capturePaths } from '../capture/captures.js';

describe('normalize bench: ours against tardis-dev on the cryptofeed captures', () => {
  for (const [name, venue, files] of SESSIONS) {
    it(`${name}: every book we publish has tardis-dev's best bid and ask`, async () => {
      const c = await loadCapture(venue, capturePaths(...files));
      const ours = oursPass(c);
      const theirs = tardisPass(c);
      expect(ours.problems).toEqual({});
      // Every book of the capture synced on our side (Binance spot 4, OKX 3) and tardis-dev has them all.
      expect(ours.books.size).toBe(venue === 'okx' ? 3 : 4);
      expect([...ours.books.keys()].every((k) => theirs.books.has(k))).toBe(true);
      expect(compareTops(ours.books, theirs.books)).toEqual([]);
      // A second pass on the same capture gives the same tops (nothing leaks between passes).
      expect(compareTops(oursPass(c).books, tardisPass(c).books)).toEqual([]);

      // The comparison can fail: a best bid one tick off is reported.
      const [key, r] = [...ours.books][0]!;
      const top = oursTop(r);
      expect(top.bid).toBeDefined();
      const wrong = { ...r, bids: [[`${top.bid![0]}1`, r.bids[0]![1]] as const, ...r.bids.slice(1)] };
      expect(compareTops(new Map([[key, wrong]]), theirs.books)).toHaveLength(1);
    });
  }
});

describe('BookSide.topInBase caches conversions per level', () => {
  it('converts once per level text and again after the level changes', () => {
    let calls = 0;
    const rule: QuantityRule = {
      unit: 'contracts',
      toBase: (raw, price) => {
        calls++;
        return `${raw}/${price}`;
      },
    };
    const side = new BookSide(true);
    side.set('100.5', '3');
    side.set('100.4', '2');
    expect(side.topInBase(10, rule)).toEqual({
      levels: [
        ['100.5', '3/100.5'],
        ['100.4', '2/100.4'],
      ],
      raw: ['3', '2'],
    });
    expect(calls).toBe(2);
    side.topInBase(10, rule);
    expect(calls).toBe(2);
    side.set('100.5', '7'); // a changed quantity is converted anew
    side.set('100.40', '2'); // the same price in other text: converted with the new text
    expect(side.topInBase(10, rule).levels).toEqual([
      ['100.5', '7/100.5'],
      ['100.40', '2/100.40'],
    ]);
    expect(calls).toBe(4);
    expect(side.top(10)).toEqual([
      ['100.5', '7'],
      ['100.40', '2'],
    ]);
    const other: QuantityRule = { unit: 'contracts', toBase: (raw) => `${raw}!` };
    expect(side.topInBase(1, other).levels).toEqual([['100.5', '7!']]); // another rule is not served from the cache
  });
});
