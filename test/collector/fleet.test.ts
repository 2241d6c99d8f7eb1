/**
 * The collector fleet (docs/collector.md, Fleet): three marketprism-collector processes
 * with one configuration, a broker with authentication (its nats-server keeps the lease
 * bucket, the collector user holds only the permissions nats-config.ts grants), the
 * Binance spot simulator with six symbols. Proven from /health and the MARKET_DATA stream:
 *   - at steady state every symbol is owned exactly once;
 *   - kill -9 of one: its symbols are owned by the others within 10 s, and every symbol's
 *     trades stay continuous (no trade-id gap: the standby hands over what it held back);
 *   - the killed one started again: the load rebalances onto it without a gap in any book
 *     (the new owner publishes before the old one lets go) and again owned exactly once;
 *   - one stopped (SIGTERM): it hands its symbols over the same way before it exits.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOptions } from '../../src/core/nats.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { brokerEnv, type BrokerEnv } from '../helpers/broker-env.js';
import type { DaemonProcess } from '../helpers/daemons.js';
import { fleetHealth, readAllRecords, settledFleet, startFleetMember, tradeIdCoverage } from '../helpers/fleet-env.js';

const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'ADA-USDT', 'DOT-USDT'];
const INTERVAL = 100;
const UNITS = SYMBOLS.map((s) => `binance_spot/${s}`).sort();

describe('collector fleet: symbol leases in a JetStream KV bucket', () => {
  let broker: BrokerEnv;
  let sim: ExchangeSim;
  let admin: NatsConnection;
  let dir: string;
  const ports = new Map<string, number>();
  const running = new Map<string, DaemonProcess>();
  const all: DaemonProcess[] = [];

  const start = async (member: string) => {
    if (!ports.has(member)) ports.set(member, await freePort());
    const d = startFleetMember({
      dir,
      member,
      port: ports.get(member)!,
      natsUrl: broker.url,
      passwordFile: broker.passwordFile('collector'),
      sim,
      symbols: SYMBOLS,
      intervalMs: INTERVAL,
    });
    running.set(member, d);
    all.push(d);
  };

  const fleetOf = (member: string) => fleetHealth(ports.get(member)!);
  /** Every running member sees the running ones, and owns exactly its rendezvous units: every unit owned exactly once. */
  const settled = () => settledFleet(new Map([...running.keys()].map((m) => [m, ports.get(m)!])), UNITS);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-fleet-'));
    broker = await brokerEnv({ auth: true });
    admin = await connect({ servers: broker.url, ...authOptions({ user: 'admin', password_file: broker.passwordFile('admin'), tls: undefined }) });
    sim = await startExchangeSim({ venue: 'binance-spot', source: { generate: { seed: 11, symbols: SYMBOLS, ratePerSec: 20 } } });
    for (const m of ['a', 'b', 'c']) await start(m);
  });

  /** On failure: what each member said. */
  const explain = async () => {
    for (const [m, d] of running)
      console.log(
        m,
        JSON.stringify(await fleetOf(m)),
        d
          .output()
          .split('\n')
          .filter((l) => /fleet|error|warn/i.test(l))
          .slice(-15)
          .map((l) => l.slice(0, 300))
          .join('\n'),
      );
  };

  afterAll(async () => {
    for (const d of all) await d.stop('SIGTERM');
    await admin?.close();
    await sim?.stop();
    await broker?.daemon.stop();
  });

  it('the broker keeps the bucket as streams.yaml says (per-message TTLs, expiry markers)', async () => {
    const info = await (await jetstreamManager(admin)).streams.info('KV_marketprism_leases');
    expect(info.config).toMatchObject({
      subjects: ['$KV.marketprism_leases.>'],
      max_msgs_per_subject: 1,
      allow_msg_ttl: true,
      subject_delete_marker_ttl: 60e9,
    });
  });

  it('the collector user may write and watch the bucket, never delete or purge it', async () => {
    const nc = await connect({ servers: broker.url, ...authOptions({ user: 'collector', password_file: broker.passwordFile('collector'), tls: undefined }) });
    try {
      for (const subject of [
        '$JS.API.STREAM.DELETE.KV_marketprism_leases',
        '$JS.API.STREAM.PURGE.KV_marketprism_leases',
        '$JS.API.STREAM.UPDATE.KV_marketprism_leases',
      ])
        await expect(nc.request(subject, '', { timeout: 3000 }), subject).rejects.toThrow(/permissions violation/i);
    } finally {
      await nc.close();
    }
  });

  it('splits the symbols: each owned exactly once, kill -9 taken over within 10 s, a rejoin rebalanced', async () => {
    const steady = await waitFor('every symbol owned exactly once by its rendezvous target among 3 members', settled, 30_000).catch(async (err) => {
      await explain();
      throw err;
    });
    // Rendezvous hashing with these names spreads the six symbols over all three members.
    for (const v of steady) expect(v!.owned.length).toBeGreaterThan(0);
    expect(steady.map((v) => v!.standby).reduce((a, b) => a + b)).toBe(SYMBOLS.length);
    await new Promise((r) => setTimeout(r, 3000));

    const victim = 'a'; // holds three of the six
    const lost = (await fleetOf(victim))!.owned;
    await running.get(victim)!.stop('SIGKILL');
    running.delete(victim);
    const killedAt = Date.now();
    await waitFor('the killed member its symbols taken over', settled, 15_000, 100);
    const takeoverMs = Date.now() - killedAt;
    console.log(`fleet: ${lost.length} symbols of the killed member taken over in ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(10_000);
    // The survivors counted the expired leases they took, and their gauges say what they hold.
    const scrape = async (m: string) => (await fetch(`http://127.0.0.1:${ports.get(m)}/metrics`)).text();
    /** The sample of `name` whose labels include `labels` (the registry adds daemon="collector"). */
    const value = (text: string, name: string, labels = '') =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${name}{`) && l.includes(labels))
          ?.split(' ')
          .at(-1) ?? 0,
      );
    let expired = 0;
    for (const m of running.keys()) {
      const text = await scrape(m);
      expired += value(text, 'marketprism_collector_fleet_lease_takeovers_total', 'how="expired"');
      expect(value(text, 'marketprism_collector_fleet_owned_symbols')).toBe((await fleetOf(m))!.owned.length);
      expect(value(text, 'marketprism_collector_fleet_members')).toBe(2);
    }
    expect(expired).toBe(lost.length);
    await new Promise((r) => setTimeout(r, 3000));

    const rejoinAt = Date.now();
    await start(victim);
    const after = await waitFor('rebalanced over 3 members again', settled, 30_000, 100);
    expect(after.find((v) => v!.member === victim)!.owned.length).toBeGreaterThan(0);
    console.log(`fleet: rebalanced onto the restarted member in ${Date.now() - rejoinAt} ms`);
    await new Promise((r) => setTimeout(r, 3000));

    // A graceful stop: the member leaves, the others take over (make-before-break), it deletes what is left.
    const leaver = 'b';
    const leaving = running.get(leaver)!;
    running.delete(leaver);
    const leftAt = Date.now();
    expect(await leaving.stop('SIGTERM')).toBe(0);
    const stopMs = Date.now() - leftAt;
    await waitFor('the stopped member its symbols taken over', settled, 10_000, 100);
    console.log(`fleet: graceful stop in ${stopMs} ms, its symbols owned by the others ${Date.now() - leftAt} ms after the stop began`);
    expect(leaving.output()).toContain('fleet: lease handed over');
    await new Promise((r) => setTimeout(r, 2000));
    const endAt = Date.now();

    const records = await readAllRecords(admin);
    const trades = tradeIdCoverage(records, SYMBOLS);
    const books = new Map<string, number[]>();
    for (const r of records) {
      if (r.data_type === 'orderbook' && r.local_timestamp >= rejoinAt && r.local_timestamp <= endAt)
        books.set(r.symbol, [...(books.get(r.symbol) ?? []), r.local_timestamp]);
    }
    let worst = 0;
    for (const s of SYMBOLS) {
      // Trades: from the first stored to the last, every id, across the kill and the rejoin.
      const t = trades.get(s)!;
      expect(t.ids, s).toBeGreaterThan(100);
      expect(t.missing, `${s}: trade ids missing between ${t.first} and ${t.last}`).toBe(0n);
      // Books over the rejoin's hand-over: no gap beyond publish_interval and slack.
      const times = [...new Set(books.get(s) ?? [])].sort((a, b) => a - b);
      expect(times.length, s).toBeGreaterThan(20);
      let gap = 0;
      for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
      expect(gap, `${s}: largest gap between book records across the hand-overs`).toBeLessThan(INTERVAL + 900);
      worst = Math.max(worst, gap);
    }
    console.log(`fleet: largest gap between a symbol's book records across the rejoin and the graceful stop: ${worst} ms`);
  }, 120_000);
});
