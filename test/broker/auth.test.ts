/**
 * NATS locked down by the broker (nats_server.auth): one user per role, each allowed what
 * its daemon needs and nothing else, found and proved against the real nats-server the
 * broker renders the config of. The whole pipeline (simulator -> collector -> broker ->
 * storage -> chDB) runs with those users.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCounts } from '../../src/cli/integrity-counts.js';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { startCollector } from '../../src/collector/service.js';
import type { Running } from '../../src/core/daemon.js';
import { authOptions, connectNats, readPasswordFile } from '../../src/core/nats.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import { startStorage } from '../../src/storage/service.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { brokerEnv, type BrokerEnv } from '../helpers/broker-env.js';
import { cli } from '../helpers/cli.js';
import { queryViaDaemon, quietLog } from '../helpers/storage-env.js';

type Role = 'admin' | 'collector' | 'storage';

describe('NATS authentication and permissions (broker with nats_server.auth)', () => {
  let broker: BrokerEnv;
  const open: NatsConnection[] = [];
  const as = async (role: Role) => {
    const nc = await connect({ servers: broker.url, ...authOptions({ user: role, password_file: broker.passwordFile(role), tls: undefined }) });
    open.push(nc);
    return nc;
  };
  /** A request the server must refuse for `nc`'s user: a permissions violation, not an answer. */
  const refused = async (nc: NatsConnection, subject: string) => {
    await expect(nc.request(subject, '', { timeout: 3000 })).rejects.toThrow(/permissions violation/i);
  };

  beforeAll(async () => {
    broker = await brokerEnv({ auth: true });
  });
  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await broker?.daemon.stop();
  });

  it('refuses clients without credentials or with a wrong password', async () => {
    await expect(connect({ servers: broker.url, timeout: 3000, reconnect: false })).rejects.toThrow(/authorization violation/i);
    await expect(connect({ servers: broker.url, timeout: 3000, reconnect: false, user: 'collector', pass: 'not-the-password' })).rejects.toThrow(
      /authorization violation/i,
    );
    await expect(
      connect({ servers: broker.url, timeout: 3000, reconnect: false, user: 'collector', pass: readPasswordFile(broker.passwordFile('storage')) }),
    ).rejects.toThrow(/authorization violation/i);
  });

  it('renders nats-server.conf 0600 and keeps passwords out of the broker log and the process arguments', async () => {
    const conf = join(broker.dir, 'state/nats-server.conf');
    expect(statSync(conf).mode & 0o777).toBe(0o600);
    const text = readFileSync(conf, 'utf8');
    for (const role of ['admin', 'collector', 'storage'] as const) {
      const password = readPasswordFile(broker.passwordFile(role));
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(text).toContain(JSON.stringify(password));
      expect(broker.daemon.output()).not.toContain(password);
      const pid = broker.natsPid();
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(password);
      expect(readFileSync(`/proc/${broker.daemon.child.pid}/cmdline`, 'utf8')).not.toContain(password);
    }
  });

  it('admin: the JetStream API, as the broker and `marketprism streams ensure` use it', async () => {
    const jsm = await jetstreamManager(await as('admin'));
    expect((await jsm.streams.info('MARKET_DATA')).config.name).toBe('MARKET_DATA');
    const r = await cli('streams', 'ensure', '--config', broker.configFile);
    expect(r.out).toContain('stream MARKET_DATA: unchanged');
    expect(r.code).toBe(0);
  });

  it('collector: publishes market data with JetStream acks, nothing else', async () => {
    const nc = await as('collector');
    const js = jetstream(nc, { timeout: 3000 });
    const ack = await js.publish('trade.binance.spot.BTC-USDT', '{}', { msgID: 'auth-test-1' });
    expect(ack.stream).toBe('MARKET_DATA');
    await expect(js.publish('deadletter.trade', '{}')).rejects.toThrow(/permissions violation/i);
    await refused(nc, '$JS.API.STREAM.DELETE.MARKET_DATA');
    await refused(nc, '$JS.API.STREAM.PURGE.MARKET_DATA');
    await refused(nc, '$JS.API.INFO');
    // It cannot read the stream either.
    const sub = nc.subscribe('trade.>');
    expect(String(await sub.closed)).toMatch(/permissions violation/i);
  });

  it('storage: consumes and dead-letters, cannot publish market data, delete or purge', async () => {
    const nc = await as('storage');
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add('MARKET_DATA', { durable_name: 'auth-test', filter_subject: 'trade.>', ack_policy: 'explicit' as never });
    const js = jetstream(nc, { timeout: 3000 });
    const consumer = await js.consumers.get('MARKET_DATA', 'auth-test');
    const m = await consumer.next({ expires: 3000 });
    expect(m?.subject).toBe('trade.binance.spot.BTC-USDT');
    await m!.ackAck();
    expect((await js.publish('deadletter.trade', '{}')).stream).toBe('MARKET_DATA_DLQ');
    await expect(js.publish('trade.binance.spot.BTC-USDT', '{}')).rejects.toThrow(/permissions violation/i);
    await refused(nc, '$JS.API.CONSUMER.DELETE.MARKET_DATA.auth-test');
    await refused(nc, '$JS.API.STREAM.DELETE.MARKET_DATA');
    await refused(nc, '$JS.API.STREAM.PURGE.MARKET_DATA_DLQ');
    const admin = await jetstreamManager(await as('admin'));
    expect((await admin.streams.info('MARKET_DATA')).state.messages).toBe(1);
  });

  it('counts: the collector publishes its own, storage reads them (integrity), only admin deletes', async () => {
    const collectorNc = await as('collector');
    const collector = jetstream(collectorNc, { timeout: 3000 });
    const message = { v: 1, daemon: 'collector', id: 'auth-test', from: new Date(0).toISOString(), to: new Date(60_000).toISOString(), counts: {} };
    expect((await collector.publish('marketprism.counts.collector.auth-test', JSON.stringify(message))).stream).toBe('MARKETPRISM_COUNTS');
    await expect(collector.publish('marketprism.counts.storage.auth-test', '{}')).rejects.toThrow(/permissions violation/i);
    const storageNc = await as('storage');
    const storage = jetstream(storageNc, { timeout: 3000 });
    // The ordered consumer integrity reads the stream with, as storage's user.
    const read = await readCounts(storage, await jetstreamManager(storageNc), 'MARKETPRISM_COUNTS', { from_ms: 0, to_ms: 120_000 });
    expect(read).toMatchObject({ messages: 1, sources: ['collector/auth-test'], unreadable: 0 });
    await expect(storage.publish('marketprism.counts.collector.auth-test', '{}')).rejects.toThrow(/permissions violation/i);
    for (const nc of [storageNc, collectorNc]) {
      await refused(nc, '$JS.API.STREAM.DELETE.MARKETPRISM_COUNTS');
      await refused(nc, '$JS.API.STREAM.PURGE.MARKETPRISM_COUNTS');
      await refused(nc, '$JS.API.STREAM.MSG.DELETE.MARKETPRISM_COUNTS');
    }
    const admin = await jetstreamManager(await as('admin'));
    expect((await admin.streams.info('MARKETPRISM_COUNTS')).state.messages).toBe(1);
  });

  describe('the pipeline with each daemon as its own user', () => {
    let collector: Running;
    let storage: Running;
    let sim: ExchangeSim;
    let healthPort: number;
    beforeAll(async () => {
      sim = await startExchangeSim({ venue: 'binance-spot', source: { generate: { seed: 5, symbols: ['BTC-USDT'], ratePerSec: 20 } } });
      healthPort = await freePort();
      const storageFile = join(broker.dir, 'storage.yaml');
      writeFileSync(
        storageFile,
        [
          `nats: { servers: ["${broker.url}"], user: storage, password_file: nats/storage.password }`,
          `clickhouse: { engine: embedded, embedded_path: ${join(broker.dir, 'chdb')}, request_timeout_ms: 5000 }`,
          'batch: { max_rows: 500, max_wait_ms: 200, ack_wait_ms: 20000 }',
          `health: { host: 127.0.0.1, port: ${healthPort} }`,
          'log_level: warn',
        ].join('\n'),
      );
      storage = await startStorage(loadStorageConfig(storageFile), quietLog('storage'));
      const collectorFile = join(broker.dir, 'collector.yaml');
      writeFileSync(
        collectorFile,
        [
          // password_file alone: the user is the role, collector.
          `nats: { servers: ["${broker.url}"], password_file: nats/collector.password }`,
          `health: { host: 127.0.0.1, port: ${await freePort()} }`,
          `metrics: { host: 127.0.0.1, port: ${await freePort()} }`,
          'venues:',
          '  binance_spot:',
          '    symbols: [BTC-USDT]',
          '    data_types: [trade, orderbook]',
          `    ws_url: ${sim.wsUrl}`,
          `    rest_url: ${sim.restUrl}`,
          'counts: { interval: 1s }',
          'fleet: { member_id: auth-pipeline }',
          'log_level: warn',
        ].join('\n'),
      );
      expect(loadCollectorConfig(collectorFile).nats.auth.user).toBe('collector');
      collector = await startCollector(loadCollectorConfig(collectorFile), quietLog('collector'));
    });
    afterAll(async () => {
      await collector?.stop();
      await storage?.stop();
      await sim?.stop();
    });

    it('trades and books reach ClickHouse; health shows no secret', async () => {
      for (const t of ['trades', 'orderbooks']) {
        await waitFor(
          `rows in ${t}`,
          async () => Number((await queryViaDaemon<{ n: string }>(healthPort, `SELECT count() AS n FROM marketprism_hot.${t}`))[0]!.n) > 0,
          60_000,
        );
      }
      // Its per-interval counts, published as the collector user, read back as storage's.
      const nc = await as('storage');
      await waitFor(
        'the collector counts, read as storage',
        async () =>
          (
            await readCounts(jetstream(nc, { timeout: 3000 }), await jetstreamManager(nc), 'MARKETPRISM_COUNTS', { from_ms: 0, to_ms: Date.now() })
          ).sources.includes('collector/auth-pipeline'),
        30_000,
      );
      const health = await (await fetch(`http://127.0.0.1:${healthPort}/health`)).text();
      for (const role of ['collector', 'storage'] as const) expect(health).not.toContain(readPasswordFile(broker.passwordFile(role)));
    });
  });
});

describe('rotating a password (docs/security.md)', () => {
  let broker: BrokerEnv;
  beforeAll(async () => {
    broker = await brokerEnv({ auth: true });
  });
  afterAll(async () => {
    await broker?.daemon.stop();
  });

  it('a client whose file is stale keeps retrying (never closes) and is back once its file holds the new password', async () => {
    const file = broker.passwordFile('collector');
    const clientFile = join(broker.dir, 'client-collector.password'); // the collector host's copy
    writeFileSync(clientFile, readFileSync(file), { mode: 0o640 });
    const nc = await connectNats({ servers: [broker.url], name: 'test', auth: { user: 'collector', password_file: clientFile, tls: undefined } }, quietLog());
    const js = jetstream(nc, { timeout: 3000 });
    await js.publish('trade.binance.spot.BTC-USDT', '{}', { msgID: 'rot-1' });

    writeFileSync(file, 'rotated-Password-0123456789\n'); // the broker host first
    await broker.daemon.stop();
    await broker.start();
    // Refused meanwhile (the stale copy), and still trying: not closed.
    // nats.js would close the connection after two refusals in a row: wait for three.
    const refusals = () => broker.daemon.output().split('authentication error - User \\"collector\\"').length - 1;
    await waitFor('the stale password refused three times', () => refusals() >= 3, 30_000);
    expect(nc.isClosed()).toBe(false);

    writeFileSync(clientFile, 'rotated-Password-0123456789\n'); // then the collector host's copy
    await waitFor(
      'publish with the rotated password',
      async () => (await js.publish('trade.binance.spot.BTC-USDT', '{}', { msgID: 'rot-2' }).catch(() => undefined)) !== undefined,
      30_000,
    );
    expect(broker.daemon.output()).not.toContain('rotated-Password-0123456789');
    await nc.close();
  });
});
