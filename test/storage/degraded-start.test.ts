/**
 * A peer that is down is a degraded state, not a failed start: the storage daemon
 * (spawned as systemd runs it, talking to a notify socket through the real sd-notify
 * addon) sends READY=1 with neither ClickHouse nor NATS reachable, says which in
 * STATUS= and on /health, keeps feeding the watchdog, and stores everything once both
 * are back, the same process throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageStatus, storageStatusLine, type StorageState } from '../../src/storage/service.js';
import { waitFor } from '../../src/testing/ports.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemons.js';
import { notifySocket, type NotifySocket } from '../helpers/notify-socket.js';
import { trades } from '../helpers/records.js';
import { storageEnv, type StorageEnv } from '../helpers/storage-env.js';

interface Health {
  status: string;
  reasons: string[];
  retrying: boolean;
  phase: string;
  nats: { connected: boolean };
  clickhouse: { ok: boolean; error?: string };
}

const state = (over: Partial<StorageState> = {}): StorageState => ({
  phase: 'running',
  clickhouse: { ok: true },
  nats: { connected: true },
  consumers: { attached: 8, total: 8, failing: [] },
  lag: 0,
  ...over,
});

describe('storage status and health text', () => {
  it('is healthy when everything answers, degraded and retrying while a peer is away', () => {
    expect(storageStatus(state())).toEqual({ status: 'healthy', reasons: [], retrying: false });
    expect(storageStatusLine(state({ lag: 12 }), 'marketprism_hot', 'clickhouse')).toBe(
      'storing: 8/8 consumers, ClickHouse and NATS connected; lag 12 messages (marketprism_hot, clickhouse)',
    );
    const down = state({
      phase: 'starting',
      clickhouse: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:8123' },
      nats: { connected: false, error: 'CONNECTION_REFUSED' },
      consumers: { attached: 0, total: 8, failing: [] },
    });
    expect(storageStatus(down)).toEqual({
      status: 'degraded',
      reasons: ['ClickHouse unreachable (connect ECONNREFUSED 127.0.0.1:8123)', 'NATS unreachable (CONNECTION_REFUSED)'],
      retrying: true,
    });
    expect(storageStatusLine(down, 'marketprism_hot', 'clickhouse')).toBe(
      'degraded: ClickHouse unreachable (connect ECONNREFUSED 127.0.0.1:8123); NATS unreachable (CONNECTION_REFUSED), retrying',
    );
    const first = state({ phase: 'starting', clickhouse: { ok: false }, nats: { connected: false }, consumers: { attached: 0, total: 8, failing: [] } });
    expect(storageStatusLine(first, 'marketprism_hot', 'embedded')).toBe('degraded: ClickHouse: connecting; NATS: connecting');
    const noStream = state({ phase: 'starting', nats: { connected: true, error: 'stream MARKET_DATA: stream not found' } });
    expect(storageStatusLine(noStream, 'marketprism_hot', 'embedded')).toBe(
      'degraded: NATS: stream MARKET_DATA: stream not found; starting: 8/8 consumers attached, retrying',
    );
  });

  it('is failing only where an operator must act: a refused migration, a schema error on insert', () => {
    const refused = state({ phase: 'schema_error', schemaError: 'marketprism_hot: migration 1 checksum differs' });
    expect(storageStatus(refused)).toMatchObject({ status: 'failing', retrying: false });
    expect(storageStatusLine(refused, 'marketprism_hot', 'clickhouse')).toBe(
      'failing: schema error, storing nothing: marketprism_hot: migration 1 checksum differs',
    );
    const transient = state({ consumers: { attached: 8, total: 8, failing: [{ type: 'trade', reason: 'insert (transient): timeout', schema: false }] } });
    expect(storageStatus(transient)).toMatchObject({ status: 'degraded', retrying: true, reasons: ['trade: insert (transient): timeout'] });
    const schema = state({ consumers: { attached: 8, total: 8, failing: [{ type: 'trade', reason: 'insert (schema): UNKNOWN_TABLE', schema: true }] } });
    expect(storageStatus(schema)).toMatchObject({ status: 'failing', reasons: ['trade: insert (schema): UNKNOWN_TABLE'] });
  });
});

describe('storage started with ClickHouse and NATS down', () => {
  let env: StorageEnv;
  let notify: NotifySocket;
  let storage: DaemonProcess;
  const health = async (): Promise<{ code: number; body: Health }> => {
    const res = await fetch(`http://127.0.0.1:${env.healthPort}/health`);
    return { code: res.status, body: (await res.json()) as Health };
  };
  const count = async () => {
    const [r] = await env.chdb!.query<{ n: string }>('SELECT count() AS n FROM marketprism_hot.trades FINAL');
    return Number(r!.n);
  };

  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse' });
    await env.chdb!.pause();
    await env.nats.stop('SIGTERM');
    notify = await notifySocket();
    storage = spawnDaemon('storage', ['--config', env.configFile], { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '2000000' });
  });

  afterAll(async () => {
    await storage?.stop();
    await notify?.close();
    await env?.close();
  });

  it('is READY with neither reachable, degraded in STATUS= and on /health, and feeds the watchdog', async () => {
    const ready = await notify.waitFor(`READY=1 (output: ${storage.output().slice(-2000)})`, (m) => m.fields.READY === '1', 20_000);
    expect(ready.fields.STATUS ?? notify.statuses().at(-1)).toMatch(/^degraded: /);
    const h = await waitFor('both peers named on /health', async () => {
      const r = await health();
      return r.body.reasons.length === 2 ? r : undefined;
    });
    expect(h.code).toBe(200);
    expect(h.body).toMatchObject({ status: 'degraded', retrying: true, phase: 'starting', nats: { connected: false }, clickhouse: { ok: false } });
    expect(h.body.reasons[0]).toMatch(/^ClickHouse unreachable \(/);
    expect(h.body.reasons[1]).toMatch(/^NATS unreachable/);
    await notify.waitFor('STATUS naming both', (m) => /^degraded: ClickHouse unreachable \(.*\); NATS unreachable.*, retrying$/.test(m.fields.STATUS ?? ''));
    await waitFor('three watchdog pings after READY', () => notify.messages.filter((m) => m.fields.WATCHDOG === '1' && m.at >= ready.at).length >= 3, 10_000);
    expect(storage.child.exitCode).toBeNull();
  });

  it('attaches to NATS when it returns, still degraded on ClickHouse, then stores everything once ClickHouse is back', async () => {
    await env.nats.start();
    const natsOnly = await waitFor('NATS connected, ClickHouse still away', async () => {
      const r = await health();
      return r.body.nats.connected && !r.body.clickhouse.ok ? r : undefined;
    });
    expect(natsOnly.body.status).toBe('degraded');
    expect(natsOnly.body.reasons).toEqual([expect.stringMatching(/^ClickHouse unreachable/)]);
    trades(500, { idPrefix: 'degraded-' }).forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush(30_000)).toBe(true);
    await env.chdb!.resume();
    await waitFor('all 500 stored', async () => (await count()) === 500, 60_000);
    const ok = await waitFor('healthy', async () => {
      const r = await health();
      return r.body.status === 'healthy' ? r : undefined;
    });
    expect(ok.body.phase).toBe('running');
    await notify.waitFor('STATUS storing', (m) => (m.fields.STATUS ?? '').startsWith('storing: 8/8 consumers, ClickHouse and NATS connected'));
    expect(storage.child.exitCode).toBeNull();
  });
});
