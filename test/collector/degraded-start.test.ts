/**
 * A peer that is down is a degraded state, not a failed start: the collector daemon
 * (spawned as systemd runs it, talking to a notify socket through the real sd-notify
 * addon) sends READY=1 with neither its venue nor NATS reachable, says so in STATUS=
 * and on /health, keeps feeding the watchdog, buffers what the venue sends while NATS
 * is still away, and publishes all of it once NATS comes up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitMessage } from '../../src/core/batch.js';
import type { MarketRecord } from '../../src/core/model.js';
import { connectNats, type NatsConnection } from '../../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../../src/core/streams.js';
import { startNatsServer, type TestNatsServer } from '../../src/testing/nats-server.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemons.js';
import { notifySocket, type NotifySocket } from '../helpers/notify-socket.js';
import { quietLog } from '../helpers/storage-env.js';
import { startFakeBinance, type FakeBinance } from './fake-binance.js';

interface Health {
  status: string;
  reasons: string[];
  retrying: boolean;
  feeds_connected: string;
  nats: { connected: boolean; buffered: number; dropped: number };
}

describe('collector started with its venue and NATS down', () => {
  let dir: string;
  let nats: TestNatsServer;
  let notify: NotifySocket;
  let collector: DaemonProcess;
  let fake: FakeBinance | undefined;
  let nc: NatsConnection | undefined;
  let venuePort: number;
  let healthPort: number;
  const health = async (): Promise<{ code: number; body: Health }> => {
    const res = await fetch(`http://127.0.0.1:${healthPort}/health`);
    return { code: res.status, body: (await res.json()) as Health };
  };

  beforeAll(async () => {
    // The stream exists (the broker made it earlier); then the broker goes away.
    nats = await startNatsServer();
    const setup = await connectNats({ servers: [nats.url], name: 'test' }, quietLog());
    await ensureStreams(setup, loadStreamSpecs('config/streams.yaml'));
    await setup.close();
    await nats.stop('SIGTERM');
    [venuePort, healthPort] = [await freePort(), await freePort()];
    dir = mkdtempSync(join(tmpdir(), 'mp-degraded-'));
    const file = join(dir, 'collector.yaml');
    writeFileSync(
      file,
      [
        'nats:',
        `  servers: ["${nats.url}"]`,
        `health: { host: 127.0.0.1, port: ${healthPort} }`,
        `metrics: { host: 127.0.0.1, port: ${await freePort()} }`,
        'orderbook: { depth: 10, publish_interval_ms: 100 }',
        'venues:',
        '  binance_spot:',
        '    symbols: [BTC-USDT]',
        `    ws_url: ws://127.0.0.1:${venuePort}`,
        `    rest_url: http://127.0.0.1:${venuePort}`,
        'log_level: info',
      ].join('\n'),
    );
    notify = await notifySocket();
    // WATCHDOG_USEC as systemd sets it for WatchdogSec=2: the daemon pings every second while alive.
    collector = spawnDaemon('collector', ['--config', file], { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '2000000' });
  });

  afterAll(async () => {
    await collector?.stop();
    await nc?.close();
    await fake?.close();
    await notify?.close();
    await nats?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is READY with no peer reachable, says degraded in STATUS= and on /health, and feeds the watchdog', async () => {
    const ready = await notify.waitFor(`READY=1 (output: ${collector.output().slice(-2000)})`, (m) => m.fields.READY === '1', 20_000);
    expect(collector.child.exitCode).toBeNull();
    // At READY the first NATS attempt may still be under way ("connecting"); once it failed, "unreachable, retrying".
    expect(ready.fields.STATUS ?? notify.statuses().at(-1)).toMatch(/^degraded: 0\/1 feeds connected, NATS (connecting|unreachable, retrying)/);
    await notify.waitFor('STATUS: NATS unreachable, retrying', (m) =>
      (m.fields.STATUS ?? '').startsWith('degraded: 0/1 feeds connected, NATS unreachable, retrying'),
    );
    const h = await health();
    expect(h.code).toBe(200);
    expect(h.body).toMatchObject({ status: 'degraded', retrying: true, feeds_connected: '0/1', nats: { connected: false } });
    expect(h.body.reasons).toContain('binance_spot: 0/1 feeds connected');
    expect(h.body.reasons.some((r) => /^NATS unreachable for \d+ s$/.test(r))).toBe(true);
    // Alive and retrying: the watchdog keeps being fed (several pings after READY, none missed for long).
    await waitFor('three watchdog pings after READY', () => notify.messages.filter((m) => m.fields.WATCHDOG === '1' && m.at >= ready.at).length >= 3, 10_000);
    const pings = notify.messages.filter((m) => m.fields.WATCHDOG === '1').map((m) => m.at);
    for (let i = 1; i < pings.length; i++) expect(pings[i]! - pings[i - 1]!).toBeLessThan(2);
  });

  it('buffers what the venue sends while NATS is away, then publishes it, nothing dropped', async () => {
    fake = await startFakeBinance({ port: venuePort });
    const buffering = await waitFor(
      'records buffered with the venue up and NATS down',
      async () => {
        const h = await health();
        return h.body.feeds_connected === '1/1' && h.body.nats.buffered > 20 ? h : undefined;
      },
      30_000,
    );
    expect(buffering.body.status).toBe('degraded');
    await notify.waitFor('STATUS with the feed up and NATS still away', (m) =>
      /^degraded: 1\/1 feeds connected, NATS unreachable, retrying; \d+ buffered/.test(m.fields.STATUS ?? ''),
    );
    const natsBackAt = Date.now();
    await nats.start();
    await waitFor(
      'collecting: everything connected',
      async () => {
        const h = await health();
        return h.body.status === 'healthy' && h.body.nats.buffered === 0 ? h : undefined;
      },
      30_000,
    );
    await notify.waitFor('STATUS collecting', (m) => (m.fields.STATUS ?? '').startsWith('collecting: 1/1 feeds connected, NATS connected'));
    expect((await health()).body.nats.dropped).toBe(0);
    // Records received while NATS was still down reached the stream: the buffer kept them, at
    // least as many as /health said were buffered then.
    nc = await connectNats({ servers: [nats.url], name: 'test' }, quietLog());
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('MARKET_DATA');
    expect(info.state.first_seq).toBe(1);
    // Records, several to a message for orderbooks and trades (core/batch.ts), in order per
    // subject only: every record in the stream is looked at, not only its first messages.
    let early = 0;
    for (let seq = 1; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('MARKET_DATA', { seq });
      const texts = splitMessage(m!.string(), m!.header);
      if (typeof texts === 'string') throw new Error(texts);
      for (const t of texts) if ((JSON.parse(t) as MarketRecord).local_timestamp < natsBackAt) early++;
    }
    expect(early).toBeGreaterThanOrEqual(buffering.body.nats.buffered);
    // No restart: the same process from start to end.
    expect(collector.child.exitCode).toBeNull();
  });
});
