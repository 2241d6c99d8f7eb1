/**
 * The collector's live path against the project's exchange simulator (src/sim), all
 * four venues on generated sessions: every configured data type arrives valid, books
 * stay in sync (no false gap), and each fault is survived the way the venue demands.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCollectorConfig, type VenueConfig } from '../../src/collector/config.js';
import { LiveVenue } from '../../src/collector/live.js';
import { replay } from '../../src/collector/replay.js';
import type { DataType, MarketRecord, OrderbookRecord } from '../../src/core/model.js';
import { validateRecord } from '../../src/core/validate.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { waitFor } from '../../src/testing/ports.js';
import { capturePaths } from '../capture/captures.js';
import { quietLog } from '../helpers/storage-env.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

type SimVenueKind = 'binance-spot' | 'binance-usdm' | 'binance-coinm' | 'okx' | 'deribit';

async function collect(venue: SimVenueKind, configVenue: string, yaml: string, generate: Record<string, unknown> = {}) {
  const sim: ExchangeSim = await startExchangeSim({
    venue,
    source: { generate: { seed: 7, symbols: ['BTC-USDT', 'ETH-USDT'], ratePerSec: 20, periodicMs: 200, ...generate } },
  });
  cleanup.push(() => sim.stop());
  const file = join(mkdtempSync(join(tmpdir(), 'mp-sim-')), 'collector.yaml');
  writeFileSync(
    file,
    `venues:\n  ${configVenue}:\n    ws_url: ${sim.wsUrl}\n    rest_url: ${sim.restUrl}\n    lsr_poll: 1s\n    open_interest_poll: 1s\n    stale_after: 3s\n${yaml}`,
  );
  const cfg: VenueConfig = loadCollectorConfig(file).venues[0]!;
  const records: MarketRecord[] = [];
  const resyncs: string[] = [];
  const live = new LiveVenue(cfg, { depth: 50, publishIntervalMs: 0 }, quietLog('collector'), {
    record: (r) => records.push(r),
    resync: (_symbol, reason) => resyncs.push(reason),
  });
  live.start();
  cleanup.push(() => live.stop());
  const books = () => records.filter((r): r is OrderbookRecord => r.data_type === 'orderbook');
  const types = () => new Set(records.map((r) => r.data_type));
  return { sim, cfg, live, records, resyncs, books, types };
}

function expectSaneBooks(books: OrderbookRecord[]): void {
  const last = new Map<string, bigint>();
  for (const b of books) {
    validateRecord(b);
    const id = BigInt(b.last_update_id);
    const prev = last.get(b.symbol);
    if (prev !== undefined) expect(id >= prev).toBe(true);
    last.set(b.symbol, id);
    if (b.bids.length && b.asks.length) expect(Number(b.bids[0]![0])).toBeLessThan(Number(b.asks[0]![0]));
  }
}

/** Per venue and type: whether each optional column is provided (true) or NULL on that venue (false). */
const OPTIONAL_COLUMNS: Record<string, Partial<Record<DataType, Record<string, boolean>>>> = {
  binance_spot: { orderbook: { bids_raw: false, asks_raw: false } },
  binance_derivatives: {
    orderbook: { bids_raw: false, asks_raw: false },
    funding_rate: { mark_price: true, index_price: true, funding_time: true, next_funding_time: false },
    open_interest: { open_interest_value: true },
  },
  binance_coinm: {
    orderbook: { bids_raw: true, asks_raw: true },
    funding_rate: { mark_price: true, index_price: true, funding_time: true, next_funding_time: false },
    open_interest: { open_interest_value: true },
  },
  okx_spot: { orderbook: { bids_raw: false, asks_raw: false } },
  okx_derivatives: {
    orderbook: { bids_raw: true, asks_raw: true },
    funding_rate: { mark_price: true, index_price: true, funding_time: true, next_funding_time: true },
    open_interest: { open_interest_value: true },
  },
  deribit_derivatives: {
    orderbook: { bids_raw: true, asks_raw: true },
    funding_rate: { mark_price: true, index_price: true, funding_time: false, next_funding_time: false },
    open_interest: { open_interest_value: true },
    volatility_index: { maturity_date: false },
  },
};

const problems = (live: LiveVenue) => Object.fromEntries(live.session.problems.counts);

describe.each([
  ['binance-spot', 'binance_spot', ['orderbook', 'trade']],
  ['binance-usdm', 'binance_derivatives', ['orderbook', 'trade', 'funding_rate', 'open_interest', 'liquidation', 'lsr_top_position', 'lsr_all_account']],
  ['binance-coinm', 'binance_coinm', ['orderbook', 'trade', 'funding_rate', 'open_interest', 'liquidation']],
  ['okx', 'okx_derivatives', ['orderbook', 'trade', 'funding_rate', 'open_interest', 'liquidation', 'lsr_top_position', 'lsr_all_account']],
  ['okx', 'okx_spot', ['orderbook', 'trade']],
  ['deribit', 'deribit_derivatives', ['volatility_index', 'funding_rate', 'open_interest', 'orderbook']],
] as const)('%s simulator -> %s', (venue, configVenue, wanted) => {
  it('delivers every configured data type, valid, with books in sync', async () => {
    const symbols = configVenue === 'deribit_derivatives' ? '[BTC, ETH]' : configVenue === 'binance_coinm' ? '[BTC-USD, ETH-USD]' : '[BTC-USDT, ETH-USDT]';
    const c = await collect(venue, configVenue, `    symbols: ${symbols}\n    data_types: [${wanted.join(', ')}]\n`);
    await waitFor(`all of ${wanted.join(', ')}`, () => wanted.every((t) => c.types().has(t as DataType)) && c.books().length >= 40, 30_000);
    for (const r of c.records) validateRecord(r);
    expectSaneBooks(c.books());
    expect(problems(c.live)).toEqual({});
    expect(c.resyncs).toEqual([]);
    // Every optional column the venue provides is filled (docs/data-model.md, "Where each
    // column comes from"), and the ones it lacks are NULL rather than a stand-in.
    for (const [type, fields] of Object.entries(OPTIONAL_COLUMNS[configVenue])) {
      const last = c.records.filter((r) => r.data_type === type).at(-1) as unknown as Record<string, unknown>;
      for (const [field, provided] of Object.entries(fields)) {
        expect({ venue: configVenue, type, field, filled: last[field] !== undefined }).toEqual({ venue: configVenue, type, field, filled: provided });
      }
    }
  });
});

describe('symbol patterns against the simulator', () => {
  it('resolves *-USDT from the venue instrument list before subscribing, and collects every match', async () => {
    const c = await collect('binance-spot', 'binance_spot', '    symbols: ["*-USDT"]\n    data_types: [orderbook, trade]\n');
    await waitFor('books of both generated pairs', () => ['BTC-USDT', 'ETH-USDT'].every((s) => c.books().some((b) => b.symbol === s)), 30_000);
    expect(c.live.symbols).toEqual(['BTC-USDT', 'ETH-USDT']);
    expect(problems(c.live)).toEqual({});
  });
});

describe('faults from the simulator', () => {
  it.each([
    ['binance-spot', 'binance_spot'],
    ['binance-usdm', 'binance_derivatives'],
    ['okx', 'okx_spot'],
    ['deribit', 'deribit_derivatives'],
  ] as const)('%s: a dropped diff is one gap, one resync, and the book comes back', async (venue, configVenue) => {
    const extra =
      configVenue === 'deribit_derivatives' ? '    symbols: [BTC]\n    data_types: [orderbook]\n' : '    symbols: [BTC-USDT]\n    data_types: [orderbook]\n';
    const c = await collect(venue, configVenue, extra);
    await waitFor('books', () => c.books().length >= 20, 30_000);
    c.sim.inject({ kind: 'drop-diff' });
    await waitFor('the gap', () => c.resyncs.length === 1, 30_000);
    const n = c.books().length;
    await waitFor('books after resync', () => c.books().length >= n + 20, 30_000);
    expect(c.resyncs).toEqual(['gap']);
    expect(problems(c.live)).toEqual({ gap: 1 });
    expectSaneBooks(c.books());
  });

  it('OKX 2025 protocol (pushed snapshots, CRC32 checksums) syncs and resubscribes after a dropped diff', async () => {
    const c = await collect('okx', 'okx_spot', '    symbols: [BTC-USDT]\n    data_types: [orderbook]\n', { okxMode: '2025' });
    await waitFor('books', () => c.books().length >= 20, 30_000);
    expect(problems(c.live)).toEqual({});
    c.sim.inject({ kind: 'drop-diff' });
    await waitFor('the gap', () => c.resyncs.length >= 1, 30_000);
    const n = c.books().length;
    await waitFor('books after resubscribe', () => c.books().length >= n + 20, 30_000);
    expect(c.sim.stats.restRequests).toBe(0); // resynced by resubscribing, not REST
    expectSaneBooks(c.books());
  });

  it('a stalled socket is given up after stale_after; a closed one is reconnected; books resync', async () => {
    const c = await collect('binance-spot', 'binance_spot', '    symbols: [BTC-USDT]\n    data_types: [orderbook, trade]\n');
    await waitFor('books', () => c.books().length >= 20, 30_000);
    c.sim.inject({ kind: 'stall', ms: 60_000 });
    await waitFor('a new connection after the stall', () => c.sim.stats.connectionsTotal >= 2, 20_000);
    let n = c.books().length;
    await waitFor('books after the stall', () => c.books().length >= n + 20, 30_000);
    c.sim.inject({ kind: 'close' });
    await waitFor('a new connection after the close', () => c.sim.stats.connectionsTotal >= 3, 20_000);
    n = c.books().length;
    await waitFor('books after the close', () => c.books().length >= n + 20, 30_000);
    expect(c.sim.stats.connectionsOpen).toBe(1);
    expect(c.resyncs.filter((r) => r === 'reconnect').length).toBeGreaterThanOrEqual(1);
    expectSaneBooks(c.books());
  });

  it('a 429 on the snapshot pauses for Retry-After, then syncs', async () => {
    const c = await collect('binance-spot', 'binance_spot', '    symbols: [BTC-USDT]\n    data_types: [orderbook]\n');
    c.sim.inject({ kind: 'rest-error', status: 429, retryAfterSec: 1, count: 1 });
    const t0 = Date.now();
    await waitFor('books', () => c.books().length >= 5, 30_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(problems(c.live)).toEqual({ snapshot_failed: 1 });
    expectSaneBooks(c.books());
  });
});

describe('the cryptofeed captures served by the simulator', () => {
  it.each([
    ['binance-spot', 'binance_spot', ['BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0'], '[NKN-USDT, BLZ-ETH, LRC-BTC, RUNE-EUR]'],
    ['okx', 'okx_spot', ['OKX.0', 'OKX.ws.1.0'], '[BTC-USDT]'],
    ['okx', 'okx_derivatives', ['OKX.0', 'OKX.ws.1.0'], '[UNI-USD]'],
  ] as const)('%s -> %s live gives the records `replay` gives', async (venue, configVenue, files, symbols) => {
    const paths = capturePaths(...files);
    const sim = await startExchangeSim({ venue, source: { capture: paths, speed: 0 } });
    cleanup.push(() => sim.stop());
    const file = join(mkdtempSync(join(tmpdir(), 'mp-sim-')), 'collector.yaml');
    writeFileSync(
      file,
      `venues:\n  ${configVenue}:\n    ws_url: ${sim.wsUrl}\n    rest_url: ${sim.restUrl}\n    symbols: ${symbols}\n    data_types: [orderbook, trade]\n`,
    );
    const records: MarketRecord[] = [];
    const live = new LiveVenue(loadCollectorConfig(file).venues[0]!, { depth: 400, publishIntervalMs: 0 }, quietLog('collector'), {
      record: (r) => records.push(r),
    });
    live.start();
    cleanup.push(() => live.stop());
    await sim.replayDone();
    const expected: MarketRecord[] = [];
    await replay({ venue, files: paths }, (r) => void expected.push(r));
    const mine = expected.filter((r) => symbols.includes(r.symbol) && r.market_type === (configVenue === 'okx_derivatives' ? 'perpetual' : 'spot'));
    await waitFor('every record', () => records.length >= mine.length, 20_000);
    const strip = (x: MarketRecord) => ({ ...x, local_timestamp: 0 });
    expect(records.map(strip)).toEqual(mine.map(strip));
    expect(problems(live)).toEqual({});
  });
});
