/** ClickHouse unreachable for a while: storage stops acking, reports degraded (ClickHouse, retrying), then catches up with nothing lost. */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStorageConfig } from '../../src/storage/config.js';
import { startStorage } from '../../src/storage/service.js';
import { waitFor } from '../../src/testing/ports.js';
import { trades } from '../helpers/records.js';
import { quietLog, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

describe('ClickHouse outage', () => {
  let env: StorageEnv;
  let stop: () => Promise<void>;
  const count = async () => {
    const [r] = await env.chdb!.query<{ n: string }>('SELECT count() AS n FROM marketprism_hot.trades FINAL');
    return Number(r!.n);
  };
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${env.healthPort}/health`);
    return {
      code: res.status,
      body: (await res.json()) as { status: string; reasons: string[]; retrying: boolean; consumers: Record<string, { failing: string | null }> },
    };
  };

  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse', batch: { max_rows: 500, max_wait_ms: 200, ack_wait_ms: 10_000 } });
    const running = await startStorage(loadStorageConfig(env.configFile), quietLog('storage'));
    stop = () => running.stop();
    await waitFor('healthy', async () => (await health()).body.status === 'healthy', 30_000);
  });
  afterAll(async () => {
    await stop?.();
    await env?.close();
  });

  it('holds messages un-acked while ClickHouse is down and stores all of them after', async () => {
    trades(1000, { idPrefix: 'before-' }).forEach((r) => env.publisher.publish(r));
    await env.publisher.flush();
    await waitFor('first 1000 stored', async () => (await count()) === 1000);

    const jsm = await jetstreamManager(env.nc);
    const before = (await jsm.streams.info('MARKET_DATA')).state.last_seq;
    await env.chdb!.pause();
    trades(4000, { idPrefix: 'during-' }).forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush()).toBe(true);
    // Multi-record messages: the 4000 records are far fewer messages.
    const during = (await jsm.streams.info('MARKET_DATA')).state.last_seq - before;
    expect(during).toBeLessThan(4000 / 10);

    // A peer away is degraded (200: the daemon is doing what it can), with the reason and "retrying".
    const down = await waitFor('health degraded', async () => {
      const h = await health();
      return h.body.status === 'degraded' && h.body.consumers.trade!.failing ? h : undefined;
    });
    expect(down.code).toBe(200);
    expect(down.body.retrying).toBe(true);
    expect(down.body.consumers.trade!.failing).toMatch(/^insert \(transient\)/);
    expect(down.body.reasons.join('; ')).toMatch(/trade: insert \(transient\)/);

    // Longer than ack_wait: the in-flight batch is kept alive (working), never acked, never redelivered elsewhere.
    await new Promise((r) => setTimeout(r, 12_000));
    const info = await jsm.consumers.info('MARKET_DATA', 'storage-hot-trade');
    expect(info.num_pending + info.num_ack_pending).toBe(during);
    expect(info.ack_floor.stream_seq).toBeLessThanOrEqual(before);

    await env.chdb!.resume();
    await waitFor('all 5000 stored', async () => (await count()) === 5000, 60_000);
    await waitFor('healthy again', async () => (await health()).body.status === 'healthy', 30_000);
    const [dups] = await env.chdb!.query<{ n: string; ids: string }>(
      "SELECT count() AS n, uniqExact(trade_id) AS ids FROM marketprism_hot.trades FINAL WHERE trade_id LIKE 'during-%'",
    );
    expect(Number(dups!.n)).toBe(4000);
    expect(Number(dups!.ids)).toBe(4000);
  });
});
