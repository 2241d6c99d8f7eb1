/**
 * A fleet member cut off from NATS while it keeps collecting (docs/collector.md, Fleet):
 * two marketprism-collector processes, `a` reaching the broker through a TCP proxy the
 * test cuts. Proven from /health and the MARKET_DATA stream:
 *   - while cut off, `a` says so in /health (its lease renewals fail) and `b` takes its
 *     symbols over once a's leases expire, within 10 s;
 *   - on the link's return `a` learns it lost the leases (it does not go on believing it
 *     holds them), rejoins, and the fleet settles back to every symbol owned exactly once;
 *   - nothing a collected during the cut is lost: its buffered records reach the stream on
 *     the return, so every symbol's trades are continuous across the cut (duplicates of b's
 *     overlap collapse by natural key in storage).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOptions } from '../../src/core/nats.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { startTcpProxy, type TcpProxy } from '../../src/testing/fault-suite/proxy.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { brokerEnv, type BrokerEnv } from '../helpers/broker-env.js';
import type { DaemonProcess } from '../helpers/daemons.js';
import { fleetHealth, readAllRecords, settledFleet, startFleetMember, tradeIdCoverage } from '../helpers/fleet-env.js';

const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'ADA-USDT', 'DOT-USDT'];
const UNITS = SYMBOLS.map((s) => `binance_spot/${s}`).sort();
const INTERVAL = 100;

describe('collector fleet: a member cut off from NATS', () => {
  let broker: BrokerEnv;
  let sim: ExchangeSim;
  let admin: NatsConnection;
  let proxy: TcpProxy;
  const ports = new Map<string, number>();
  const daemons = new Map<string, DaemonProcess>();

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-fleet-cut-'));
    broker = await brokerEnv({ auth: true });
    admin = await connect({ servers: broker.url, ...authOptions({ user: 'admin', password_file: broker.passwordFile('admin'), tls: undefined }) });
    sim = await startExchangeSim({ venue: 'binance-spot', source: { generate: { seed: 12, symbols: SYMBOLS, ratePerSec: 20 } } });
    proxy = await startTcpProxy(await freePort(), Number(new URL(broker.url).port));
    for (const member of ['a', 'b']) {
      ports.set(member, await freePort());
      const natsUrl = member === 'a' ? `nats://127.0.0.1:${proxy.port}` : broker.url;
      daemons.set(
        member,
        startFleetMember({
          dir,
          member,
          port: ports.get(member)!,
          natsUrl,
          passwordFile: broker.passwordFile('collector'),
          sim,
          symbols: SYMBOLS,
          intervalMs: INTERVAL,
        }),
      );
    }
  });

  afterAll(async () => {
    for (const d of daemons.values()) await d.stop('SIGTERM');
    await proxy?.close();
    await admin?.close();
    await sim?.stop();
    await broker?.daemon.stop();
  });

  it('b takes over within 10 s, a learns it lost its leases on the return, nothing a collected is lost', async () => {
    const steady = await waitFor('every symbol owned exactly once by its rendezvous target', () => settledFleet(ports, UNITS), 30_000);
    const ownedByA = steady.find((v) => v.member === 'a')!.owned;
    expect(ownedByA.length, 'rendezvous gives a some of the six symbols').toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2000));

    await proxy.cutOff();
    const cutAt = Date.now();
    // b alone: it sees only itself and holds every lease.
    await waitFor('b owns every symbol', () => settledFleet(new Map([['b', ports.get('b')!]]), UNITS), 15_000, 100);
    const takeoverMs = Date.now() - cutAt;
    console.log(`fleet cut: ${ownedByA.length} symbols of the cut-off member taken over in ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(10_000);
    // a, still collecting, says its renewals fail (and still lists what it last held).
    const cutView = await waitFor(
      'a reports the failing renewals',
      async () => ((await fleetHealth(ports.get('a')!))?.error ? fleetHealth(ports.get('a')!) : undefined),
      10_000,
      200,
    );
    expect(cutView!.error).toBeTruthy();
    await new Promise((r) => setTimeout(r, 3000));

    await proxy.restore();
    const restoredAt = Date.now();
    const after = await waitFor('settled over a and b again', () => settledFleet(ports, UNITS), 30_000, 100);
    console.log(`fleet cut: settled again ${Date.now() - restoredAt} ms after the link came back`);
    expect(after.find((v) => v.member === 'a')!.owned).toEqual(ownedByA);
    expect(after.every((v) => !v.error)).toBe(true);
    const lost = await (await fetch(`http://127.0.0.1:${ports.get('a')}/metrics`)).text();
    expect(lost).toMatch(/marketprism_collector_fleet_lease_releases_total\{[^}]*how="lost"[^}]*\} [1-9]/);
    await new Promise((r) => setTimeout(r, 2000));

    for (const d of daemons.values()) expect(await d.stop('SIGTERM')).toBe(0);
    const records = await readAllRecords(admin);
    const trades = tradeIdCoverage(records, SYMBOLS);
    for (const s of SYMBOLS) {
      const t = trades.get(s)!;
      expect(t.ids, s).toBeGreaterThan(100);
      expect(t.missing, `${s}: trade ids missing between ${t.first} and ${t.last}`).toBe(0n);
    }
    // a's books of the cut: collected while cut off, in the stream after the return (no hole in time).
    for (const unit of ownedByA) {
      const symbol = unit.split('/')[1]!;
      const times = [
        ...new Set(
          records
            .filter((r) => r.data_type === 'orderbook' && r.symbol === symbol && r.local_timestamp >= cutAt && r.local_timestamp <= restoredAt)
            .map((r) => r.local_timestamp),
        ),
      ].sort((x, y) => x - y);
      let gap = 0;
      for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
      expect(times.length, `${symbol}: book records from the cut`).toBeGreaterThan(20);
      expect(gap, `${symbol}: largest gap between book records during the cut`).toBeLessThan(INTERVAL + 900);
    }
  }, 120_000);
});
