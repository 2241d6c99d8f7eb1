/**
 * The pieces of a storage test: a real nats-server with the configured streams, a
 * ClickHouse engine (chDB behind its HTTP interface, or chDB embedded), a storage
 * config file pointing at them, and a publisher standing in for the collector.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { JetStreamPublisher } from '../../src/collector/publisher.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { connectNats, type NatsConnection } from '../../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../../src/core/streams.js';
import { startChdbHttp, type ChdbHttpServer } from '../../src/testing/chdb-http.js';
import { startNatsServer, type TestNatsServer } from '../../src/testing/nats-server.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import { startStorage } from '../../src/storage/service.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { queryDaemon } from '../../src/storage/query.js';

export const quietLog = (name = 'test'): Logger => createLogger({ name, level: (process.env.TEST_LOG_LEVEL as 'warn') ?? 'silent' });

export interface StorageEnv {
  dir: string;
  nats: TestNatsServer;
  nc: NatsConnection;
  publisher: JetStreamPublisher;
  chdb?: ChdbHttpServer;
  healthPort: number;
  configFile: string;
  close(): Promise<void>;
}

export async function storageEnv(opts: { engine: 'clickhouse' | 'embedded'; batch?: Record<string, number> }): Promise<StorageEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'mp-storage-'));
  const nats = await startNatsServer();
  const log = quietLog();
  const nc = await connectNats({ servers: [nats.url], name: 'test' }, log);
  await ensureStreams(nc, loadStreamSpecs('config/streams.yaml'));
  const chdb = opts.engine === 'clickhouse' ? await startChdbHttp({ path: join(dir, 'chdb-http') }) : undefined;
  const healthPort = await freePort();
  const batch = { max_rows: 500, max_wait_ms: 200, ack_wait_ms: 20_000, ...opts.batch };
  const configFile = join(dir, 'storage.yaml');
  writeFileSync(
    configFile,
    [
      'tier: hot',
      'nats:',
      `  servers: ["${nats.url}"]`,
      'clickhouse:',
      `  engine: ${opts.engine}`,
      `  embedded_path: ${join(dir, 'chdb')}`,
      `  url: ${chdb?.url ?? 'http://127.0.0.1:1'}`,
      '  request_timeout_ms: 5000',
      'batch:',
      ...Object.entries(batch).map(([k, v]) => `  ${k}: ${v}`),
      'health:',
      '  host: 127.0.0.1',
      `  port: ${healthPort}`,
      'log_level: warn',
      '',
    ].join('\n'),
  );
  const publisher = new JetStreamPublisher(jetstream(nc), { maxPending: 500, bufferMax: 1_000_000 }, log);
  return {
    dir,
    nats,
    nc,
    publisher,
    chdb,
    healthPort,
    configFile,
    async close() {
      publisher.close();
      await nc.close().catch(() => undefined);
      await chdb?.close();
      await nats.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Read-only SQL through the storage daemon's /query endpoint (how `marketprism query` reaches an embedded engine). */
export function queryViaDaemon<T = Record<string, unknown>>(healthPort: number, sql: string): Promise<T[]> {
  return queryDaemon<T>(healthPort, sql);
}

/** The storage daemon in this process on `env`'s config, once its /health says healthy (200 also means degraded); returns its stop. */
export async function startHealthyStorage(env: StorageEnv): Promise<() => Promise<void>> {
  const running = await startStorage(loadStorageConfig(env.configFile), quietLog('storage'));
  await waitFor(
    'storage healthy',
    async () => ((await (await fetch(`http://127.0.0.1:${env.healthPort}/health`)).json()) as { status: string }).status === 'healthy',
    30_000,
  );
  return () => running.stop();
}

/** Dead letters as they arrive: each call waits for `n` more than were returned before and returns those. */
export function deadLetterReader(jsm: JetStreamManager): (n: number) => Promise<StoredMsg[]> {
  let seen = 0;
  return async (n) => {
    const info = await waitFor(`${n} new dead letters`, async () => {
      const i = await jsm.streams.info('MARKET_DATA_DLQ');
      return i.state.messages >= seen + n ? i : undefined;
    });
    const out: StoredMsg[] = [];
    for (let seq = info.state.first_seq + seen; seq < info.state.first_seq + seen + n; seq++) {
      out.push((await jsm.streams.getMessage('MARKET_DATA_DLQ', { seq }))!);
    }
    seen += n;
    return out;
  };
}

/** Resolves once the hot tier's consumer of `type` has nothing pending or unacknowledged. */
export function consumerCaughtUp(jsm: JetStreamManager, type = 'trade'): Promise<unknown> {
  return waitFor(`${type} consumer caught up`, async () => {
    const i = await jsm.consumers.info('MARKET_DATA', `storage-hot-${type}`);
    return i.num_pending === 0 && i.num_ack_pending === 0;
  });
}
