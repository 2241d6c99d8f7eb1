/**
 * The collector daemon end to end: scripted Binance venue -> collector -> a real
 * nats-server with JetStream -> read back. Books arrive exact, de-duplicable
 * (Nats-Msg-Id), at most one per publish_interval; health and metrics answer; a
 * broker restart loses nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { startCollector } from '../../src/collector/service.js';
import type { Running } from '../../src/core/daemon.js';
import { isBatch, splitMessage } from '../../src/core/batch.js';
import type { MarketRecord, OrderbookRecord, TradeRecord } from '../../src/core/model.js';
import { connectNats, type NatsConnection } from '../../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../../src/core/streams.js';
import { batchMsgId, msgIdOf } from '../../src/core/subjects.js';
import { validateRecord } from '../../src/core/validate.js';
import { startNatsServer, type TestNatsServer } from '../../src/testing/nats-server.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { quietLog } from '../helpers/storage-env.js';
import { startFakeBinance, type FakeBinance } from './fake-binance.js';

const DEPTH = 25;
const INTERVAL = 100;

describe('marketprism-collector with a real nats-server', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let fake: FakeBinance;
  let collector: Running;
  let healthPort: number;
  let metricsPort: number;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectNats({ servers: [nats.url], name: 'test' }, quietLog());
    await ensureStreams(nc, loadStreamSpecs('config/streams.yaml'));
    fake = await startFakeBinance();
    [healthPort, metricsPort] = [await freePort(), await freePort()];
    const file = join(mkdtempSync(join(tmpdir(), 'mp-collector-')), 'collector.yaml');
    writeFileSync(
      file,
      [
        'nats:',
        `  servers: ["${nats.url}"]`,
        'health: { host: 127.0.0.1, port: ' + healthPort + ' }',
        'metrics: { host: 127.0.0.1, port: ' + metricsPort + ' }',
        `orderbook: { depth: ${DEPTH}, publish_interval_ms: ${INTERVAL} }`,
        'venues:',
        '  binance_spot:',
        '    symbols: [BTC-USDT]',
        `    ws_url: ${fake.wsUrl}`,
        `    rest_url: ${fake.restUrl}`,
        'log_level: warn',
      ].join('\n'),
    );
    collector = await startCollector(loadCollectorConfig(file), quietLog('collector'));
  });

  afterAll(async () => {
    await collector?.stop();
    await fake?.close();
    await nc?.close();
    await nats?.dispose();
  });

  /** The first `n` stored messages on `subject` (read by sequence: works on any JetStream server). */
  /** The first `n` records on `subject`, each with its message's msg id and the id its message should have. */
  async function readBack<T>(subject: string, n: number): Promise<{ record: T; msgId: string | undefined; expectedId: string }[]> {
    const jsm = await jetstreamManager(nc);
    const out: { record: T; msgId: string | undefined; expectedId: string }[] = [];
    const last = (await jsm.streams.info('MARKET_DATA')).state.last_seq;
    for (let seq = 1; seq <= last && out.length < n; seq++) {
      const m = await jsm.streams.getMessage('MARKET_DATA', { seq }).catch(() => null);
      if (m?.subject !== subject) continue;
      // Orderbooks and trades travel several to a message (core/batch.ts): the id is then the batch's.
      const texts = splitMessage(m.string(), m.header);
      if (typeof texts === 'string') throw new Error(texts);
      const records = texts.map((t) => JSON.parse(t) as MarketRecord);
      const expectedId = isBatch(m.header) ? batchMsgId(records[0]!, records.length, m.data) : msgIdOf(records[0]!);
      for (const r of records) out.push({ record: r as T, msgId: m.header?.get('Nats-Msg-Id'), expectedId });
    }
    return out.slice(0, n);
  }

  it('reports healthy once data flows, with metrics', async () => {
    const health = await waitFor(
      'healthy',
      async () => {
        const r = await fetch(`http://127.0.0.1:${healthPort}/health`);
        const body = await r.json();
        return r.status === 200 && body.status === 'healthy' && body.venues[0].data_types.orderbook.state === 'fresh' ? body : undefined;
      },
      30_000,
    );
    expect(health.venues[0]).toMatchObject({ venue: 'binance_spot', feeds_connected: '1/1' });
    expect(health.venues[0].data_types.orderbook.state).toBe('fresh');
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const name of [
      'marketprism_collector_messages_in_total',
      'marketprism_collector_records_out_total',
      'marketprism_collector_publish_duration_seconds',
      'marketprism_collector_pending_acks',
      'marketprism_collector_book_depth_levels',
      'marketprism_nodejs_eventloop_lag_seconds',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(/marketprism_collector_records_out_total\{[^}]*data_type="orderbook"[^}]*\} [1-9]/);
  });

  it('publishes exact books with their natural-key msg id, at most one per publish_interval', async () => {
    await waitFor('30 books stored', async () => (await readBack('orderbook.binance.spot.BTC-USDT', 30)).length === 30);
    const got = await readBack<OrderbookRecord>('orderbook.binance.spot.BTC-USDT', 30);
    expect(got).toHaveLength(30);
    for (const { record, msgId, expectedId } of got) {
      validateRecord(record);
      expect(msgId).toBe(expectedId);
      const truth = fake.history.get(Number(record.last_update_id))!;
      expect(record.bids).toEqual(truth.bids.slice(0, DEPTH));
      expect(record.asks).toEqual(truth.asks.slice(0, DEPTH));
    }
    // The venue sends a diff every 10 ms; the books come at most every 100 ms. local_timestamp is
    // the receipt of the book's last diff (not the publish time), so single gaps jitter with
    // event-loop scheduling; on average they cannot be shorter than the interval.
    const times = got.map((g) => g.record.local_timestamp);
    const span = times.at(-1)! - times[0]!;
    expect(span / (times.length - 1)).toBeGreaterThanOrEqual(INTERVAL * 0.9);
    const ids = got.map((g) => Number(g.record.last_update_id));
    expect((ids.at(-1)! - ids[0]!) / (ids.length - 1)).toBeGreaterThan(5); // ~10 diffs coalesced per book
    await waitFor('5 trades stored', async () => (await readBack('trade.binance.spot.BTC-USDT', 5)).length === 5);
    const trades = await readBack<TradeRecord>('trade.binance.spot.BTC-USDT', 5);
    expect(trades.length).toBe(5);
    for (const t of trades) {
      expect(t.msgId).toBe(t.expectedId);
      expect(t.msgId).toMatch(/^trade:binance:spot:BTC-USDT:\w+(\+\d+:[\w-]{22})?$/);
    }
  });

  it('keeps collecting through a broker restart without dropping records', async () => {
    const jsm = await jetstreamManager(nc);
    await nats.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    await nats.start();
    const before = await waitFor('the broker back', async () => (await jsm.streams.info('MARKET_DATA')).state.messages, 30_000);
    await waitFor('records after the restart', async () => (await jsm.streams.info('MARKET_DATA')).state.messages > before + 20, 30_000);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).not.toMatch(/marketprism_collector_dropped_records_total\{[^}]*\} [1-9]/);
    const health = await waitFor(
      'healthy again',
      async () => {
        const body = await (await fetch(`http://127.0.0.1:${healthPort}/health`)).json();
        return body.status === 'healthy' ? body : undefined;
      },
      30_000,
    );
    expect(health.nats.connected).toBe(true);
  });
});
