/**
 * The live path (feeds -> adapter -> books) against a scripted Binance venue on
 * loopback: every published book must equal the venue's true book at that update
 * id, through a dropped diff, a closed socket, a silent socket and a 429; and a
 * recorded session must replay to the same records.
 */
import { rawText } from '../../src/collector/feeds/feed.js';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CaptureWriter } from '../../src/capture/format.js';
import { loadCollectorConfig, type VenueConfig } from '../../src/collector/config.js';
import type { VenueEvents } from '../../src/collector/adapter.js';
import { LiveVenue, type LiveOptions } from '../../src/collector/live.js';
import { replay } from '../../src/collector/replay.js';
import type { MarketRecord, OrderbookRecord, TradeRecord } from '../../src/core/model.js';
import { validateRecord } from '../../src/core/validate.js';
import { waitFor } from '../../src/testing/ports.js';
import { quietLog } from '../helpers/storage-env.js';
import { capturePaths } from '../capture/captures.js';
import { startFakeBinance, type FakeBinance } from './fake-binance.js';

const DEPTH = 20;

function binanceConfig(fake: FakeBinance, extra = ''): VenueConfig {
  const dir = mkdtempSync(join(tmpdir(), 'mp-collector-'));
  const file = join(dir, 'collector.yaml');
  writeFileSync(
    file,
    `venues:\n  binance_spot:\n    symbols: [BTC-USDT]\n    ws_url: ${fake.wsUrl}\n    rest_url: ${fake.restUrl}\n    stale_after: 2s\n${extra}`,
  );
  return loadCollectorConfig(file).venues[0]!;
}

interface Run {
  live: LiveVenue;
  records: MarketRecord[];
  books: () => OrderbookRecord[];
  resyncs: string[];
  reconnects: number;
}

function run(cfg: VenueConfig, extra: Partial<VenueEvents> = {}, options: Partial<LiveOptions> = {}): Run {
  const r: Run = {
    records: [],
    resyncs: [],
    reconnects: 0,
    books: () => r.records.filter((x): x is OrderbookRecord => x.data_type === 'orderbook'),
    live: undefined as never,
  };
  r.live = new LiveVenue(cfg, { depth: DEPTH, publishIntervalMs: 0, ...options }, quietLog('collector'), {
    record: (rec) => r.records.push(rec),
    resync: (_symbol, reason) => r.resyncs.push(reason),
    reconnect: () => r.reconnects++,
    ...extra,
  });
  r.live.start();
  return r;
}

function expectBooksTrue(fake: FakeBinance, books: OrderbookRecord[]): void {
  expect(books.length).toBeGreaterThan(0);
  for (const b of books) {
    const truth = fake.history.get(Number(b.last_update_id));
    expect(truth, `venue state ${b.last_update_id}`).toBeDefined();
    expect(b.bids).toEqual(truth!.bids.slice(0, DEPTH));
    expect(b.asks).toEqual(truth!.asks.slice(0, DEPTH));
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(extra = '') {
  const fake = await startFakeBinance();
  cleanup.push(() => fake.close());
  const cfg = binanceConfig(fake, extra);
  return { fake, cfg };
}

describe('live Binance spot path against a local venue', () => {
  it('publishes books equal to the venue book at every update id, and each trade once', async () => {
    const { fake, cfg } = await setup();
    const r = run(cfg);
    cleanup.push(() => r.live.stop());
    await waitFor('100 books', () => r.books().length >= 100);
    await r.live.stop();
    expectBooksTrue(fake, r.books());
    const ids = r.books().map((b) => Number(b.last_update_id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in order, never backwards
    const trades = r.records.filter((x): x is TradeRecord => x.data_type === 'trade').map((t) => Number(t.trade_id));
    expect(new Set(trades).size).toBe(trades.length);
    expect(trades).toEqual([...trades].sort((a, b) => a - b));
    for (const rec of r.records) validateRecord(rec);
    expect(fake.stats.snapshots).toBe(1);
  });

  it('detects a dropped diff, resyncs from a new snapshot, and stays equal to the venue', async () => {
    const { fake, cfg } = await setup();
    const r = run(cfg);
    cleanup.push(() => r.live.stop());
    await waitFor('first books', () => r.books().length >= 10);
    fake.dropNextDiff();
    await waitFor('a gap resync', () => r.resyncs.includes('gap'));
    const after = r.books().length;
    await waitFor('books after the resync', () => r.books().length >= after + 20);
    expect(fake.stats.snapshots).toBe(2);
    expectBooksTrue(fake, r.books());
    expect(r.live.session.problems.counts.get('gap')).toBe(1);
  });

  it('reconnects after the venue closes the socket, resyncs, and closes nothing twice', async () => {
    const { fake, cfg } = await setup();
    const r = run(cfg);
    cleanup.push(() => r.live.stop());
    await waitFor('first books', () => r.books().length >= 10);
    fake.closeSockets();
    await waitFor('a reconnect', () => fake.stats.connections === 2);
    const after = r.books().length;
    await waitFor('books after reconnect', () => r.books().length >= after + 20);
    expect(r.resyncs).toContain('reconnect');
    expect(fake.openSockets()).toBe(1);
    expectBooksTrue(fake, r.books());
  });

  it('treats a silent socket as dead after stale_after and reconnects', async () => {
    const { fake, cfg } = await setup();
    const r = run(cfg);
    cleanup.push(() => r.live.stop());
    await waitFor('first books', () => r.books().length >= 5);
    fake.silence(true);
    const t0 = Date.now();
    await waitFor('a second connection', () => fake.stats.connections === 2, 10_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    fake.silence(false);
    await waitFor('one socket again', () => fake.openSockets() === 1);
    const after = r.books().length;
    await waitFor('books again', () => r.books().length >= after + 10);
    expectBooksTrue(fake, r.books());
  });

  it('backs off on 429 for the Retry-After the venue gives, then syncs', async () => {
    const { fake, cfg } = await setup();
    fake.reject429(1, 1);
    const throttled: number[] = [];
    const r = run(cfg, { throttled: (s) => throttled.push(s) });
    cleanup.push(() => r.live.stop());
    await waitFor('the 429', () => throttled.length === 1);
    const t0 = Date.now();
    await waitFor('a book', () => r.books().length >= 1);
    expect(throttled).toEqual([429]);
    expect(fake.stats.rejected).toBe(1);
    expect(fake.stats.snapshots).toBe(1);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(900); // Retry-After: 1
    expect(waited).toBeLessThan(5000);
    expectBooksTrue(fake, r.books());
  });

  it('records a session that replays to the same records', async () => {
    const { fake, cfg } = await setup();
    const dir = mkdtempSync(join(tmpdir(), 'mp-capture-'));
    const writer = new CaptureWriter(dir, 'BINANCE');
    const r = run(cfg, {}, { capture: writer });
    await waitFor('books', () => r.books().length >= 60);
    fake.dropNextDiff(); // a resync in the recording too
    await waitFor('a resync', () => r.resyncs.includes('gap'));
    await waitFor('more books', () => r.books().length >= 120);
    await r.live.stop();
    await writer.close();
    const files = readdirSync(dir).map((f) => join(dir, f));
    expect(files.length).toBeGreaterThanOrEqual(2); // ws + http
    const replayed: MarketRecord[] = [];
    const summary = await replay({ venue: 'binance-spot', files, depth: DEPTH }, (x) => void replayed.push(x));
    expect(summary.unanswered_snapshots).toEqual([]);
    expect(summary.problems).toEqual({ gap: 1 });
    const strip = (x: MarketRecord) => ({ ...x, local_timestamp: 0 });
    expect(replayed.map(strip)).toEqual(r.records.map(strip));
  });
});

describe('live OKX path against the 2022 capture served over a local WebSocket', () => {
  it('subscribes to the configured channels and yields the same records as replay', async () => {
    const frames = readFileSync(capturePaths('OKX.ws.1.0')[0]!, 'utf8')
      .split('\n')
      .map((l) => /^\d+\.?\d*: (.*)$/.exec(l)?.[1])
      .filter((t): t is string => t !== undefined);
    const subscribed: unknown[] = [];
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    cleanup.push(() => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))));
    wss.on('connection', (ws) => {
      ws.on('message', (m) => {
        const msg = JSON.parse(rawText(m));
        subscribed.push(...msg.args);
        if (subscribed.length === 2) for (const f of frames) ws.send(f);
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'mp-collector-'));
    const file = join(dir, 'collector.yaml');
    writeFileSync(
      file,
      `venues:\n  okx_spot:\n    symbols: [BTC-USDT]\n    ws_url: ws://127.0.0.1:${(wss.address() as { port: number }).port}/ws/v5/public\n    rest_url: http://127.0.0.1:1\n`,
    );
    const r = run(loadCollectorConfig(file).venues[0]!);
    cleanup.push(() => r.live.stop());
    await waitFor('all BTC-USDT books and trades', () => r.books().length === 98 && r.records.length === 98 + 69);
    expect(subscribed).toEqual([
      { channel: 'books', instId: 'BTC-USDT' },
      { channel: 'trades', instId: 'BTC-USDT' },
    ]);

    const replayed: MarketRecord[] = [];
    await replay({ venue: 'okx', files: capturePaths('OKX.0', 'OKX.ws.1.0'), depth: DEPTH }, (x) => void replayed.push(x));
    const strip = (x: MarketRecord) => ({ ...x, local_timestamp: 0 });
    expect(r.records.map(strip)).toEqual(replayed.filter((x) => x.symbol === 'BTC-USDT' && x.market_type === 'spot').map(strip));
    expect(r.live.session.problems.counts.get('checksum')).toBeUndefined();
  });
});
