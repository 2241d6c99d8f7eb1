/** core/interval-counts.ts against a real nats-server with the shipped streams: deltas, nothing when nothing changed, a failed publish kept for the next. */
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntervalCounts, nextBoundary, type CountsMessage } from '../../src/core/interval-counts.js';
import type { NatsConnection } from '../../src/core/nats.js';
import { quietLog } from '../helpers/storage-env.js';
import { natsWithStreams, type NatsEnv } from '../helpers/nats-env.js';

describe('IntervalCounts', () => {
  let env: NatsEnv;
  let nc: NatsConnection;
  beforeAll(async () => {
    env = await natsWithStreams();
    ({ nc } = env);
  });
  afterAll(async () => {
    await env?.close();
  });

  const last = async (): Promise<CountsMessage> =>
    (await (await jetstreamManager(nc)).streams.getMessage('MARKETPRISM_COUNTS', { last_by_subj: 'marketprism.counts.collector.t1' }))!.json();

  it('publishes deltas; nothing when nothing changed; a failed interval is added to the next', async () => {
    const registry = new Registry();
    const resyncs = new Counter({ name: 'r', help: 'r', labelNames: ['venue', 'reason'], registers: [registry] });
    resyncs.inc({ venue: 'okx_spot', reason: 'gap' }, 5); // before the start: not counted
    const conn: { js?: JetStreamClient } = {};
    let failures = 0;
    const counts = new IntervalCounts(
      {
        daemon: 'collector',
        id: 't1',
        intervalMs: 60_000,
        ackTimeoutMs: 2000,
        metrics: [{ counter: resyncs, place: (l) => [String(l.venue), 'resyncs', String(l.reason)] }],
        js: () => conn.js,
        failed: () => failures++,
      },
      quietLog(),
      0,
    );
    await counts.start();
    resyncs.inc({ venue: 'okx_spot', reason: 'gap' }, 2);
    await counts.tick(60_000); // no NATS yet: kept
    expect(failures).toBe(1);
    resyncs.inc({ venue: 'okx_spot', reason: 'checksum' });
    conn.js = jetstream(nc);
    await counts.tick(120_000);
    expect(await last()).toEqual({
      v: 1,
      daemon: 'collector',
      id: 't1',
      from: new Date(0).toISOString(),
      to: new Date(120_000).toISOString(),
      counts: { okx_spot: { resyncs: { gap: 2, checksum: 1 } } },
    });
    const seq = (await (await jetstreamManager(nc)).streams.info('MARKETPRISM_COUNTS')).state.last_seq;
    await counts.tick(180_000); // nothing changed: no message
    expect((await (await jetstreamManager(nc)).streams.info('MARKETPRISM_COUNTS')).state.last_seq).toBe(seq);
    resyncs.inc({ venue: 'okx_spot', reason: 'gap' });
    await counts.tick(240_000);
    expect(await last()).toMatchObject({
      from: new Date(180_000).toISOString(),
      to: new Date(240_000).toISOString(),
      counts: { okx_spot: { resyncs: { gap: 1 } } },
    });
    await counts.stop();
    expect(nextBoundary(61_500, 60_000)).toBe(120_000);
  });
});
