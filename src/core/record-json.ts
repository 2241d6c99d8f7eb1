/**
 * A record's JSON text, the same text `JSON.stringify(record)` gives, made faster for
 * order books. A 400-level book record is 800 price and quantity texts; `JSON.stringify`
 * walks them generically (an array per level, each string scanned for what needs
 * escaping) and took about three times as long as the rest of a replay's work per record
 * (`replay-process` bench, docs/benchmarks.md). Here the level arrays are joined as text.
 * A list a book gave for a record (order-book.ts `publishedTop`, `topInBase`) is joined
 * from the texts the book keeps per held level, made once per level and written as long
 * as the level stays: 400-level records cost 1.3-1.6 times 25-level ones in a replay,
 * against 1.5-2.1 when every level's text was made again for every record. (A cache of
 * each level's text in a WeakMap keyed by the level was tried before and measured no
 * faster: the lookups cost what the concatenation saved. The book keeps its texts by slot.)
 *
 * Why that is exact: every text in `bids`, `asks`, `bids_raw` and `asks_raw` is a decimal
 * (core/decimal: digits, one point, a leading minus), checked when the adapter read it
 * from the wire or computed it by conversion (mappers: `levels`, `validBook`), so none
 * needs escaping. test/core/record-json.test.ts holds the output equal to
 * `JSON.stringify` for every record the captures replay to and for random records.
 */
import type { Level, MarketRecord } from './model.js';

/** One level as JSON, `["price","quantity"]`: both decimals (see above), so neither is escaped. */
export function levelJson(l: Level): string {
  return '["' + l[0] + '","' + l[1] + '"]';
}

/**
 * What made a list of levels and keeps their texts (order-book.ts `BookSide`: a level's
 * text is made once while the book holds it): the list's JSON text while the source is
 * still at the `version` it gave the list at, else undefined. `inBase`: the list holds the
 * levels' base-unit forms.
 */
export interface LevelsSource {
  levelsJson(levels: readonly Level[], version: number, inBase: boolean): string | undefined;
}

/**
 * The lists of levels sources gave most recently, and at what: a list is written right
 * after it is made (the publisher and `replay` write each record as it comes), so it is
 * one of the last few here; one made longer ago, or not by a source (a record read back
 * from NATS), is written from its levels. A ring of parallel arrays rather than a WeakMap:
 * four stores per list, nothing to collect, and it keeps only the last few lists alive
 * (replay writes at most two records per captured event; a fleet's standby records, held
 * and written later, fall back to their levels).
 */
const RECENT = 16;
const recentLists: (readonly Level[] | undefined)[] = new Array<readonly Level[] | undefined>(RECENT).fill(undefined);
const recentSources: (LevelsSource | undefined)[] = new Array<LevelsSource | undefined>(RECENT).fill(undefined);
const recentVersions = new Float64Array(RECENT);
const recentInBase = new Uint8Array(RECENT);
let nextRecent = 0;

/** `levels`, remembered as given by `source` at `version`, for `levelsJson`. */
export function fromLevelsSource<L extends readonly Level[]>(levels: L, source: LevelsSource, version: number, inBase: boolean): L {
  const i = nextRecent;
  nextRecent = (i + 1) % RECENT;
  recentLists[i] = levels;
  recentSources[i] = source;
  recentVersions[i] = version;
  recentInBase[i] = inBase ? 1 : 0;
  return levels;
}

/** The JSON text of `levels` from the source that gave it, if it did so recently and is unchanged since. */
function keptJson(levels: readonly Level[]): string | undefined {
  for (let k = 1; k <= RECENT; k++) {
    const i = (nextRecent - k + RECENT) % RECENT;
    if (recentLists[i] === levels) return recentSources[i]!.levelsJson(levels, recentVersions[i]!, recentInBase[i] === 1);
  }
  return undefined;
}

/** Book levels as JSON: every text a decimal (see above), so none is escaped. */
export function levelsJson(levels: readonly Level[]): string {
  const kept = keptJson(levels);
  if (kept !== undefined) return kept;
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
