/**
 * Binance COIN-M (inverse contracts of `contractSize` USD): a session recorded from the
 * simulator by the collector itself, replayed; every book equals an independent
 * rebuild of the recorded frames (the `pu` chain applied by hand, contracts converted
 * to base without the code under test), every trade once, every record valid.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureWriter } from '../../src/capture/format.js';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { LiveVenue } from '../../src/collector/live.js';
import { replay } from '../../src/collector/replay.js';
import type { MarketRecord, OrderbookRecord, TradeRecord } from '../../src/core/model.js';
import { validateRecord } from '../../src/core/validate.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { waitFor } from '../../src/testing/ports.js';
import { inverseWithinRounding } from '../helpers/inverse-bound.js';
import { quietLog } from '../helpers/storage-env.js';
import { writeFileSync } from 'node:fs';

const CONTRACT_USD: Record<string, string> = { BTCUSD_PERP: '100', ETHUSD_PERP: '10' };
const DEPTH = 20;

let sim: ExchangeSim;
let dir: string;
let live: { records: MarketRecord[] };
let replayed: { records: MarketRecord[]; summary: Awaited<ReturnType<typeof replay>> };

beforeAll(async () => {
  sim = await startExchangeSim({
    venue: 'binance-coinm',
    source: { generate: { seed: 11, symbols: ['BTC-USD', 'ETH-USD'], ratePerSec: 20, periodicMs: 200 } },
  });
  dir = mkdtempSync(join(tmpdir(), 'mp-coinm-'));
  const file = join(dir, 'collector.yaml');
  writeFileSync(
    file,
    `venues:\n  binance_coinm:\n    ws_url: ${sim.wsUrl}\n    rest_url: ${sim.restUrl}\n    open_interest_poll: 1s\n    symbols: [BTC-USD, ETH-USD]\n`,
  );
  const cfg = loadCollectorConfig(file).venues[0]!;
  const writer = new CaptureWriter(join(dir, 'capture'), 'BINANCE_DELIVERY');
  const records: MarketRecord[] = [];
  const venue = new LiveVenue(cfg, { depth: DEPTH, publishIntervalMs: 0, capture: writer }, quietLog('collector'), { record: (r) => records.push(r) });
  venue.start();
  await waitFor(
    'books, trades, funding, open interest and liquidations of both contracts',
    () => {
      const types = new Set(records.map((r) => `${r.data_type}:${r.symbol}`));
      return (
        ['orderbook', 'trade', 'funding_rate', 'open_interest', 'liquidation'].every((t) => types.has(`${t}:BTC-USD`) && types.has(`${t}:ETH-USD`)) &&
        records.filter((r) => r.data_type === 'orderbook').length >= 60
      );
    },
    30_000,
  );
  await venue.stop();
  await writer.close();
  live = { records };
  const files = readdirSync(join(dir, 'capture')).map((f) => join(dir, 'capture', f));
  const out: MarketRecord[] = [];
  const summary = await replay({ venue: 'binance-coinm', files, depth: DEPTH }, (r) => void out.push(r));
  replayed = { records: out, summary };
}, 60_000);

afterAll(async () => {
  await sim?.stop();
});

/** Received frames of the capture's connection files, in order. */
function frames(): { stream: string; data: Record<string, unknown> }[] {
  const out: { stream: string; data: Record<string, unknown> }[] = [];
  for (const f of readdirSync(join(dir, 'capture'))
    .filter((n) => n.includes('.ws.'))
    .sort()) {
    for (const line of readFileSync(join(dir, 'capture', f), 'utf8').split('\n')) {
      const m = /^\d+\.?\d*: (.*)$/.exec(line);
      if (m) out.push(JSON.parse(m[1]!));
    }
  }
  return out;
}

function snapshots(): Map<string, { lastUpdateId: number; bids: string[][]; asks: string[][] }[]> {
  const out = new Map<string, { lastUpdateId: number; bids: string[][]; asks: string[][] }[]>();
  for (const f of readdirSync(join(dir, 'capture')).filter((n) => n.includes('.http.'))) {
    for (const line of readFileSync(join(dir, 'capture', f), 'utf8').split('\n')) {
      const m = /^(\S+) -> [\d.]+: (.*)$/.exec(line);
      if (!m || !m[1]!.includes('/dapi/v1/depth')) continue;
      const symbol = new URL(m[1]!).searchParams.get('symbol')!;
      out.set(symbol, [...(out.get(symbol) ?? []), JSON.parse(m[2]!)]);
    }
  }
  return out;
}

describe('Binance COIN-M recorded from the simulator and replayed', () => {
  it('replays with no problem, every record valid, the same records as live', () => {
    expect(replayed.summary.problems).toEqual({});
    expect(replayed.summary.instruments).toBeGreaterThanOrEqual(2);
    for (const r of replayed.records) expect(() => validateRecord(JSON.parse(JSON.stringify(r)))).not.toThrow();
    const strip = (r: MarketRecord) => ({ ...r, local_timestamp: 0 });
    const books = (rs: MarketRecord[]) => rs.filter((r) => r.data_type === 'orderbook').map(strip);
    // Live may publish a last book the capture's close cut off; replay gives every one live gave before it.
    expect(books(live.records).slice(0, books(replayed.records).length)).toEqual(books(replayed.records));
  });

  it('every book equals an independent rebuild of the recorded frames, in contracts and in base', () => {
    const snaps = snapshots();
    const state = new Map<
      string,
      { bids: Map<number, [string, string]>; asks: Map<number, [string, string]>; id: number; synced: boolean; buffer: Record<string, unknown>[] }
    >();
    const expected = new Map<string, Map<string, { bids: string[][]; asks: string[][] }>>();
    const top = (m: Map<number, [string, string]>, desc: boolean) =>
      [...m.entries()]
        .sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]))
        .slice(0, DEPTH)
        .map(([, l]) => l);
    const set = (m: Map<number, [string, string]>, p: string, q: string) => (Number(q) === 0 ? m.delete(Number(p)) : m.set(Number(p), [p, q]));
    const apply = (st: NonNullable<ReturnType<typeof state.get>>, d: Record<string, unknown>) => {
      for (const [p, q] of d.b as string[][]) set(st.bids, p!, q!);
      for (const [p, q] of d.a as string[][]) set(st.asks, p!, q!);
      st.id = d.u as number;
    };
    for (const { data: d } of frames()) {
      if (d.e !== 'depthUpdate') continue;
      const sym = d.s as string;
      let st = state.get(sym);
      if (!st) state.set(sym, (st = { bids: new Map(), asks: new Map(), id: 0, synced: false, buffer: [] }));
      if (!st.synced) {
        st.buffer.push(d);
        // The first snapshot that a buffered diff straddles (U <= L <= u) starts the book.
        const straddled = (snap: { lastUpdateId: number }) =>
          st!.buffer.some((b) => (b.U as number) <= snap.lastUpdateId && snap.lastUpdateId <= (b.u as number));
        const snap = snaps.get(sym)?.find(straddled);
        if (!snap) continue;
        for (const [p, q] of snap.bids) set(st.bids, p!, q!);
        for (const [p, q] of snap.asks) set(st.asks, p!, q!);
        st.id = snap.lastUpdateId;
        st.synced = true;
        expected.set(sym, (expected.get(sym) ?? new Map()).set(String(st.id), { bids: top(st.bids, true), asks: top(st.asks, false) }));
        const kept = st.buffer.filter((b) => (b.u as number) >= snap.lastUpdateId);
        st.buffer = [];
        for (const b of kept) apply(st, b);
      } else {
        expect(d.pu).toBe(st.id); // the recording itself has no gap
        apply(st, d);
      }
      expected.set(sym, (expected.get(sym) ?? new Map()).set(String(st.id), { bids: top(st.bids, true), asks: top(st.asks, false) }));
    }
    const books = replayed.records.filter((r): r is OrderbookRecord => r.data_type === 'orderbook');
    expect(books.length).toBeGreaterThan(50);
    let checked = 0;
    for (const b of books) {
      const wire = `${b.symbol.replace('-', '')}_PERP`;
      const want = expected.get(wire)?.get(b.last_update_id);
      expect(want, `${wire} ${b.last_update_id}`).toBeDefined();
      expect(b.quantity_unit).toBe('contracts');
      expect({ bids: b.bids.map(([p], k) => [p, b.bids_raw![k]]), asks: b.asks.map(([p], k) => [p, b.asks_raw![k]]) }).toEqual(want);
      for (const [k, [p, q]] of [...b.bids, ...b.asks].entries())
        expect(inverseWithinRounding(q, p, [...b.bids_raw!, ...b.asks_raw!][k]!, CONTRACT_USD[wire]!)).toBe(true);
      checked++;
    }
    expect(checked).toBe(books.length);
  });

  it('every trade once, in base with its contracts beside it', () => {
    const ids = frames()
      .filter((f) => f.data.e === 'aggTrade')
      .map((f) => `${f.data.s as string}:${f.data.a as number}`);
    const trades = replayed.records.filter((r): r is TradeRecord => r.data_type === 'trade');
    expect(trades.map((t) => `${t.symbol.replace('-', '')}_PERP:${t.trade_id}`)).toEqual(ids);
    for (const t of trades) {
      expect(t.quantity_unit).toBe('contracts');
      expect(inverseWithinRounding(t.quantity, t.price, t.quantity_raw, CONTRACT_USD[`${t.symbol.replace('-', '')}_PERP`]!)).toBe(true);
    }
  });
});
