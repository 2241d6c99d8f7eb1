/**
 * Stored book records against the driver's own rebuilds (book-rebuild.ts, okx-book-rebuild.ts):
 * the rows as read from `orderbooks` (storedBooksSql), each compared with its rebuild's top
 * levels at its `last_update_id`, tallied per (exchange, market_type). A stored side with the
 * venue's own sizes (`bids_raw`/`asks_raw`: OKX swaps count contracts) is compared in those,
 * each base quantity checked to be exactly raw × the contract size the rebuild read from the venue.
 */
import { multiplyDecimal } from '../../core/decimal-math.js';
import { normalizeDecimal } from '../../storage/natural-key.js';

/** What a rebuild offers to compare with: per instrument, id → `bids|asks` top levels. */
export interface BookRebuild {
  readonly tops: Map<string, Map<number, string>>;
  insideWindow(instrument: string, id: number): boolean;
}

/** Stored books of one (exchange, market_type), the rebuild's instrument of a stored symbol (BTC-USDT), and its rebuild. */
export interface RebuiltMarket {
  exchange: string;
  marketType: string;
  instrument(symbol: string): string;
  rebuild: BookRebuild;
  /** Base units per contract of an instrument whose sizes the venue counts in contracts. */
  contractSize?(instrument: string): string | undefined;
}

/** One stored record as storedBooksSql reads it: levels `price:quantity,...`, raw sizes `size,...` (empty: none). */
export interface StoredBookRow {
  e: string;
  m: string;
  s: string;
  id: string;
  b: string;
  a: string;
  br: string;
  ar: string;
}

export interface MarketTally {
  stored: number;
  equal: number;
  /** At an id strictly inside an update the rebuild applied: a new owner's first book, from its REST snapshot. */
  inWindow: number;
  symbols: Set<string>;
  /** At an id the rebuild never reached. */
  missing: string[];
  differ: string[];
}

/** The distinct stored records of `markets` whose local_timestamp satisfies `when`, top `depth` levels a side. */
export function storedBooksSql(markets: readonly Pick<RebuiltMarket, 'exchange' | 'marketType'>[], depth: number, when: string): string {
  const slice = (col: string) => `arraySlice(${col}, 1, ${depth})`;
  const text = (levels: string) => `arrayStringConcat(arrayMap(x -> concat(toString(x.1), ':', toString(x.2)), ${slice(levels)}), ',')`;
  const raw = (sizes: string) => `arrayStringConcat(arrayMap(x -> toString(x), ${slice(sizes)}), ',')`;
  const which = markets.map((g) => `(exchange = '${g.exchange}' AND market_type = '${g.marketType}')`).join(' OR ');
  return (
    `SELECT DISTINCT exchange AS e, market_type AS m, symbol AS s, toString(last_update_id) AS id, ${text('bids')} AS b, ${text('asks')} AS a, ` +
    `${raw('bids_raw')} AS br, ${raw('asks_raw')} AS ar FROM marketprism_hot.orderbooks WHERE (${when}) AND (${which})`
  );
}

const levels = (side: string) =>
  side
    .split(',')
    .filter((l) => l !== '')
    .map((l) => l.split(':').map(normalizeDecimal) as [string, string]);
const joined = (side: [string, string][]) => side.map((l) => l.join(':')).join(',');

/** A stored side as the venue counts it, or what is wrong with its base quantities. */
function venueSide(g: RebuiltMarket, inst: string, side: string, sizes: string): { text: string; wrong?: string } {
  const base = levels(side);
  if (sizes === '') return { text: joined(base) };
  const raw = sizes.split(',').map(normalizeDecimal);
  const contract = g.contractSize?.(inst);
  if (contract === undefined) return { text: '', wrong: `stored sizes in the venue's unit, but ${inst} has no contract size from the venue` };
  if (raw.length !== base.length) return { text: '', wrong: `${base.length} levels, ${raw.length} raw sizes` };
  const off = base.findIndex(([, q], k) => q !== normalizeDecimal(multiplyDecimal(raw[k]!, contract)));
  if (off >= 0)
    return {
      text: '',
      wrong: `level ${off + 1}: quantity ${base[off]![1]}, but ${raw[off]} contracts × ${contract} is ${multiplyDecimal(raw[off]!, contract)}`,
    };
  return { text: joined(base.map(([p], k) => [p, raw[k]!])) };
}

/** Each row compared with its market's rebuild; rows of other markets are ignored. */
export function compareStoredBooks(rows: readonly StoredBookRow[], markets: readonly RebuiltMarket[]): Map<RebuiltMarket, MarketTally> {
  const tally = new Map(markets.map((g) => [g, { stored: 0, equal: 0, inWindow: 0, symbols: new Set<string>(), missing: [], differ: [] } as MarketTally]));
  for (const row of rows) {
    const g = markets.find((x) => x.exchange === row.e && x.marketType === row.m);
    if (!g) continue;
    const t = tally.get(g)!;
    const inst = g.instrument(row.s);
    const id = Number(row.id);
    const at = `${row.s}@${row.id}`;
    t.stored++;
    t.symbols.add(row.s);
    const want = g.rebuild.tops.get(inst)?.get(id);
    const bids = venueSide(g, inst, row.b, row.br);
    const asks = venueSide(g, inst, row.a, row.ar);
    const got = `${bids.text}|${asks.text}`;
    // A new owner's first book after its REST snapshot carries the snapshot's id, which falls inside a push
    // window: a true state of the venue, but one the stream never shows, so none to compare with.
    if (want === undefined && g.rebuild.insideWindow(inst, id)) t.inWindow++;
    else if (want === undefined) t.missing.push(at);
    else if (bids.wrong || asks.wrong) t.differ.push(`${at}: ${bids.wrong ?? asks.wrong}`);
    else if (want !== got) t.differ.push(`${at}: stored ${got.slice(0, 160)}, rebuilt ${want.slice(0, 160)}`);
    else t.equal++;
  }
  return tally;
}
