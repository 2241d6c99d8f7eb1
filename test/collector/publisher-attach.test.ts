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
});
