/**
 * Exactly once in effect: storage killed with SIGKILL right after ClickHouse stored a
 * batch and before it was acked, then restarted with a different batch size (so the
 * redelivered messages come back grouped differently and the batch's de-duplication
 * token cannot match). The records travel in multi-record messages (300 a message): a
 * redelivered message's records are looked up one by one. Nothing is lost and nothing is
 * stored twice: the raw row count, before any merge, is exactly the records published.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { JetStreamPublisher } from '../../src/collector/publisher.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemons.js';
import { waitFor } from '../../src/testing/ports.js';
import { trades } from '../helpers/records.js';
import { quietLog, storageEnv, type StorageEnv } from '../helpers/storage-env.js';
import { startChdbHttp } from '../../src/testing/chdb-http.js';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';

const N = 20_000;

describe('storage killed mid-batch', () => {
  let env: StorageEnv;
  let storage: DaemonProcess | undefined;
  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse', batch: { max_rows: 1000, max_wait_ms: 500, ack_wait_ms: 8000 } });
  });
  afterAll(async () => {
    await storage?.stop('SIGKILL');
    await env?.close();
  });

  it('stores every record exactly once after a SIGKILL between insert and ack', async () => {
    // Replace the fixture's ClickHouse with one that kills storage inside the insert/ack window.
    await env.chdb!.close();
    let killedAfter = -1;
    const chdb = await startChdbHttp({
      path: join(env.dir, 'chdb-crash'),
      afterInsert: (table, stats) => {
        if (killedAfter < 0 && table.endsWith('.trades') && stats.inserts >= 5 && storage) {
          killedAfter = stats.inserts;
          storage.child.kill('SIGKILL');
        }
      },
    });
    env.chdb = chdb;
    writeFileSync(env.configFile, readFileSync(env.configFile, 'utf8').replace(/url: .*/, `url: ${chdb.url}`));

    const publisher = new JetStreamPublisher(jetstream(env.nc), { maxPending: 100, bufferMax: N, batch: { maxRecords: 300, lingerMs: 5 } }, quietLog());
    trades(N, { idPrefix: 'crash-' }).forEach((r) => publisher.publish(r));
    expect(await publisher.flush(60_000)).toBe(true);
    publisher.close();
    const jsm = await jetstreamManager(env.nc);
    const messages = (await jsm.streams.info('MARKET_DATA')).state.messages;
    expect(messages).toBe(Math.ceil(N / 300)); // one subject, full batches but the last

    storage = spawnDaemon('storage', ['--config', env.configFile]);
    const exit = await new Promise<string | null>((r) => storage!.child.once('exit', (_c, sig) => r(sig)));
    expect(exit).toBe('SIGKILL');
    expect(killedAfter).toBeGreaterThan(0);
    const [before] = await chdb.query<{ n: string }>('SELECT count() AS n FROM marketprism_hot.trades');
    expect(Number(before!.n)).toBeGreaterThan(0);
    expect(Number(before!.n)).toBeLessThan(N);

    writeFileSync(env.configFile, readFileSync(env.configFile, 'utf8').replace(/max_rows: .*/, 'max_rows: 700'));
    storage = spawnDaemon('storage', ['--config', env.configFile]);
    await waitFor(
      'all trades stored after the restart',
      async () => {
        const [r] = await chdb.query<{ n: string }>('SELECT count() AS n FROM marketprism_hot.trades FINAL');
        return Number(r!.n) >= N;
      },
      90_000,
      250,
    );
    // The killed batch comes back after ack_wait; once everything is acked, its records were found in the table and left out.
    await waitFor(
      'consumer fully acked',
      async () => {
        const i = await jsm.consumers.info('MARKET_DATA', 'storage-hot-trade');
        return i.num_ack_pending === 0 && i.num_pending === 0;
      },
      60_000,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${env.healthPort}/metrics`)).text();
    const redelivered = Number(/marketprism_storage_redelivered_total\{data_type="trade"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(redelivered).toBeGreaterThan(0);
    const [after] = await chdb.query<{ n: string; ids: string }>('SELECT count() AS n, uniqExact(trade_id) AS ids FROM marketprism_hot.trades');
    expect(Number(after!.n)).toBe(N);
    expect(Number(after!.ids)).toBe(N);
    const alreadyStored = Number(/marketprism_storage_messages_total\{data_type="trade",outcome="already_stored"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(alreadyStored).toBeGreaterThan(0);
  });
});
