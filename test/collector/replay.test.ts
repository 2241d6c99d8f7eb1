/**
 * Replay of the real cryptofeed sessions (Binance spot 2021, OKX 2022) against an
 * independent rebuild: the books here are rebuilt from the raw capture lines with a
 * plain Map and the venue rule written out longhand, sharing no code with the
 * collector (not even the capture reader). Every emitted book must equal the rebuilt
 * book at the same point, every rebuilt state must have been emitted, no gap may be
 * flagged, and every trade must appear exactly once.
 */
import { inverseWithinRounding } from '../helpers/inverse-bound.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MarketRecord, OrderbookRecord, TradeRecord } from '../../src/core/model.js';
import { validateRecord } from '../../src/core/validate.js';
import { replay } from '../../src/collector/replay.js';
import { capturePaths } from '../capture/captures.js';

type Side = Map<number, [string, string]>; // price as number -> [price text, qty text]
interface Naive {
  bids: Side;
  asks: Side;
}

const DEPTH = 400;

function top(side: Side, desc: boolean): [string, string][] {
  return [...side.entries()]
    .sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]))
    .slice(0, DEPTH)
    .map((e) => e[1]);
}

function setLevel(side: Side, price: string, qty: string): void {
  if (Number(qty) === 0) side.delete(Number(price));
  else side.set(Number(price), [price, qty]);
}

function view(b: Naive): { bids: [string, string][]; asks: [string, string][] } {
  return { bids: top(b.bids, true), asks: top(b.asks, false) };
}

/** Raw received frames and REST bodies of a capture, in file order per connection. */
function rawLines(file: string): { at: number; text: string; url?: string }[] {
  const out: { at: number; text: string; url?: string }[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const http = / -> (\d+\.?\d*): /.exec(line);
    if (http && line.startsWith('http')) {
      out.push({ at: Number(http[1]), url: line.slice(0, http.index), text: line.slice(http.index + http[0].length) });
      continue;
    }
    const recv = /^(\d+\.?\d*): /.exec(line);
    if (recv) out.push({ at: Number(recv[1]), text: line.slice(recv[0].length) });
  }
  return out;
}

async function run(venue: 'binance-spot' | 'okx', files: string[]): Promise<{ records: MarketRecord[]; summary: Awaited<ReturnType<typeof replay>> }> {
  const records: MarketRecord[] = [];
  const summary = await replay({ venue, files: capturePaths(...files) }, (r) => void records.push(r));
  return { records, summary };
}

describe('replay of the Binance spot capture', async () => {
  const { records, summary } = await run('binance-spot', ['BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0']);
  const books = records.filter((r): r is OrderbookRecord => r.data_type === 'orderbook');

  it('flags no problem and answers every snapshot request from the capture', () => {
    expect(summary.problems).toEqual({});
    expect(summary.unanswered_snapshots).toEqual([]);
  });

  it('emits only valid records', () => {
    for (const r of records) expect(() => validateRecord(JSON.parse(JSON.stringify(r)))).not.toThrow();
  });

  it('emits every book, each equal to the independently rebuilt book', () => {
    // Longhand Binance spot rule: snapshot L; apply diffs with u > L in order, each
    // starting at most one past the previous; one state per applied diff, plus the snapshot's.
    const expected = new Map<string, Map<string, ReturnType<typeof view>>>();
    const snapshots = new Map<string, { id: number; bids: string[][]; asks: string[][] }>();
    for (const l of rawLines(capturePaths('BINANCE.http.0.0')[0]!)) {
      const s = JSON.parse(l.text);
      snapshots.set(new URL(l.url!).searchParams.get('symbol')!, { id: s.lastUpdateId, bids: s.bids, asks: s.asks });
    }
    const state = new Map<string, { book: Naive; id: number }>();
    for (const [sym, s] of snapshots) {
      const book: Naive = { bids: new Map(), asks: new Map() };
      for (const [p, q] of s.bids) setLevel(book.bids, p!, q!);
      for (const [p, q] of s.asks) setLevel(book.asks, p!, q!);
      state.set(sym, { book, id: s.id });
      expected.set(sym, new Map([[String(s.id), view(book)]]));
    }
    for (const l of rawLines(capturePaths('BINANCE.ws.1.0')[0]!)) {
      const d = JSON.parse(l.text).data;
      if (d.e !== 'depthUpdate') continue;
      const st = state.get(d.s)!;
      if (d.u <= st.id) continue;
      expect(d.U).toBeLessThanOrEqual(st.id + 1); // the capture itself has no gap
      for (const [p, q] of d.b) setLevel(st.book.bids, p, q);
      for (const [p, q] of d.a) setLevel(st.book.asks, p, q);
      st.id = d.u;
      expected.get(d.s)!.set(String(d.u), view(st.book));
    }
    const wire = (symbol: string) => symbol.replace('-', '');
    let total = 0;
    for (const [sym, states] of expected) {
      const emitted = books.filter((b) => wire(b.symbol) === sym);
      expect(emitted.map((b) => b.last_update_id)).toEqual([...states.keys()]);
      for (const b of emitted) expect({ bids: b.bids, asks: b.asks }).toEqual(states.get(b.last_update_id));
      total += states.size;
    }
    expect(books).toHaveLength(total);
    expect(total).toBe(176);
  });

  it('emits every trade exactly once', () => {
    const ids = rawLines(capturePaths('BINANCE.ws.1.0')[0]!)
      .map((l) => JSON.parse(l.text).data)
      .filter((d) => d.e === 'aggTrade')
      .map((d) => `${d.s}:${d.a}`);
    const trades = records.filter((r): r is TradeRecord => r.data_type === 'trade');
    expect(trades.map((t) => `${t.symbol.replace('-', '')}:${t.trade_id}`)).toEqual(ids);
    expect(ids.length).toBeGreaterThan(0);
  });
});

/** ctVal of the capture's inverse contracts, from its own instrument list (OKX.0): USD per contract. */
const CONTRACT_SIZES: Record<string, string> = { 'UNI-USD-SWAP': '10', 'BTC-USD-220527': '100' };

function expectInverseBase(base: string, price: string, contracts: string, size: string): void {
  expect({ base, price, contracts, within: inverseWithinRounding(base, price, contracts, size) }).toEqual({ base, price, contracts, within: true });
}

describe('replay of the OKX capture', async () => {
  const { records, summary } = await run('okx', ['OKX.0', 'OKX.ws.1.0']);
  const books = records.filter((r): r is OrderbookRecord => r.data_type === 'orderbook');
  const raw = rawLines(capturePaths('OKX.ws.1.0')[0]!).map((l) => JSON.parse(l.text));
  // A spot pair, a perpetual swap and a dated future: every instrument of the capture.
  const modelled: Record<string, string> = {
    'BTC-USDT': 'BTC-USDT spot',
    'UNI-USD-SWAP': 'UNI-USD perpetual',
    'BTC-USD-220527': 'BTC-USD-220527 futures',
  };

  it('flags no gap, checksum failure, crossing or unsupported instrument', () => {
    expect(summary.problems).toEqual({});
  });

  it('emits only valid records', () => {
    for (const r of records) expect(() => validateRecord(JSON.parse(JSON.stringify(r)))).not.toThrow();
  });

  it('emits every book, each equal to the independently rebuilt book', () => {
    let total = 0;
    for (const [instId, name] of Object.entries(modelled)) {
      const book: Naive = { bids: new Map(), asks: new Map() };
      const states: { ts: number; view: ReturnType<typeof view> }[] = [];
      for (const m of raw) {
        if (m.arg?.channel !== 'books' || m.arg.instId !== instId || !m.data) continue;
        if (m.action === 'snapshot') {
          book.bids.clear();
          book.asks.clear();
        }
        for (const d of m.data) {
          for (const [p, q] of d.bids) setLevel(book.bids, p, q);
          for (const [p, q] of d.asks) setLevel(book.asks, p, q);
          states.push({ ts: Number(d.ts), view: view(book) });
        }
      }
      const emitted = books.filter((b) => `${b.symbol} ${b.market_type}` === name);
      expect(emitted.map((b) => b.timestamp)).toEqual(states.map((s) => s.ts));
      const size = CONTRACT_SIZES[instId];
      emitted.forEach((b, i) => {
        // The venue's own sizes equal the rebuild; quantities are in base.
        const raw = (levels: readonly (readonly [string, string])[], rawQty: readonly string[] | undefined) =>
          levels.map(([p, q], k) => [p, rawQty ? rawQty[k]! : q]);
        expect({ bids: raw(b.bids, b.bids_raw), asks: raw(b.asks, b.asks_raw) }).toEqual(states[i]!.view);
        expect(b.quantity_unit).toBe(size ? 'contracts' : 'base');
        if (size) for (const [k, [p, q]] of [...b.bids, ...b.asks].entries()) expectInverseBase(q, p, [...b.bids_raw!, ...b.asks_raw!][k]!, size);
      });
      total += states.length;
    }
    expect(books).toHaveLength(total);
    expect(total).toBe(98 + 93 + 99);
  });

  it('emits every trade exactly once', () => {
    const ids = raw
      .filter((m) => m.arg?.channel === 'trades' && m.data && modelled[m.arg.instId])
      .flatMap((m) => m.data.map((d: { tradeId: string }) => d.tradeId));
    const trades = records.filter((r): r is TradeRecord => r.data_type === 'trade');
    expect(trades.map((t) => t.trade_id)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(74);
  });
});
