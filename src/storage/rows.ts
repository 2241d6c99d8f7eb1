/**
 * A validated record as a ClickHouse row. Rows go to the engines as JSONCompactEachRow
 * (`[v1, v2, ...]`, one line a row, under the column list `insertColumns` names): the
 * same values as a JSONEachRow object without the column name in front of each, which
 * ClickHouse parses in about two thirds of the time (docs/benchmarks.md, pipeline).
 * Decimals stay text end to end; book levels go as `[[price, quantity], ...]` into
 * Array(Tuple(...)) columns, optional decimal arrays as `[]` when absent.
 */
import { fieldEntries, type FieldKind } from '../core/fields.js';
import type { DataType, MarketRecord, OrderbookRecord } from '../core/model.js';
import { decimalsJson, levelsJson } from '../core/record-json.js';

/** DateTime64(3) input: "seconds.millis" is parsed exactly, an integer would be read as seconds. */
export function msToDateTime64(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const frac = ms - sec * 1000;
  return `${sec}.${String(frac).padStart(3, '0')}`;
}

/** Orderbook columns computed from the levels at insert (schema.ts ORDERBOOK_DERIVED), in this order. */
const SUMMARY_COLUMNS = ['bids_count', 'asks_count', 'best_bid_price', 'best_bid_quantity', 'best_ask_price', 'best_ask_quantity'] as const;

const COLUMNS = new Map<DataType, readonly string[]>();

/** The columns a row of `type` fills, in the order `rowJson` writes its values (the others take their DEFAULT). */
export function insertColumns(type: DataType): readonly string[] {
  let cols = COLUMNS.get(type);
  if (!cols) {
    cols = [...fieldEntries(type).map(([name]) => name), ...(type === 'orderbook' ? SUMMARY_COLUMNS : [])];
    COLUMNS.set(type, cols);
  }
  return cols;
}

function cell(kind: FieldKind, v: unknown): unknown {
  if (v === undefined || v === null) return kind === 'decimals?' ? [] : null;
  switch (kind) {
    case 'time':
    case 'time?':
      return msToDateTime64(v as number);
    default:
      return v;
  }
}

/** The row as an object, column → value: the reference `rowJson` is held to, and what the tests read back. */
export function toRow(r: MarketRecord): Record<string, unknown> {
  const src = r as unknown as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const [name, kind] of fieldEntries(r.data_type)) row[name] = cell(kind, src[name]);
  if (r.data_type === 'orderbook') {
    const summary = orderbookSummary(r);
    SUMMARY_COLUMNS.forEach((name, i) => (row[name] = summary[i]));
  }
  return row;
}

/** SUMMARY_COLUMNS' values. */
function orderbookSummary(r: OrderbookRecord): unknown[] {
  const bid = r.bids[0];
  const ask = r.asks[0];
  return [r.bids.length, r.asks.length, bid?.[0] ?? null, bid?.[1] ?? null, ask?.[0] ?? null, ask?.[1] ?? null];
}

/**
 * The row as a JSONCompactEachRow line: `JSON.stringify(insertColumns(type).map((c) =>
 * toRow(r)[c]))`, written directly, with no row object and no generic walk of 800 level
 * texts. Only for a record that passed `validateRecord` (the consumer validates every
 * record before it builds the row): that is what makes leaving texts unescaped exact.
 * Decimals, unsigned integers, enumerations (exchange, market type, unit, side) and
 * dates are validated as texts that never need escaping; free texts (symbol, trade id,
 * period, underlying) are escaped by JSON.stringify. test/storage/rows.test.ts holds it
 * equal to the definition above for every record type, escapes included.
 */
export function rowJson(r: MarketRecord): string {
  const src = r as unknown as Record<string, unknown>;
  let s = '';
  for (const [name, kind] of fieldEntries(r.data_type)) s += (s === '' ? '[' : ',') + cellJson(kind, src[name]);
  // The summary columns once, as toRow has them: six small values beside the levels.
  if (r.data_type === 'orderbook') return s + ',' + JSON.stringify(orderbookSummary(r)).slice(1);
  return s + ']';
}

function cellJson(kind: FieldKind, v: unknown): string {
  if (v === undefined || v === null) return kind === 'decimals?' ? '[]' : 'null';
  switch (kind) {
    case 'time':
    case 'time?':
      return '"' + msToDateTime64(v as number) + '"';
    case 'text':
      return JSON.stringify(v);
    case 'bool':
      return v ? 'true' : 'false';
    case 'levels':
      return levelsJson(v as OrderbookRecord['bids']);
    case 'decimals?':
      return decimalsJson(v as readonly string[]);
    default:
      // exchange, market_type, unit, side, decimal(?), uint, date?: validated texts with nothing to escape.
      return '"' + (v as string) + '"';
  }
}
