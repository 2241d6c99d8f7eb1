/**
 * The publish buffer before the first NATS connection: records wait (bounded: past
 * buffer_max the oldest are dropped and counted, and memory stays bounded), and once a
 * connection is attached every record still held reaches JetStream, exactly once.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from '../../src/collector/publisher.js';
import { connectNats, type NatsConnection } from '../../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../../src/core/streams.js';
import { startNatsServer, type TestNatsServer } from '../../src/testing/nats-server.js';
import { trades } from '../helpers/records.js';
import { quietLog } from '../helpers/storage-env.js';

describe('JetStreamPublisher before its first connection', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectNats({ servers: [nats.url], name: 'test' }, quietLog());
    await ensureStreams(nc, loadStreamSpecs('config/streams.yaml'));
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('holds the newest buffer_max records, drops and counts the rest, then publishes what it held once attached', async () => {
    const dropped: string[] = [];
    const p = new JetStreamPublisher(undefined, { maxPending: 100, bufferMax: 2000 }, quietLog(), { dropped: (r) => dropped.push(String(r.data_type)) });
    const all = trades(50_000, { idPrefix: 'early-' });
    all.forEach((r) => p.publish(r));
    expect(p.attached).toBe(false);
    expect(p.queued).toBe(2000);
    expect(p.pendingAcks).toBe(0);
    expect(p.dropped).toBe(48_000);
    expect(dropped).toHaveLength(48_000);
    // Memory is bounded too: the array behind the buffer does not keep what was dropped.
    expect((p as unknown as { queue: unknown[] }).queue.length).toBeLessThanOrEqual(2 * 2000 + 1024);
    expect(await p.flush(0)).toBe(false);

    p.attach(jetstream(nc));
    expect(await p.flush(30_000)).toBe(true);
    expect(p.published).toBe(2000);
    p.close();
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('MARKET_DATA', { subjects_filter: '>' });
    expect(info.state.messages).toBe(2000);
    // The newest 2000: the first stored is record 48 000 (the oldest were the ones dropped).
    const first = await jsm.streams.getMessage('MARKET_DATA', { seq: info.state.first_seq });
    expect(first!.json<{ trade_id: string }>().trade_id).toBe(all[48_000]!.trade_id);
  });
});
