/**
 * A record's JSON text, the same text `JSON.stringify(record)` gives, made faster for
 * order books. A 400-level book record is 800 price and quantity texts; `JSON.stringify`
 * walks them generically (an array per level, each string scanned for what needs
 * escaping) and took about three times as long as the rest of a replay's work per record
 * (`replay-process` bench, docs/benchmarks.md). Here the level arrays are joined as text
 * (a cache of each level's text, kept in a WeakMap while the level lives, was tried and
 * measured no faster: the lookups cost what the concatenation saved).
 *
 * Why that is exact: every text in `bids`, `asks`, `bids_raw` and `asks_raw` is a decimal
 * (core/decimal: digits, one point, a leading minus), checked when the adapter read it
 * from the wire or computed it by conversion (mappers: `levels`, `validBook`), so none
 * needs escaping. test/core/record-json.test.ts holds the output equal to
 * `JSON.stringify` for every record the captures replay to and for random records.
 */
import type { Level, MarketRecord } from './model.js';

/** Book levels as JSON: every text a decimal (see above), so none is escaped. */
export function levelsJson(levels: readonly Level[]): string {
  const n = levels.length;
  if (n === 0) return '[]';
  // Appending to one string: about a fifth faster than an array of parts and `join` for 400
  // levels, the text flattened as the encoder does (docs/benchmarks.md, live collector).
  let s = '[["' + levels[0]![0] + '","' + levels[0]![1] + '"]';
  for (let i = 1; i < n; i++) {
    const l = levels[i]!;
    s += ',["' + l[0] + '","' + l[1] + '"]';
  }
  return s + ']';
}

/** Decimal texts as a JSON array, unescaped for the same reason. */
export function decimalsJson(texts: readonly string[]): string {
  return texts.length === 0 ? '[]' : '["' + texts.join('","') + '"]';
}

/** `JSON.stringify(r)`, with an order book's levels written as text. */
export function recordJson(r: MarketRecord): string {
  if (r.data_type !== 'orderbook') return JSON.stringify(r);
  let s = '';
  for (const key of Object.keys(r)) {
    const v = (r as unknown as Record<string, unknown>)[key];
    if (v === undefined) continue; // as JSON.stringify leaves it out
    let text: string;
    if (key === 'bids' || key === 'asks') text = levelsJson(v as readonly Level[]);
    else if (key === 'bids_raw' || key === 'asks_raw') text = decimalsJson(v as readonly string[]);
    else text = JSON.stringify(v);
    // Record keys are the data model's field names (letters and underscores): no escaping.
    s += (s === '' ? '{"' : ',"') + key + '":' + text;
  }
  return s === '' ? '{}' : s + '}';
}
