/**
 * Poison messages of every class storage must dead-letter (or, for a batch spanning
 * more than 100 daily partitions, store whole), published into the live stream beside
 * the collector's records. Each is unique per injection (`n`).
 */
import { keyOfRecord } from '../../storage/natural-key.js';
import type { DataType } from '../../core/model.js';

export interface Poison {
  /** The failure class, as the report names it. */
  cls: string;
  subject: string;
  body: string;
  /** dead_letter: must end in MARKET_DATA_DLQ; stored: must end in its table (key given). */
  expect: 'dead_letter' | 'stored';
  type?: DataType;
  key?: string;
}

/** trade_ids with this prefix are refused by a CHECK constraint the driver adds: ClickHouse rejects the row for its content. */
export const REFUSED_PREFIX = 'fault-refused-';
const DAY_MS = 86_400_000;

function trade(id: string, now: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    data_type: 'trade',
    exchange: 'binance',
    market_type: 'spot',
    symbol: 'FAULT-USDT',
    timestamp: now,
    local_timestamp: now + 1,
    trade_id: id,
    price: '27000.5',
    quantity: '0.25',
    quantity_raw: '0.25',
    quantity_unit: 'base',
    side: 'buy',
    is_maker: false,
    trade_time: now,
    ...over,
  };
}

function book(id: string, now: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    data_type: 'orderbook',
    exchange: 'binance',
    market_type: 'spot',
    symbol: 'FAULT-USDT',
    timestamp: now,
    local_timestamp: now + 1,
    last_update_id: id,
    bids: [['27000', '1.5']],
    asks: [['27001', '2']],
    quantity_unit: 'base',
    ...over,
  };
}

function vol(now: number, over: Record<string, unknown>): Record<string, unknown> {
  return {
    data_type: 'volatility_index',
    exchange: 'deribit',
    market_type: 'options',
    symbol: 'FAULT-USD',
    timestamp: now,
    local_timestamp: now + 1,
    index_value: '55.5',
    underlying_asset: 'BTC',
    ...over,
  };
}

const TRADE = 'trade.binance.spot.FAULT-USDT';
const BOOK = 'orderbook.binance.spot.FAULT-USDT';
const VOL = 'volatility_index.deribit.options.FAULT-USD';

/** One message of every class; `maxPayload` sizes the too-large one. */
export function poisonSet(n: number, now: number, maxPayload: number): Poison[] {
  const dl = (cls: string, subject: string, body: string): Poison => ({ cls, subject, body, expect: 'dead_letter' });
  const json = JSON.stringify;
  const out: Poison[] = [
    dl('unparseable JSON, parse error holding a newline', TRADE, `x\ny\r\n\u0007{"not": "json" ${n}`),
    dl('unparseable JSON, truncated', TRADE, json(trade(`fault-${n}-trunc`, now)).slice(0, 40)),
    dl('not an object', TRADE, `[${n}, 2, 3]`),
    dl('invalid: missing field', TRADE, json({ ...trade(`fault-${n}-missing`, now), price: undefined })),
    dl('invalid: wrong type (price as a JSON number)', TRADE, json(trade(`fault-${n}-type`, now, { price: 27000.5 }))),
    dl('invalid: text with a newline', TRADE, json(trade(`fault-${n}-nl\n${'z'.repeat(600)}`, now, { price: 'NaN\n' }))),
    dl('UInt64 overflow (last_update_id)', BOOK, json(book('18446744073709551616', now + n))),
    dl('impossible date (maturity_date 2026-02-30)', VOL, json(vol(now + n, { maturity_date: '2026-02-30' }))),
    dl("date outside the column's range (maturity_date 2200-01-01)", VOL, json(vol(now + n + 1, { maturity_date: '2200-01-01' }))),
    dl('timestamp in seconds, not ms', TRADE, json(trade(`fault-${n}-secs`, Math.floor(now / 1000)))),
    dl('non-positive price (0)', TRADE, json(trade(`fault-${n}-zero-price`, now, { price: '0' }))),
    dl('negative price', TRADE, json(trade(`fault-${n}-neg-price`, now, { price: '-1.5' }))),
    dl('negative quantity', TRADE, json(trade(`fault-${n}-neg-qty`, now, { quantity: '-0.5', quantity_raw: '-0.5' }))),
    dl('book level of quantity 0', BOOK, json(book(String(9_000_000 + n), now + n, { bids: [['27000', '0']] }))),
    dl('crossed types: a trade on an orderbook subject', BOOK, json(trade(`fault-${n}-subject`, now))),
    dl('refused by ClickHouse for its content (CHECK constraint)', TRADE, json(trade(`${REFUSED_PREFIX}${n}`, now))),
    dl('too large to copy with headers', TRADE, 'x'.repeat(Math.max(1024, maxPayload - 64))),
  ];
  // A batch spanning 150 daily partitions: valid rows, stored whole (never a retry loop, never dead-lettered).
  const day0 = Math.floor(now / DAY_MS) * DAY_MS;
  for (let d = 0; d < 150; d++) {
    const t = day0 + (d + 1) * DAY_MS + 1000 + n;
    const r = trade(`fault-${n}-day-${d}`, t);
    out.push({ cls: 'batch spanning 150 daily partitions', subject: TRADE, body: json(r), expect: 'stored', type: 'trade', key: keyOfRecord('trade', r) });
  }
  return out;
}
