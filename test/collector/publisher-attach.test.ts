/**
 * The publish buffer before the first NATS connection: records wait (bounded: past
 * buffer_max the oldest are dropped and counted, and memory stays bounded), and once a
 * connection is attached every record still held reaches JetStream, exactly once.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from '../../src/collector/publisher.js';
import { splitMessage } from '../../src/core/batch.js';
import type { NatsConnection } from '../../src/core/nats.js';
import type { OrderbookRecord } from '../../src/core/model.js';
import { trades } from '../helpers/records.js';
import { quietLog } from '../helpers/storage-env.js';
import { natsWithStreams, type NatsEnv } from '../helpers/nats-env.js';

describe('JetStreamPublisher before its first connection', () => {
  let env: NatsEnv;
  let nc: NatsConnection;
  beforeAll(async () => {
    env = await natsWithStreams();
    ({ nc } = env);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('holds the newest buffer_max records, drops and counts the rest, then publishes what it held once attached', async () => {
    const dropped: string[] = [];
    const p = new JetStreamPublisher(undefined, { maxPending: 100, bufferMax: 2000 }, quietLog(), {
      dropped: (r, stage) => dropped.push(`${r.data_type}:${stage}`),
    });
    const all = trades(50_000, { idPrefix: 'early-' });
    all.forEach((r) => p.publish(r));
    expect(p.attached).toBe(false);
    expect(p.queued).toBe(2000);
    expect(p.pendingAcks).toBe(0);
    expect(p.dropped).toBe(48_000);
    expect(dropped).toHaveLength(48_000);
    // Never sent (no connection yet): lost, not "may be stored".
    expect(dropped.every((d) => d === 'trade:unsent')).toBe(true);
    // Memory is bounded too: the array behind the buffer does not keep what was dropped.
    const lanes = (p as unknown as { lanes: Map<string, { recs: unknown[] }> }).lanes;
    expect([...lanes.values()].reduce((n, l) => n + l.recs.length, 0)).toBeLessThanOrEqual(2 * 2000 + 1024 * lanes.size);
    expect(await p.flush(0)).toBe(false);

    p.attach(jetstream(nc));
    expect(await p.flush(30_000)).toBe(true);
    expect(p.published).toBe(2000);
    p.close();
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('MARKET_DATA', { subjects_filter: '>' });
    // Multi-record messages (at most 500 records each by default): every record held, once, in order per subject.
    const stored: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = (await jsm.streams.getMessage('MARKET_DATA', { seq }))!;
      const texts = splitMessage(m.string(), m.header);
      if (typeof texts === 'string') throw new Error(texts);
      stored.push(...texts.map((t) => (JSON.parse(t) as { trade_id: string }).trade_id));
    }
    expect(info.state.messages).toBeLessThan(2000);
    expect(stored).toHaveLength(2000);
    // The newest 2000 (the oldest were the ones dropped).
    expect(new Set(stored)).toEqual(new Set(all.slice(48_000).map((r) => r.trade_id)));
  });

  it('bounds the bytes held too: 400-level books past buffer_max_bytes drop the oldest, the newest are published once attached', async () => {
    // A count alone is no bound with big records: 200,000 books of 400 levels are about 4 GB.
    const book = (i: number): OrderbookRecord => {
      const level = (k: number, side: number): [string, string] => [String(30_000 + side * (k + 1)), `${(i % 90) + 1}.${k}`];
      return {
        data_type: 'orderbook',
        exchange: 'binance',
        market_type: 'spot',
        symbol: 'BTC-USDT',
        timestamp: 1_700_000_000_000 + i,
        local_timestamp: 1_700_000_000_001 + i,
        last_update_id: String(1000 + i),
        bids: Array.from({ length: 400 }, (_, k) => level(k, -1)),
        asks: Array.from({ length: 400 }, (_, k) => level(k, 1)),
        quantity_unit: 'base',
        bids_raw: undefined,
        asks_raw: undefined,
      };
    };
    const size = Buffer.byteLength(JSON.stringify(book(0)));
    expect(size).toBeGreaterThan(10_000);
    const maxBytes = 1024 * 1024;
    const p = new JetStreamPublisher(undefined, { maxPending: 100, bufferMax: 200_000, bufferMaxBytes: maxBytes }, quietLog());
    const books = Array.from({ length: 300 }, (_, i) => book(i));
    let peak = 0;
    for (const b of books) {
      p.publish(b);
      peak = Math.max(peak, p.bytesHeld);
    }
    expect(peak).toBeLessThanOrEqual(maxBytes);
    // Exactly the newest books that fit: each dropped book made room for a newer one.
    const sizes = books.map((b) => Buffer.byteLength(JSON.stringify(b)));
    let fit = 0;
    for (let sum = 0; fit < sizes.length && sum + sizes[sizes.length - 1 - fit]! <= maxBytes; fit++) sum += sizes[sizes.length - 1 - fit]!;
    const held = p.queued;
    expect(held).toBe(fit);
    expect(p.bytesHeld).toBe(sizes.slice(300 - fit).reduce((a, b) => a + b, 0));
    expect(p.dropped).toBe(300 - held);

    p.attach(jetstream(nc));
    expect(await p.flush(30_000)).toBe(true);
    expect(p.published).toBe(held);
    expect(p.bytesHeld).toBe(0);
    p.close();
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('MARKET_DATA');
    const ids: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = (await jsm.streams.getMessage('MARKET_DATA', { seq }))!;
      if (m.subject !== 'orderbook.binance.spot.BTC-USDT') continue;
      const texts = splitMessage(m.string(), m.header);
      if (typeof texts === 'string') throw new Error(texts);
      ids.push(...texts.map((t) => (JSON.parse(t) as { last_update_id: string }).last_update_id));
    }
    // The newest books held, each once, their texts whole.
    expect(ids).toEqual(books.slice(300 - held).map((b) => b.last_update_id));
  });
});
