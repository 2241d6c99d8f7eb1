/**
 * What the end-to-end benchmarks stand on: a real nats-server (JetStream, file
 * storage) with the configured streams, and marketprism-storage on either engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Running } from '../src/core/daemon.js';
import { createLogger, type Logger } from '../src/core/logger.js';
import { connectNats, type NatsConnection } from '../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../src/core/streams.js';
import { loadStorageConfig } from '../src/storage/config.js';
import { queryDaemon } from '../src/storage/query.js';
import { HttpEngine } from '../src/storage/engines/http.js';
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
  /** The ClickHouse server's process (the HTTP engine's chdb-http), whose CPU is the database's: undefined when in this process. */
  serverPid?: number;
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
 * chdb-http (src/testing/chdb-http.ts: ClickHouse's HTTP interface answered by chDB) as
 * a process of its own, where a ClickHouse server would be: its CPU is counted apart
 * from storage's, and its request handling does not share storage's event loop.
 */
async function startChdbHttpProcess(path: string): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const main = new URL('../src/testing/chdb-http-main.js', import.meta.url).pathname;
  const proc = spawn(process.execPath, [main, '--path', path, '--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('chdb-http', async () => (await fetch(`${url}/ping`)).ok, 30_000, 100);
  return {
    url,
    proc,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

/**
 * marketprism-storage in this process on either engine: embedded chDB, or the HTTP engine
 * against chDB served over ClickHouse's HTTP interface by a process of its own
 * (startChdbHttpProcess). `batch`: storage.yaml `batch:` keys; the defaults when not given.
 */
export async function startBenchStorage(b: Broker, engine: 'embedded' | 'clickhouse', batch?: Record<string, number>): Promise<Storage> {
  const port = await freePort();
  const file = join(b.dir, `storage-${engine}.yaml`);
  const chdb = engine === 'clickhouse' ? await startChdbHttpProcess(join(b.dir, 'chdb-http')) : undefined;
  const reader = chdb ? new HttpEngine({ url: chdb.url, username: 'default', password: '', requestTimeoutMs: 60_000 }) : undefined;
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
  const query = async <T>(sql: string): Promise<T[]> => (reader ? reader.query<T>(sql) : queryDaemon<T>(port, sql));
  // /health answers before the schema is in place.
  await waitFor('storage schema', async () => (await query('SELECT count() FROM marketprism_hot.trades'), true), 30_000, 100);
  return {
    serverPid: chdb?.proc.pid,
    async stop() {
      await storage.stop();
      await reader?.close();
      await chdb?.stop();
    },
    query,
    async count(table) {
      const [r] = await query<{ n: string }>(`SELECT count() AS n FROM marketprism_hot.${table}`);
      return Number(r!.n);
    },
  };
}
