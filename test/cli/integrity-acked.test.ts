/**
 * `marketprism integrity`: every record JetStream acknowledged in the range against the rows
 * stored, with real parts: records published through the collector's publisher (trades in
 * multi-record messages, funding rates one a message) to a real nats-server, stored by the
 * real storage daemon in chDB (behind its HTTP interface), then rows deleted, poison
 * dead-lettered, records published while storage is stopped and the stream's start purged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { JetStreamPublisher } from '../../src/collector/publisher.js';
import { connectNats } from '../../src/core/nats.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import { startStorage } from '../../src/storage/service.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import type { AckedTable } from '../../src/cli/integrity-acked.js';
import type { IntegrityReport } from '../../src/cli/integrity.js';
import { BATCH_COUNT_HEADER, BATCH_FORMAT, BATCH_FORMAT_HEADER } from '../../src/core/batch.js';
import type { FundingRateRecord } from '../../src/core/model.js';
import { cli } from '../helpers/cli.js';
import { sampleRecords } from '../helpers/records.js';
import { brokerEnv, type BrokerEnv } from '../helpers/broker-env.js';
import { deadLetterReader, queryViaDaemon, quietLog } from '../helpers/storage-env.js';
import { testHost, trade, type TestHost } from './host.js';

const iso = (ms: number) => new Date(ms).toISOString();
const SUBJECT = 'trade.binance.spot.BTC-USDT';
const FUNDING = sampleRecords().find((r) => r.data_type === 'funding_rate') as FundingRateRecord;
/** A funding rate of binance/perpetual BTC-USDT, keyed by its timestamp. */
const funding = (ms: number): FundingRateRecord => ({ ...FUNDING, timestamp: ms, local_timestamp: ms + 1, funding_time: ms });
const trades = (ids: number[]) => ids.map((id) => trade('binance/spot', 'BTC-USDT', id, Date.now()));
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_v, i) => a + i);

describe('marketprism integrity: what JetStream acknowledged, per window', () => {
  let host: TestHost;
  let jsm: JetStreamManager;
  /** The clean window, and the window of the problems. */
  let from1 = 0;
  let to1 = 0;
  let from2 = 0;
  let to2 = 0;
  /** Integrity of the first window, asked before the second's problems were made. */
  let cleanReport: { code: number; r: IntegrityReport; out: string };

  const integrity = async (...args: string[]) => {
    const r = await cli('integrity', '--config-dir', host.configDir, '--json', ...args);
    return { code: r.code, r: JSON.parse(r.out) as IntegrityReport, out: r.out };
  };
  const count = async (table: string) => Number((await host.env.chdb!.query<{ n: string }>(`SELECT count() AS n FROM marketprism_hot.${table} FINAL`))[0]!.n);

  beforeAll(async () => {
    host = await testHost({ engine: 'clickhouse' });
    jsm = await jetstreamManager(host.env.nc);
    // Window 1: 4100 trades (three key lookups of at most 2000) and 4 funding rates, all stored.
    from1 = Date.now();
    await host.store(trades(range(1, 4100)), 'trades', 4100);
    const t = Date.now();
    await host.store(
      [0, 1, 2, 3].map((i) => funding(t + i)),
      'funding_rates',
      4,
    );
    to1 = Date.now() + 1;
    cleanReport = await integrity('--from', iso(from1), '--to', iso(to1));
    await new Promise((r) => setTimeout(r, 5));

    // Window 2: 100 trades and 3 funding rates stored ...
    from2 = Date.now();
    await host.store(trades(range(5001, 5100)), 'trades', 4200);
    const t2 = Date.now();
    await host.store(
      [0, 1, 2].map((i) => funding(t2 + i)),
      'funding_rates',
      7,
    );
    // ... a record storage refuses (alone in its message), and a batch of three with the middle one refused ...
    const js = jetstream(host.env.nc);
    const [bad] = trades([5500]);
    await js.publish(SUBJECT, JSON.stringify({ ...bad, price: 'abc' }));
    const batch = trades([6001, 6002, 6003]).map((r, i) => (i === 1 ? { ...r, price: '-1' } : r));
    const h = headers();
    h.set(BATCH_FORMAT_HEADER, BATCH_FORMAT);
    h.set(BATCH_COUNT_HEADER, '3');
    await js.publish(SUBJECT, batch.map((r) => JSON.stringify(r)).join('\n'), { headers: h });
    await deadLetterReader(jsm)(2);
    await waitFor('the batch stored', async () => (await count('trades')) === 4202);
    // ... three stored trades deleted ...
    await host.env.chdb!.query(`ALTER TABLE marketprism_hot.trades DELETE WHERE trade_id IN ('5010', '5050', '5090')`);
    await waitFor('rows deleted', async () => (await count('trades')) === 4199);
    // ... and five funding rates storage never consumed (stopped).
    await host.stopStorage();
    const t3 = Date.now();
    [0, 1, 2, 3, 4].forEach((i) => host.env.publisher.publish(funding(t3 + i)));
    await host.env.publisher.flush();
    to2 = Date.now() + 1;
  }, 120_000);
  afterAll(async () => host?.close());

  const byTable = (r: IntegrityReport) => Object.fromEntries(r.acknowledged!.tables.map(({ examples: _e, ...t }) => [`${t.table} ${t.venue}`, t]));
  const tally = (table: string, venue: string, t: Partial<AckedTable>) => ({ table, venue, dead_lettered: 0, missing: 0, missing_unconsumed: 0, ...t });

  it('a clean window: every acknowledged record stored, exit 0', () => {
    const { code, r, out } = cleanReport;
    expect(r.errors, out).toEqual([]);
    expect(r.problems, out).toEqual([]);
    expect(code).toBe(0);
    const a = r.acknowledged!;
    expect(byTable(r)).toEqual({
      'funding_rates binance/perpetual': tally('funding_rates', 'binance/perpetual', { acknowledged: 4, stored: 4 }),
      'trades binance/spot': tally('trades', 'binance/spot', { acknowledged: 4100, stored: 4100 }),
    });
    expect(a.records).toBe(4104);
    // The trades went in multi-record messages: fewer messages than records.
    expect(a.messages).toBeLessThan(100);
    expect(a.first_seq).toBe(1);
    expect(a.partial).toEqual([]);
    expect([a.covered_from, a.covered_to]).toEqual([iso(from1), iso(to1)]);
  });

  it('reports exactly the deleted and the never consumed as missing, the dead-lettered apart; exit 1', async () => {
    const { code, r } = await integrity('--from', iso(from2), '--to', iso(to2));
    expect(code).toBe(1);
    expect(byTable(r)).toEqual({
      'funding_rates binance/perpetual': tally('funding_rates', 'binance/perpetual', { acknowledged: 8, stored: 3, missing: 5, missing_unconsumed: 5 }),
      // 100 + the refused one + the batch of three: 97 + 2 of the batch stored, 2 dead-lettered, 3 deleted.
      'trades binance/spot': tally('trades', 'binance/spot', { acknowledged: 104, stored: 99, dead_lettered: 2, missing: 3 }),
    });
    const tradesMissing = r.acknowledged!.tables.find((t) => t.table === 'trades')!.examples;
    expect(tradesMissing.map((e) => [e.subject, e.key])).toEqual(['5010', '5050', '5090'].map((id) => [SUBJECT, `binance|spot|BTC-USDT|${id}`]));
    // Each example names the stream message that holds it.
    for (const e of tradesMissing) {
      const m = await jsm.streams.getMessage('MARKET_DATA', { seq: e.seq });
      expect(m!.subject).toBe(SUBJECT);
      expect(m!.string()).toContain(`"trade_id":"${e.key.split('|')[3]}"`);
    }
    const fundingMissing = r.acknowledged!.tables.find((t) => t.table === 'funding_rates')!.examples;
    expect(fundingMissing).toHaveLength(5);
    expect(fundingMissing.every((e) => e.subject === 'funding_rate.binance.perpetual.BTC-USDT')).toBe(true);
    expect(r.problems.filter((p) => p.kind === 'missing' || p.kind === 'dead_letter').map((p) => [p.kind, p.table, p.venue, p.count])).toEqual([
      ['missing', 'marketprism_hot.funding_rates', 'binance/perpetual', 5],
      ['missing', 'marketprism_hot.trades', 'binance/spot', 3],
      ['dead_letter', 'marketprism_hot.trades', 'binance/spot', 2],
    ]);
    expect(r.acknowledged!.partial).toEqual([]);
    // Storage is stopped: its /metrics cannot be read, and says so.
    expect(r.errors.map((e) => e.module)).toEqual(['storage']);

    const text = await cli('integrity', '--config-dir', host.configDir, '--from', iso(from2), '--to', iso(to2));
    console.log(text.out);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/trades\s+binance\/spot\s+104\s+99\s+2\s+3/);
    expect(text.out).toContain('missing funding_rates binance/perpetual: 5 (5 not yet consumed by storage):');
    expect(text.out).toContain(`seq ${tradesMissing[0]!.seq}  ${SUBJECT}  binance|spot|BTC-USDT|5010`);
  });

  it('--max-records: stops reading and says up to when the answer covers', async () => {
    const { r } = await integrity('--from', iso(from1), '--to', iso(to2), '--max-records', '4104');
    const a = r.acknowledged!;
    expect(a.records).toBe(4104);
    expect(byTable(r)).toEqual({
      'funding_rates binance/perpetual': tally('funding_rates', 'binance/perpetual', { acknowledged: 4, stored: 4 }),
      'trades binance/spot': tally('trades', 'binance/spot', { acknowledged: 4100, stored: 4100 }),
    });
    // Up to the first message not read: the second window's first.
    expect(Date.parse(a.covered_to)).toBeGreaterThanOrEqual(from2);
    expect(Date.parse(a.covered_to)).toBeLessThan(to2);
    expect(a.partial).toEqual([`--max-records 4104 reached: covers up to ${a.covered_to} only`]);
    expect(r.problems.filter((p) => p.kind === 'missing')).toEqual([]);
    const bad = await cli('integrity', '--config-dir', host.configDir, '--max-records', '0');
    expect(bad).toMatchObject({ code: 1, out: expect.stringContaining('--max-records: expected a whole number of records, at least 1, got "0"') });
  });

  it('a window partly older than the stream: partly covered, what retention dropped not reported missing', async () => {
    const first2 = (await integrity('--from', iso(from2), '--to', iso(to2))).r.acknowledged!.first_seq!;
    // Retention's work, done at once: every message of the first window removed.
    await jsm.streams.purge('MARKET_DATA', { seq: first2 });
    const { code, r } = await integrity('--from', iso(from1), '--to', iso(to2));
    expect(code).toBe(1);
    const a = r.acknowledged!;
    const firstMs = (await jsm.streams.getMessage('MARKET_DATA', { seq: first2 }))!.time.getTime();
    expect(a.covered_from).toBe(new Date(firstMs).toISOString());
    expect(Date.parse(a.covered_from)).toBeGreaterThanOrEqual(from2);
    expect(a.partial).toEqual([
      `the stream's first message is of ${a.covered_from} (sequence ${first2}): older ones were removed (retention); what was acknowledged before is not known`,
    ]);
    // The second window's tallies alone: the first window's 4104 records are neither acknowledged here nor missing.
    expect(a.first_seq).toBe(first2);
    expect(byTable(r)['trades binance/spot']).toMatchObject({ acknowledged: 104, stored: 99, dead_lettered: 2, missing: 3 });
    expect(byTable(r)['funding_rates binance/perpetual']).toMatchObject({ acknowledged: 8, stored: 3, missing: 5 });

    // Everything removed: nothing of the range covered, nothing reported missing.
    const last = (await jsm.streams.info('MARKET_DATA')).state.last_seq;
    await jsm.streams.purge('MARKET_DATA');
    const none = (await integrity('--from', iso(from1), '--to', iso(to2))).r.acknowledged!;
    expect(none).toMatchObject({ covered_from: iso(to2), covered_to: iso(to2), records: 0, tables: [] });
    expect(none.partial).toEqual([`the stream holds no message: all ${last} were removed (retention); what they were is not known`]);
  });
});

describe('marketprism integrity with the credentials of storage (nats_server.auth), no broker config on the host', () => {
  let broker: BrokerEnv;
  let dir: string;
  let stop: () => Promise<void>;
  let publisher: JetStreamPublisher;
  beforeAll(async () => {
    broker = await brokerEnv({ auth: true });
    dir = mkdtempSync(join(tmpdir(), 'mp-integrity-'));
    const healthPort = await freePort();
    writeFileSync(
      join(dir, 'storage.yaml'),
      [
        `nats: { servers: ["${broker.url}"], user: storage, password_file: ${broker.passwordFile('storage')} }`,
        `clickhouse: { engine: embedded, embedded_path: ${join(dir, 'chdb')}, request_timeout_ms: 5000 }`,
        'batch: { max_rows: 500, max_wait_ms: 200, ack_wait_ms: 20000 }',
        `health: { host: 127.0.0.1, port: ${healthPort} }`,
        'log_level: warn',
      ].join('\n'),
    );
    stop = (await startStorage(loadStorageConfig(join(dir, 'storage.yaml')), quietLog('storage'))).stop;
    const auth = { user: 'collector', password_file: broker.passwordFile('collector'), tls: undefined };
    const nc = await connectNats({ servers: [broker.url], name: 'test-collector', auth }, quietLog());
    publisher = new JetStreamPublisher(jetstream(nc), { maxPending: 100, bufferMax: 10_000 }, quietLog());
    trades(range(1, 50)).forEach((r) => publisher.publish(r));
    await publisher.flush();
    // One the collector's user may publish and storage refuses.
    await jetstream(nc).publish(SUBJECT, JSON.stringify({ ...trades([99])[0], side: 'up' }));
    await waitFor('50 trades stored', async () => {
      const [r] = await queryViaDaemon<{ n: string }>(healthPort, 'SELECT count() AS n FROM marketprism_hot.trades FINAL');
      return Number(r!.n) === 50;
    });
    // The dead letter is published before the message is acked: once the consumer has acked everything it is there.
    const adminNc = await connectNats(
      { servers: [broker.url], name: 'test-admin', auth: { ...auth, user: 'admin', password_file: broker.passwordFile('admin') } },
      quietLog(),
    );
    const admin = await jetstreamManager(adminNc);
    await waitFor('the dead letter', async () => (await admin.streams.info('MARKET_DATA_DLQ')).state.messages === 1);
    await adminNc.close();
    await nc.close();
  }, 90_000);
  afterAll(async () => {
    publisher?.close();
    await stop?.();
    await broker?.daemon.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the stream and the dead letters as the storage user; the dead-letter stream by its shipped name', async () => {
    const r = await cli('integrity', '--config-dir', dir, '--json', '--since', '10m');
    const report = JSON.parse(r.out) as IntegrityReport;
    expect(report.errors, r.out).toEqual([]);
    expect(report.acknowledged!.tables).toEqual([
      { table: 'trades', venue: 'binance/spot', acknowledged: 51, stored: 50, dead_lettered: 1, missing: 0, missing_unconsumed: 0, examples: [] },
    ]);
    expect(report.acknowledged!.dead_letter_stream).toMatchObject({ name: 'MARKET_DATA_DLQ', from: expect.stringContaining('the shipped streams.yaml') });
    expect(report.problems.map((p) => p.kind)).toEqual(['dead_letter']);
    expect(r.code).toBe(1);
  });
});
