/**
 * marketprism-broker against a real nats-server: streams reconciled idempotently,
 * nats-server restarted by the supervisor after a crash, and a broker restart under
 * load loses nothing the publisher had an ack for.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from '../../src/collector/publisher.js';
import { connectNats, type NatsConnection } from '../../src/core/nats.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import { startStorage } from '../../src/storage/service.js';
import { startChdbHttp, type ChdbHttpServer } from '../../src/testing/chdb-http.js';
import { brokerEnv, type BrokerEnv } from '../helpers/broker-env.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { trades } from '../helpers/records.js';
import { cli } from '../helpers/cli.js';
import { quietLog } from '../helpers/storage-env.js';
import { join } from 'node:path';

describe('marketprism-broker', () => {
  let broker: BrokerEnv;
  let nc: NatsConnection;
  beforeAll(async () => {
    broker = await brokerEnv();
    nc = await connectNats({ servers: [broker.url], name: 'test' }, quietLog());
  });
  afterAll(async () => {
    await nc?.close();
    await broker?.daemon.stop();
  });

  it('creates the configured streams', async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('MARKET_DATA');
    expect(info.config.subjects).toContain('orderbook.>');
    expect(info.config.subjects).toContain('trade.>');
    expect(info.config.duplicate_window).toBe(300 * 1e9);
    expect(info.config.storage).toBe('file');
    expect((await jsm.streams.info('MARKET_DATA_DLQ')).config.subjects).toEqual(['deadletter.>']);
  });

  it('`marketprism streams ensure` is idempotent, updates what may change and refuses what may not', async () => {
    const server = ['--config', broker.configFile, '--server', broker.url];
    let r = await cli('streams', 'ensure', ...server);
    expect(r).toEqual({
      code: 0,
      out: 'stream MARKET_DATA: unchanged\nstream MARKET_DATA_DLQ: unchanged\nstream MARKETPRISM_COUNTS: unchanged\nstream KV_marketprism_leases: unchanged\n',
    });

    const original = readFileSync(broker.streamsFile, 'utf8');
    writeFileSync(broker.streamsFile, original.replace('max_age: 48h', 'max_age: 24h'));
    r = await cli('streams', 'ensure', ...server);
    expect(r.out).toContain('stream MARKET_DATA: updated (max_age)');
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('MARKET_DATA')).config.max_age).toBe(24 * 3600 * 1e9);

    // A memory stream must fit the memory store (256MB), or the config check refuses it first.
    writeFileSync(broker.streamsFile, original.replace('storage: file', 'storage: memory').replace('max_bytes: 16GB', 'max_bytes: 100MB'));
    r = await cli('streams', 'ensure', ...server);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/stream MARKET_DATA: storage cannot be changed in place/);
    expect((await jsm.streams.info('MARKET_DATA')).config.storage).toBe('file');

    writeFileSync(broker.streamsFile, original);
    expect((await cli('streams', 'ensure', ...server)).out).toContain('stream MARKET_DATA: updated (max_age)');
  });

  it('fails clearly when NATS is unreachable', async () => {
    const port = await freePort();
    const r = await cli('streams', 'ensure', '--config', broker.configFile, '--server', `nats://127.0.0.1:${port}`);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/cannot reach NATS at nats:\/\/127.0.0.1:\d+/);
  });

  it('restarts nats-server after it is killed; the streams and their data survive', async () => {
    const js = jetstream(nc);
    await js.publish('trade.binance.spot.KILL-TEST', JSON.stringify({ n: 1 }));
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info('MARKET_DATA')).state.messages;
    const pid = broker.natsPid();
    process.kill(pid, 'SIGKILL');
    await waitFor('a new nats-server', () => broker.natsPid() !== pid, 20_000);
    await waitFor('healthz', async () => (await fetch(`${broker.monitorUrl}/healthz?js-enabled-only=true`)).ok, 20_000);
    const after = await waitFor('stream info', () => jsm.streams.info('MARKET_DATA'), 20_000);
    expect(after.state.messages).toBe(before);
    expect(broker.daemon.output()).toMatch(/"msg":"nats-server exited; restarting"/);
  });

  describe('restarted under load', () => {
    let chdb: ChdbHttpServer;
    let stopStorage: () => Promise<void>;
    afterAll(async () => {
      await stopStorage?.();
      await chdb?.close();
    });

    it('stores every record the publisher had an ack for', async () => {
      chdb = await startChdbHttp({ path: join(broker.dir, 'chdb') });
      const storageFile = join(broker.dir, 'storage.yaml');
      writeFileSync(
        storageFile,
        `nats: { servers: ["${broker.url}"] }\nclickhouse: { engine: clickhouse, url: ${chdb.url}, request_timeout_ms: 5000 }\n` +
          `batch: { max_rows: 1000, max_wait_ms: 200, ack_wait_ms: 10000 }\nhealth: { host: 127.0.0.1, port: ${await freePort()} }\n`,
      );
      const storage = await startStorage(loadStorageConfig(storageFile), quietLog('storage'));
      stopStorage = () => storage.stop();

      const pubConn = await connectNats({ servers: [broker.url], name: 'publisher' }, quietLog());
      const publisher = new JetStreamPublisher(jetstream(pubConn), { maxPending: 256, bufferMax: 100_000, ackTimeoutMs: 2000 }, quietLog());
      const N = 15_000;
      const all = trades(N, { idPrefix: 'load-' });
      let restarted = false;
      for (let i = 0; i < N; i += 500) {
        all.slice(i, i + 500).forEach((r) => publisher.publish(r));
        await new Promise((r) => setTimeout(r, 20));
        if (!restarted && i >= N / 3) {
          restarted = true;
          expect(await broker.daemon.stop('SIGTERM')).toBe(0);
          await broker.start();
        }
      }
      expect(await publisher.flush(60_000)).toBe(true);
      expect(publisher.published).toBe(N);
      expect(publisher.dropped).toBe(0);
      await waitFor(
        'every acked record in ClickHouse',
        async () => {
          const [r] = await chdb.query<{ n: string }>("SELECT count() AS n FROM marketprism_hot.trades FINAL WHERE trade_id LIKE 'load-%'");
          return Number(r!.n) === N;
        },
        90_000,
        250,
      );
      publisher.close();
      await pubConn.close();
    });
  });
});
