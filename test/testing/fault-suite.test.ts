/**
 * The fault suite's own parts that its verdict rests on: the natural key computed from a
 * published record and from its table row (real chDB) are the same text, and the TCP
 * proxy really refuses, hangs and forwards.
 */
import { createServer, connect, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketRecord } from '../../src/core/model.js';
import { audit, readTables } from '../../src/testing/fault-suite/audit.js';
import { keyOfRecord, normalizeDecimal } from '../../src/storage/natural-key.js';
import { startTcpProxy } from '../../src/testing/fault-suite/proxy.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { contractRecords, sampleRecords } from '../helpers/records.js';
import { startHealthyStorage, storageEnv, type StorageEnv } from '../helpers/storage-env.js';
import { subjectOf } from '../../src/core/subjects.js';

describe('fault-suite natural keys', () => {
  let env: StorageEnv;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse' });
    stop = await startHealthyStorage(env);
  });
  afterAll(async () => {
    await stop?.();
    await env?.close();
  });

  it('are the same text from the record and from its row, for every data type', async () => {
    const liq = sampleRecords().find((r) => r.data_type === 'liquidation')!;
    // Trailing fractional zeros: ClickHouse prints the Decimal without them.
    const records: MarketRecord[] = [
      ...sampleRecords(),
      ...contractRecords(),
      { ...liq, price: '27150.0100', quantity: '1.500', quantity_raw: '1.500' } as MarketRecord,
    ];
    records.forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush()).toBe(true);
    const expected = records.map((r) => {
      const a = audit(subjectOf(r), JSON.stringify(r));
      expect(a).toEqual({ type: r.data_type, key: keyOfRecord(r.data_type, r as unknown as Record<string, unknown>) });
      return `${r.data_type}\t${(a as { key: string }).key}`;
    });
    const tables = await waitFor(
      'every record stored',
      async () => {
        const t = await readTables(env.chdb!, 'marketprism_hot');
        return t.raw.size === records.length ? t : undefined;
      },
      30_000,
      300,
    );
    expect([...tables.raw.keys()].sort()).toEqual([...expected].sort());
    expect([...tables.raw.values()].every((n) => n === 1)).toBe(true);
    expect([...tables.final.values()].reduce((a, b) => a + b, 0)).toBe(records.length);
  });

  it('audits a body that is not a record of its subject as bad, never as a key', () => {
    expect(audit('trade.binance.spot.BTC-USDT', '{"x"')).toEqual({ bad: 'unparseable' });
    expect(audit('orderbook.binance.spot.BTC-USDT', JSON.stringify(sampleRecords()[1]))).toEqual({ bad: 'not a record of its subject' });
    expect(normalizeDecimal('10.500')).toBe('10.5');
    expect(normalizeDecimal('10.000')).toBe('10');
    expect(normalizeDecimal('1000')).toBe('1000');
  });
});

describe('fault-suite TCP proxy', () => {
  let echo: Server;
  let echoPort: number;
  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    echoPort = await freePort();
    await new Promise<void>((r) => echo.listen(echoPort, '127.0.0.1', () => r()));
  });
  afterAll(() => new Promise<void>((r) => echo.close(() => r())));

  /** 'echoed', 'refused', or 'silent' (connected, no answer within 500 ms). */
  const probe = (port: number) =>
    new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      const t = setTimeout(() => (s.destroy(), resolve('silent')), 500);
      s.on('error', (e: NodeJS.ErrnoException) => (clearTimeout(t), resolve(e.code === 'ECONNREFUSED' ? 'refused' : e.code!)));
      s.on('connect', () => s.write('ping'));
      s.on('data', (d) => (clearTimeout(t), s.destroy(), resolve(d.toString() === 'ping' ? 'echoed' : d.toString())));
    });

  it('forwards, refuses when cut off, hangs as a black hole, and forwards again', async () => {
    const proxy = await startTcpProxy(await freePort(), echoPort);
    try {
      expect(await probe(proxy.port)).toBe('echoed');
      // A connection open at the cut is closed.
      const open = connect(proxy.port, '127.0.0.1');
      await new Promise((r) => open.once('connect', r));
      const closed = new Promise((r) => open.once('close', r));
      await proxy.cutOff();
      await closed;
      expect(await probe(proxy.port)).toBe('refused');
      await proxy.blackhole();
      expect(await probe(proxy.port)).toBe('silent');
      await proxy.restore();
      expect(await probe(proxy.port)).toBe('echoed');
    } finally {
      await proxy.close();
    }
  });
});
