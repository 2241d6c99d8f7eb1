/**
 * What the end-to-end benchmarks stand on: a real nats-server (JetStream, file
 * storage) with the configured streams, and marketprism-storage on embedded chDB.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Running } from '../src/core/daemon.js';
import { createLogger, type Logger } from '../src/core/logger.js';
import { connectNats, type NatsConnection } from '../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../src/core/streams.js';
import { loadStorageConfig } from '../src/storage/config.js';
import { startStorage } from '../src/storage/service.js';
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
  /** Rows in a marketprism_hot table, through the daemon's /query. */
  count(table: string): Promise<number>;
}

/** marketprism-storage in this process, on embedded chDB under the broker's directory. */
export async function startEmbeddedStorage(b: Broker, batch = { max_rows: 5000, max_wait_ms: 500 }): Promise<Storage> {
  const port = await freePort();
  const file = join(b.dir, 'storage.yaml');
  writeFileSync(
    file,
    `nats: { servers: ["${b.nats.url}"] }\nclickhouse: { engine: embedded, embedded_path: ${join(b.dir, 'chdb')} }\n` +
      `batch: { max_rows: ${batch.max_rows}, max_wait_ms: ${batch.max_wait_ms} }\nhealth: { host: 127.0.0.1, port: ${port} }\nlog_level: warn\n`,
  );
  const storage = await startStorage(loadStorageConfig(file), b.log);
  await waitFor('storage', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 30_000);
  return {
    stop: () => storage.stop(),
    async count(table) {
      const res = await fetch(`http://127.0.0.1:${port}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/sql' },
        body: `SELECT count() AS n FROM marketprism_hot.${table}`,
      });
      return Number((JSON.parse(await res.text()) as { n: string }).n);
    },
  };
}
