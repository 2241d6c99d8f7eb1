/**
 * A host as `marketprism status` and `integrity` see it, from real parts: a nats-server
 * with the configured streams, the storage daemon (in this process; chDB embedded, so the
 * CLI reaches it through /query, or `engine: 'clickhouse'`: chDB behind its HTTP interface,
 * which the CLI and the test reach with storage stopped too), and a config directory holding storage.yaml and a
 * broker.yaml naming that nats-server (its monitoring port answers /healthz and /jsz).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MarketRecord, TradeRecord } from '../../src/core/model.js';
import { natsServerBinary } from '../../src/testing/nats-server.js';
import { waitFor } from '../../src/testing/ports.js';
import { queryViaDaemon, startHealthyStorage, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

export interface TestHost {
  env: StorageEnv;
  /** Holds storage.yaml and broker.yaml: `--config-dir`. */
  configDir: string;
  /** Publish records and wait until storage holds `expected` rows of the table in total. */
  store(records: MarketRecord[], table: string, expected: number): Promise<void>;
  /** Stops the storage daemon (close does too). */
  stopStorage(): Promise<void>;
  close(): Promise<void>;
}

export async function testHost(opts: { engine?: 'embedded' | 'clickhouse' } = {}): Promise<TestHost> {
  const env = await storageEnv({ engine: opts.engine ?? 'embedded' });
  writeFileSync(
    join(env.dir, 'broker.yaml'),
    [
      'nats_server:',
      `  binary: ${natsServerBinary()}`,
      `  port: ${env.nats.port}`,
      `  monitor_port: ${env.nats.monitorPort}`,
      `streams_file: ${resolve('config/streams.yaml')}`,
      '',
    ].join('\n'),
  );
  let stop: (() => Promise<void>) | undefined = await startHealthyStorage(env);
  const stopStorage = async () => {
    await stop?.();
    stop = undefined;
  };
  return {
    env,
    configDir: env.dir,
    async store(records, table, expected) {
      records.forEach((r) => env.publisher.publish(r));
      await env.publisher.flush();
      await waitFor(`${expected} rows in ${table}`, async () => {
        const [r] = await queryViaDaemon<{ n: string }>(env.healthPort, `SELECT count() AS n FROM marketprism_hot.${table} FINAL`);
        return Number(r!.n) === expected;
      });
    },
    stopStorage,
    async close() {
      await stopStorage();
      await env.close();
    },
  };
}

/** A trade of `venue` ("exchange/market_type") at `ms` (venue and local time). */
export function trade(venue: string, symbol: string, id: number | string, ms: number): TradeRecord {
  const [exchange, market_type] = venue.split('/') as [TradeRecord['exchange'], TradeRecord['market_type']];
  return {
    data_type: 'trade',
    exchange,
    market_type,
    symbol,
    timestamp: ms,
    local_timestamp: ms + 1,
    trade_id: String(id),
    price: '27000.5',
    quantity: '0.01',
    quantity_raw: '0.01',
    quantity_unit: 'base',
    side: 'buy',
    is_maker: false,
    trade_time: ms,
  };
}
