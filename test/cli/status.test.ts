/** `marketprism status` against a real nats-server and storage daemon (chDB embedded). */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus, type HostStatus } from '../../src/cli/status.js';
import { cli } from '../helpers/cli.js';
import { testHost, trade, type TestHost } from './host.js';

describe('marketprism status', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await testHost();
  }, 60_000);
  afterAll(async () => host?.close());

  const status = async () => {
    const r = await cli('status', '--config-dir', host.configDir, '--json');
    return { code: r.code, s: JSON.parse(r.out) as HostStatus, out: r.out };
  };

  it('fresh data: every module healthy, streams and consumer lag, newest record per type × venue green, rows per minute; exit 0', async () => {
    const now = Date.now();
    await host.store(
      Array.from({ length: 30 }, (_v, i) => trade('binance/spot', 'BTC-USDT', 1000 + i, now - 10_000 + i)),
      'trades',
      30,
    );
    const { code, s, out } = await status();
    expect(s.errors, out).toEqual([]);
    expect(code).toBe(0);
    expect(s.state).toBe('green');
    // No systemd on this machine: said, not failed.
    expect(s.units.map((u) => [u.module, u.systemd])).toEqual([
      ['broker', false],
      ['storage', false],
    ]);
    expect(s.health.map((h) => [h.module, h.status])).toEqual([
      ['broker', 'healthy'],
      ['storage', 'healthy'],
    ]);
    const stream = s.jetstream!.streams.find((x) => x.name === 'MARKET_DATA')!;
    expect(stream.messages).toBeGreaterThan(0);
    const consumer = stream.consumers.find((c) => c.name === 'storage-hot-trade')!;
    expect(consumer).toMatchObject({ pending: 0, ack_pending: 0, state: 'green' });
    expect(s.freshness).toEqual([expect.objectContaining({ source: 'storage', data_type: 'trade', venue: 'binance/spot', threshold_s: 300, state: 'green' })]);
    expect(s.freshness[0]!.age_s).toBeLessThan(120);
    expect(s.rates.find((r) => r.table === 'marketprism_hot.trades')).toEqual({ module: 'storage', table: 'marketprism_hot.trades', rows_per_minute: 6 });
  });

  it('stale data: red, named, and exit 1; no colours into a pipe', async () => {
    const twoHoursAgo = Date.now() - 2 * 3600_000;
    await host.store([trade('okx/spot', 'BTC-USDT', 5, twoHoursAgo)], 'trades', 31);
    const { code, s } = await status();
    expect(code).toBe(1);
    expect(s.state).toBe('red');
    const okx = s.freshness.find((f) => f.venue === 'okx/spot')!;
    expect(okx).toMatchObject({ data_type: 'trade', state: 'red' });
    expect(okx.age_s).toBeGreaterThanOrEqual(7200);
    expect(s.freshness.find((f) => f.venue === 'binance/spot')!.state).toBe('green');

    const text = await cli('status', '--config-dir', host.configDir);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^marketprism status {2}\S+ {2}RED$/m);
    expect(text.out).toMatch(/storage +trade +okx\/spot +2h0\dm +5m0?0?s/);
    expect(text.out).toContain('no systemd');
    expect(text.out).not.toContain('\x1b[');
  });

  it('without a broker on the host: the stream and consumers over NATS, with the credentials of storage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-status-'));
    try {
      copyFileSync(host.env.configFile, join(dir, 'storage.yaml'));
      const r = await cli('status', '--config-dir', dir, '--json');
      const s = JSON.parse(r.out) as HostStatus;
      expect(s.units.map((u) => u.module)).toEqual(['storage']);
      expect(s.jetstream!.source).toBe(`${host.env.nats.url} (as anonymous)`);
      const stream = s.jetstream!.streams[0]!;
      // The same figure as nats-server's monitoring port gives.
      const viaMonitor = (await status()).s.jetstream!.streams.find((x) => x.name === 'MARKET_DATA')!;
      expect(viaMonitor.messages).toBeGreaterThan(0);
      expect(stream).toMatchObject({ name: 'MARKET_DATA', messages: viaMonitor.messages, bytes: viaMonitor.bytes });
      expect(stream.consumers.map((c) => c.name)).toContain('storage-hot-trade');
      expect(stream.consumers.find((c) => c.name === 'storage-hot-trade')).toMatchObject({ pending: 0, ack_pending: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a module that does not answer is red', async () => {
    await host.env.nats.stop('SIGTERM');
    try {
      const { code, s } = await status();
      expect(code).toBe(1);
      expect(s.health.find((h) => h.module === 'broker')!.status).toBe('unreachable');
      expect(s.jetstream!.state).toBe('red');
    } finally {
      await host.env.nats.start();
    }
  });
});

describe('marketprism status, a collector in a fleet', () => {
  it('says which member this is, the members it sees and the symbols it owns', () => {
    const s: HostStatus = {
      time: '2026-12-01T00:00:00.000Z',
      state: 'green',
      units: [],
      health: [],
      freshness: [],
      rates: [],
      fleet: { member: 'c2', members: ['c1', 'c2', 'c3'], owned: ['binance_spot:BTC-USDT', 'binance_spot:ETH-USDT'], standby: 1 },
      errors: [],
    };
    const text = formatStatus(s, false);
    expect(text).toContain('collector fleet: member c2, 3 members (c1, c2, c3)');
    expect(text).toContain('owns 2: binance_spot:BTC-USDT binance_spot:ETH-USDT; standby for 1');
  });
});
