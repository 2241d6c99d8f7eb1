/**
 * batch.inserts_in_flight: a consumer sends its next batch while one is still on its way
 * to the server, and what it stores is still every record exactly once. A backlog of
 * 20,000 trades in JetStream (40 batches of 500) is drained with 2 inserts in flight,
 * then another with 1; the server (chdb-http) counts the inserts it held at once. Real
 * nats-server, real chDB behind its HTTP interface.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trades } from '../helpers/records.js';
import { consumerCaughtUp, startHealthyStorage, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

const N = 20_000;

describe('inserts in flight', () => {
  let env: StorageEnv;
  let jsm: JetStreamManager;
  const stored = async (prefix: string) => {
    const [r] = await env.chdb!.query<{ n: string; ids: string }>(
      `SELECT count() AS n, uniqExact(trade_id) AS ids FROM marketprism_hot.trades WHERE startsWith(trade_id, '${prefix}')`,
    );
    return { rows: Number(r!.n), ids: Number(r!.ids) };
  };

  /** Publish N trades with storage stopped, then start it with `inFlight` and let it drain the backlog. */
  async function drain(prefix: string, inFlight: number): Promise<{ rows: number; ids: number; atOnce: number }> {
    const config = readFileSync(env.configFile, 'utf8').replace(/\n {2}inserts_in_flight: \d+/, '');
    writeFileSync(env.configFile, config.replace('batch:\n', `batch:\n  inserts_in_flight: ${inFlight}\n`));
    for (const t of trades(N, { idPrefix: prefix })) env.publisher.publish(t);
    await env.publisher.flush(60_000);
    env.chdb!.stats.insertsAtOnce = 0;
    const stop = await startHealthyStorage(env);
    try {
      await consumerCaughtUp(jsm);
    } finally {
      await stop();
    }
    return { ...(await stored(prefix)), atOnce: env.chdb!.stats.insertsAtOnce };
  }

  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse', batch: { max_rows: 500, max_wait_ms: 200, ack_wait_ms: 20_000 } });
    jsm = await jetstreamManager(env.nc);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('keeps two inserts on their way at once and stores every record once', async () => {
    const r = await drain('two-', 2);
    expect(r.atOnce).toBe(2);
    expect(r).toMatchObject({ rows: N, ids: N });
  });

  it('keeps one at a time when told to, and stores every record once', async () => {
    const r = await drain('one-', 1);
    expect(r.atOnce).toBe(1);
    expect(r).toMatchObject({ rows: N, ids: N });
  });
});
