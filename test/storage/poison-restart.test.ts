/**
 * A poison message survives a storage crash without blocking: storage is killed
 * (SIGKILL) after it stored the good rows of a batch and before it dead-lettered the
 * poison message in it or acked anything. On the restart the batch comes back; the
 * poison message is dead-lettered on that delivery and the consumer moves on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASON_HEADER } from '../../src/storage/dead-letter.js';
import { startChdbHttp } from '../../src/testing/chdb-http.js';
import { waitFor } from '../../src/testing/ports.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemons.js';
import { trades } from '../helpers/records.js';
import { storageEnv, type StorageEnv } from '../helpers/storage-env.js';

describe('poison message across a storage crash', () => {
  let env: StorageEnv;
  let storage: DaemonProcess | undefined;
  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse', batch: { max_rows: 500, max_wait_ms: 500, ack_wait_ms: 8000 } });
  });
  afterAll(async () => {
    await storage?.stop('SIGKILL');
    await env?.close();
  });

  it('is dead-lettered on its next delivery after a SIGKILL, and the consumer moves on', async () => {
    // A ClickHouse that kills storage right after it stored the first trades batch.
    await env.chdb!.close();
    let killed = false;
    const chdb = await startChdbHttp({
      path: join(env.dir, 'chdb-poison'),
      afterInsert: (table) => {
        if (!killed && table.endsWith('.trades') && storage) {
          killed = true;
          storage.child.kill('SIGKILL');
        }
      },
    });
    env.chdb = chdb;
    writeFileSync(env.configFile, readFileSync(env.configFile, 'utf8').replace(/url: .*/, `url: ${chdb.url}`));

    // One batch: good, poison (its parse error quotes the newline), good.
    trades(100, { idPrefix: 'before-' }).forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush()).toBe(true);
    env.nc.publish('trade.binance.spot.BTC-USDT', 'poison\n{');
    await env.nc.flush();
    trades(100, { idPrefix: 'behind-' }).forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush()).toBe(true);

    const jsm = await jetstreamManager(env.nc);
    storage = spawnDaemon('storage', ['--config', env.configFile]);
    const exit = await new Promise<string | null>((r) => storage!.child.once('exit', (_c, sig) => r(sig)));
    expect(exit).toBe('SIGKILL');
    expect(killed).toBe(true);
    // Killed between the insert and the dead letter: nothing dead-lettered, nothing acked.
    expect((await jsm.streams.info('MARKET_DATA_DLQ')).state.messages).toBe(0);
    expect((await jsm.consumers.info('MARKET_DATA', 'storage-hot-trade')).ack_floor.stream_seq).toBe(0);

    storage = spawnDaemon('storage', ['--config', env.configFile]);
    const dlq = await waitFor(
      'the poison message dead-lettered after the restart',
      async () => {
        const i = await jsm.streams.info('MARKET_DATA_DLQ');
        return i.state.messages > 0 ? i : undefined;
      },
      60_000,
    );
    expect(dlq.state.messages).toBe(1);
    const dl = await jsm.streams.getMessage('MARKET_DATA_DLQ', { seq: dlq.state.first_seq });
    expect(dl!.string()).toBe('poison\n{');
    expect(dl!.header.get(REASON_HEADER)).toMatch(/^unparseable JSON: [^\n]+$/);

    // The consumer moves on: later records are stored, everything is acked, nothing twice.
    trades(50, { idPrefix: 'after-restart-' }).forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush()).toBe(true);
    await waitFor(
      'every trade stored',
      async () => {
        const [r] = await chdb.query<{ n: string }>('SELECT count() AS n FROM marketprism_hot.trades FINAL');
        return Number(r!.n) === 250;
      },
      60_000,
    );
    await waitFor('consumer fully acked', async () => {
      const i = await jsm.consumers.info('MARKET_DATA', 'storage-hot-trade');
      return i.num_pending === 0 && i.num_ack_pending === 0;
    });
    await chdb.query('OPTIMIZE TABLE marketprism_hot.trades FINAL');
    const [all] = await chdb.query<{ n: string; ids: string }>('SELECT count() AS n, uniqExact(trade_id) AS ids FROM marketprism_hot.trades');
    expect(Number(all!.n)).toBe(250);
    expect(Number(all!.ids)).toBe(250);
    expect((await jsm.streams.info('MARKET_DATA_DLQ')).state.messages).toBe(1);
  });
});
