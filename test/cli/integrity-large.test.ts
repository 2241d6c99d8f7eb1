/**
 * `marketprism integrity` over a range larger than one pull of the stream: 60,000 trades
 * published through the collector's publisher in about 120 multi-record messages (several
 * MiB), stored by the real storage daemon, read back in pulls of at most 100 messages.
 * (A pull bounded by bytes instead failed here: nats.js raises the server's 409 "Batch
 * Completed" of a filled `max_bytes` fetch as an error.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrityReport } from '../../src/cli/integrity.js';
import { cli } from '../helpers/cli.js';
import { testHost, trade, type TestHost } from './host.js';

const N = 60_000;

describe('marketprism integrity: a range of many pulls', () => {
  let host: TestHost;
  let from = 0;
  let to = 0;

  beforeAll(async () => {
    host = await testHost({ engine: 'clickhouse' });
    from = Date.now();
    await host.store(
      Array.from({ length: N }, (_v, i) => trade('binance/spot', 'BTC-USDT', i + 1, Date.now())),
      'trades',
      N,
    );
    to = Date.now() + 1;
  }, 120_000);

  afterAll(async () => {
    await host?.close();
  }, 60_000);

  it('every record of every message read and found stored, exit 0', async () => {
    const r = await cli('integrity', '--config-dir', host.configDir, '--json', '--from', new Date(from).toISOString(), '--to', new Date(to).toISOString());
    const report = JSON.parse(r.out) as IntegrityReport;
    expect(report.errors, r.out.slice(0, 2000)).toEqual([]);
    expect(report.acknowledged!.messages).toBeGreaterThan(100);
    expect(report.acknowledged!.records).toBe(N);
    expect(report.acknowledged!.partial).toEqual([]);
    expect(report.acknowledged!.tables).toMatchObject([{ table: 'trades', venue: 'binance/spot', acknowledged: N, stored: N, dead_lettered: 0, missing: 0 }]);
    expect(r.code).toBe(0);
  }, 120_000);
});
