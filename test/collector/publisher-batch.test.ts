/**
 * Multi-record messages from the publisher, against a real nats-server: per subject,
 * bounded by count and bytes (a record larger than the bound alone), a lone record under
 * its natural key as before; and a batch whose ack was lost is retried with the same
 * `Nats-Msg-Id`, so JetStream stores it once.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from '../../src/collector/publisher.js';
import { BATCH_COUNT_HEADER, BATCH_FORMAT_HEADER, splitMessage } from '../../src/core/batch.js';
import type { TradeRecord } from '../../src/core/model.js';
import { connectNats, type NatsConnection } from '../../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../../src/core/streams.js';
import { batchMsgId, msgIdOf } from '../../src/core/subjects.js';
import { startNatsServer, type TestNatsServer } from '../../src/testing/nats-server.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { trades } from '../helpers/records.js';
import { quietLog } from '../helpers/storage-env.js';

interface Stored {
  subject: string;
  msgId: string;
  batch: boolean;
  records: TradeRecord[];
}

async function readStream(jsm: JetStreamManager): Promise<Stored[]> {
  const info = await jsm.streams.info('MARKET_DATA');
  const out: Stored[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = (await jsm.streams.getMessage('MARKET_DATA', { seq }))!;
    const texts = splitMessage(m.string(), m.header);
    if (typeof texts === 'string') throw new Error(texts);
    out.push({
      subject: m.subject,
      msgId: m.header?.get('Nats-Msg-Id') ?? '',
      batch: m.header?.has(BATCH_FORMAT_HEADER) ?? false,
      records: texts.map((t) => JSON.parse(t) as TradeRecord),
    });
  }
  return out;
}

describe('JetStreamPublisher multi-record messages', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectNats({ servers: [nats.url], name: 'test' }, quietLog());
    jsm = await jetstreamManager(nc);
  });
  beforeEach(async () => {
    await jsm.streams.delete('MARKET_DATA').catch(() => undefined);
    await ensureStreams(nc, loadStreamSpecs('config/streams.yaml'));
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('groups records per subject, bounded by count and bytes, each batch under an id of its contents', async () => {
    const p = new JetStreamPublisher(
      jetstream(nc),
      { maxPending: 50, bufferMax: 100_000, batch: { maxRecords: 100, maxBytes: 16 * 1024, lingerMs: 50 } },
      quietLog(),
    );
    const btc = trades(250, { idPrefix: 'btc-' });
    const eth = trades(250, { idPrefix: 'eth-', symbol: 'ETH-USDT' });
    const big = { ...trades(1, { idPrefix: 'big-' })[0]!, quantity_unit: 'x'.repeat(20_000) } as unknown as TradeRecord;
    for (let i = 0; i < 250; i++) {
      p.publish(btc[i]!);
      p.publish(eth[i]!);
    }
    p.publish(big);
    expect(await p.flush(10_000)).toBe(true);
    expect(p.published).toBe(501);
    p.close();
    const stored = await readStream(jsm);
    const bySubject = (s: string) => stored.filter((m) => m.subject === s).flatMap((m) => m.records.map((r) => r.trade_id));
    // Every record once, in order within its subject.
    expect(bySubject('trade.binance.spot.BTC-USDT')).toEqual([...btc.map((r) => r.trade_id), 'big-0']);
    expect(bySubject('trade.binance.spot.ETH-USDT')).toEqual(eth.map((r) => r.trade_id));
    for (const m of stored) {
      expect(m.records.every((r) => `trade.binance.spot.${r.symbol}` === m.subject)).toBe(true);
      expect(m.records.length).toBeLessThanOrEqual(100);
      if (m.batch) {
        const body = new TextEncoder().encode(m.records.map((r) => JSON.stringify(r)).join('\n'));
        expect(body.length).toBeLessThanOrEqual(16 * 1024);
        expect(m.msgId).toBe(batchMsgId(m.records[0]!, m.records.length, body));
      } else expect(m.msgId).toBe(msgIdOf(m.records[0]!));
    }
    // The 20 kB record exceeds the byte bound: alone, as a plain message under its natural key.
    const alone = stored.find((m) => m.records.some((r) => r.trade_id === 'big-0'))!;
    expect(alone.batch).toBe(false);
    expect(alone.records).toHaveLength(1);
    expect(stored.filter((m) => m.batch).length).toBeGreaterThanOrEqual(6);
    expect(stored.length).toBeLessThan(501 / 10);
  });

  it('sends a lone record after linger_ms as a plain message under its natural key', async () => {
    const acked: number[] = [];
    const q = new JetStreamPublisher(jetstream(nc), { maxPending: 50, bufferMax: 1000, batch: { lingerMs: 30 } }, quietLog(), {
      published: (_r, ms) => acked.push(ms),
    });
    const [r] = trades(1, { idPrefix: 'lone-' });
    q.publish(r!);
    // No flush: the linger timer alone sends it.
    await waitFor('the lone record acked', () => acked.length === 1, 5000, 10);
    expect(acked[0]).toBeGreaterThanOrEqual(25);
    const [m] = await readStream(jsm);
    expect(m!.batch).toBe(false);
    expect(m!.msgId).toBe(msgIdOf(r!));
    q.close();
  });

  describe('an ack lost on the way back', () => {
    let proxy: Server;
    let proxyPort: number;
    let deaf = false;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      proxyPort = await freePort();
      // Forwards everything to nats-server, and its answers back unless `deaf`: a publish
      // stored by JetStream whose ack the publisher never gets.
      proxy = createServer((client) => {
        const upstream = connect(Number(new URL(nats.url).port), '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.once('close', () => sockets.delete(s));
        }
        client.pipe(upstream);
        upstream.on('data', (d) => deaf || client.write(d));
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', () => r()));
    });
    afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

    it('retries the batch with the same msg id, and JetStream stores it once', async () => {
      const pubConn = await connectNats({ servers: [`nats://127.0.0.1:${proxyPort}`], name: 'publisher' }, quietLog());
      const failures: string[] = [];
      const p = new JetStreamPublisher(
        jetstream(pubConn),
        { maxPending: 20, bufferMax: 100_000, ackTimeoutMs: 500, batch: { maxRecords: 200, maxBytes: 256 * 1024, lingerMs: 10 } },
        quietLog(),
        { failed: (e) => failures.push(e.message) },
      );
      const all = trades(1000, { idPrefix: 'lost-ack-' });
      deaf = true;
      all.forEach((r) => p.publish(r));
      // JetStream stores every batch; the acks are swallowed, so the publisher times out and sends them again.
      await waitFor(
        'all 1000 records stored, their acks lost',
        async () => (await readStream(jsm)).reduce((n, m) => n + m.records.length, 0) === 1000 && failures.length > 0,
        20_000,
        100,
      );
      await new Promise((r) => setTimeout(r, 1200)); // more than one round of retries, still deaf
      expect(p.published).toBe(0);
      deaf = false;
      for (const s of sockets) s.destroy(); // a clean stream again: the client reconnects
      expect(await p.flush(20_000)).toBe(true);
      expect(p.published).toBe(1000);
      const stored = await readStream(jsm);
      const ids = stored.flatMap((m) => m.records.map((r) => r.trade_id));
      expect(ids).toHaveLength(1000);
      expect(new Set(ids).size).toBe(1000);
      expect(stored.every((m) => m.batch && m.records.length === 200)).toBe(true);
      expect(new Set(stored.map((m) => m.msgId)).size).toBe(stored.length);
      expect(failures.length).toBeGreaterThanOrEqual(stored.length);
      p.close();
      await pubConn.close();
    });

    it("counts a full buffer's drop of a message sent without an ack as unacked: it may be stored", async () => {
      await jsm.streams.purge('MARKET_DATA');
      const pubConn = await connectNats({ servers: [`nats://127.0.0.1:${proxyPort}`], name: 'publisher' }, quietLog());
      const failures: string[] = [];
      const drops: { id: string; stage: string }[] = [];
      const p = new JetStreamPublisher(
        jetstream(pubConn),
        { maxPending: 20, bufferMax: 400, ackTimeoutMs: 300, batch: { maxRecords: 100, maxBytes: 256 * 1024, lingerMs: 10 } },
        quietLog(),
        { failed: (e) => failures.push(e.message), dropped: (r, stage) => drops.push({ id: (r as TradeRecord).trade_id, stage }) },
      );
      deaf = true;
      trades(400, { idPrefix: 'sent-' }).forEach((r) => p.publish(r));
      await waitFor(
        'the 400 stored, their acks lost, waiting for their retry',
        // Waiting, not in flight: a message awaiting its ack cannot be dropped (the new records would be, unsent).
        async () => (await readStream(jsm)).reduce((n, m) => n + m.records.length, 0) === 400 && failures.length >= 4 && p.pendingAcks === 0,
        20_000,
        50,
      );
      // The buffer is full of sent, unacknowledged messages: new records push the oldest out, a message at a time.
      trades(150, { idPrefix: 'new-' }).forEach((r) => p.publish(r));
      const unacked = drops.filter((d) => d.stage === 'unacked');
      expect(unacked.length).toBeGreaterThanOrEqual(150);
      expect(unacked.every((d) => d.id.startsWith('sent-'))).toBe(true);
      expect(p.dropped).toBe(drops.length);
      // What the counter calls unacked is in the stream: dropped from the buffer, not lost.
      const stored = new Set((await readStream(jsm)).flatMap((m) => m.records.map((r) => r.trade_id)));
      expect(unacked.every((d) => stored.has(d.id))).toBe(true);
      deaf = false;
      for (const s of sockets) s.destroy();
      p.close();
      await pubConn.close();
    });
  });
});

describe('batch headers', () => {
  it('say the format and the count', () => {
    expect(splitMessage('a\nb', { has: () => true, get: (k) => (k === BATCH_COUNT_HEADER ? '2' : 'ndjson-v1') })).toEqual(['a', 'b']);
    expect(splitMessage('{"a":\n1}', undefined)).toEqual(['{"a":\n1}']);
  });
});
