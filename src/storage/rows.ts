/**
 * A validated record as a ClickHouse row (JSONEachRow). Decimals stay text end to
 * end; book levels go as `[[price, quantity], ...]` into Array(Tuple(...)) columns
 * (engines insert with input_format_json_named_tuples_as_objects = 0), optional
 * decimal arrays as `[]` when absent.
 */
import { fieldEntries, type FieldKind } from '../core/fields.js';
import type { MarketRecord, OrderbookRecord } from '../core/model.js';
import { decimalsJson, levelsJson } from '../core/record-json.js';

/** DateTime64(3) input: "seconds.millis" is parsed exactly, an integer would be read as seconds. */
export function msToDateTime64(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const frac = ms - sec * 1000;
  return `${sec}.${String(frac).padStart(3, '0')}`;
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

export function toRow(r: MarketRecord): Record<string, unknown> {
  const src = r as unknown as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const [name, kind] of fieldEntries(r.data_type)) row[name] = cell(kind, src[name]);
  if (r.data_type === 'orderbook') Object.assign(row, orderbookSummary(r));
  return row;
}

function orderbookSummary(r: OrderbookRecord): Record<string, unknown> {
  const bid = r.bids[0];
  const ask = r.asks[0];
  return {
    bids_count: r.bids.length,
    asks_count: r.asks.length,
    best_bid_price: bid?.[0] ?? null,
    best_bid_quantity: bid?.[1] ?? null,
    best_ask_price: ask?.[0] ?? null,
    best_ask_quantity: ask?.[1] ?? null,
  };
}

/**
 * `JSON.stringify(toRow(r))`, written directly: no row object, no generic walk of 800
 * level texts. Only for a record that passed `validateRecord` (the consumer validates
 * every record before it builds the row): that is what makes leaving texts unescaped
 * exact. Decimals, unsigned integers, enumerations (exchange, market type, unit,
 * side) and dates are validated as texts that never need escaping; free texts (symbol,
 * trade id, period, underlying) are escaped by JSON.stringify. test/storage/rows.test.ts
 * holds it equal to JSON.stringify(toRow(r)) for every record type, escapes included.
 */
export function rowJson(r: MarketRecord): string {
  const src = r as unknown as Record<string, unknown>;
  let s = '';
  for (const [name, kind] of fieldEntries(r.data_type)) {
    s += (s === '' ? '{"' : ',"') + name + '":' + cellJson(kind, src[name]);
  }
  // The summary columns once, as toRow has them: six small values beside the levels.
  if (r.data_type === 'orderbook') return s + ',' + JSON.stringify(orderbookSummary(r)).slice(1);
  return s + '}';
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
