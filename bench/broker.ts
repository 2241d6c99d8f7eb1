/**
 * What the end-to-end benchmarks stand on: a real nats-server (JetStream, file
 * storage) with the configured streams, and marketprism-storage on either engine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Running } from '../src/core/daemon.js';
import { createLogger, type Logger } from '../src/core/logger.js';
import { connectNats, type NatsConnection } from '../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../src/core/streams.js';
import { loadStorageConfig } from '../src/storage/config.js';
import { queryDaemon } from '../src/storage/query.js';
import { startStorage } from '../src/storage/service.js';
import { startChdbHttp } from '../src/testing/chdb-http.js';
import { startNatsServer, type TestNatsServer } from '../src/testing/nats-server.js';
import { freePort, waitFor } from '../src/testing/ports.js';

export interface Broker {
  nats: TestNatsServer;
  nc: NatsConnection;
  /** A temporary directory, removed by close(). */
  dir: string;
  log: Logger;
  close(): Promise<void>;
}

export async function startBroker(): Promise<Broker> {
  const log = createLogger({ name: 'bench', level: 'warn' });
  const dir = mkdtempSync(join(tmpdir(), 'mp-bench-'));
  const nats = await startNatsServer();
  const nc = await connectNats({ servers: [nats.url], name: 'bench' }, log);
  await ensureStreams(nc, loadStreamSpecs('config/streams.yaml'));
  return {
    nats,
    nc,
    dir,
    log,
    async close() {
      await nc.close().catch(() => undefined);
      await nats.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Storage extends Running {
  /** Rows in a marketprism_hot table. */
  count(table: string): Promise<number>;
  /** Read-only SQL (the embedded engine through the daemon's /query, the HTTP engine directly). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

/** marketprism-storage in this process, on embedded chDB under the broker's directory. */
export async function startEmbeddedStorage(b: Broker, batch: Record<string, number> = { max_rows: 5000, max_wait_ms: 500 }): Promise<Storage> {
  return startBenchStorage(b, 'embedded', batch);
}

/**
 * marketprism-storage in this process on either engine: embedded chDB, or the HTTP engine
 * against chDB served over ClickHouse's HTTP interface (src/testing/chdb-http.ts, also in
 * this process). `batch`: storage.yaml `batch:` keys; the defaults when not given.
 */
export async function startBenchStorage(b: Broker, engine: 'embedded' | 'clickhouse', batch?: Record<string, number>): Promise<Storage> {
  const port = await freePort();
  const file = join(b.dir, `storage-${engine}.yaml`);
  const chdb = engine === 'clickhouse' ? await startChdbHttp({ path: join(b.dir, 'chdb-http') }) : undefined;
  const ch = chdb ? `{ engine: clickhouse, url: ${chdb.url} }` : `{ engine: embedded, embedded_path: ${join(b.dir, 'chdb')} }`;
  writeFileSync(
    file,
    `nats: { servers: ["${b.nats.url}"] }\nclickhouse: ${ch}\n` +
      (batch
        ? `batch: { ${Object.entries(batch)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')} }\n`
        : '') +
      `health: { host: 127.0.0.1, port: ${port} }\nlog_level: warn\n`,
  );
  const storage = await startStorage(loadStorageConfig(file), b.log);
  await waitFor('storage', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 30_000);
  const query = async <T>(sql: string): Promise<T[]> => {
    if (chdb) return chdb.query<T>(sql);
    return queryDaemon<T>(port, sql);
  };
  // /health answers before the schema is in place.
  await waitFor('storage schema', async () => (await query('SELECT count() FROM marketprism_hot.trades'), true), 30_000, 100);
  return {
    async stop() {
      await storage.stop();
      await chdb?.close();
    },
    query,
    async count(table) {
      const [r] = await query<{ n: string }>(`SELECT count() AS n FROM marketprism_hot.${table}`);
      return Number(r!.n);
    },
  };
}
