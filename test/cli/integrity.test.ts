/** `marketprism integrity` against a real nats-server and storage daemon (chDB embedded). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange, type IntegrityReport } from '../../src/cli/integrity.js';
import { cli } from '../helpers/cli.js';
import { testHost, trade, type TestHost } from './host.js';

const MIN = 60_000;
// Half an hour ago, on a minute boundary (buckets are minutes).
const BASE = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

describe('marketprism integrity', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await testHost();
    // Binance BTC-USDT: ids 1..60, one every 5 s over 5 minutes, id 30 never stored.
    const binance = Array.from({ length: 60 }, (_v, i) => i + 1)
      .filter((id) => id !== 30)
      .map((id) => trade('binance/spot', 'BTC-USDT', id, BASE + (id - 1) * 5000));
    // OKX ETH-USDT: sequential ids, but nothing in the third minute.
    const okx = [0, 1, 3, 4].flatMap((m, i) => [0, 1].map((k) => trade('okx/spot', 'ETH-USDT', 1 + i * 2 + k, BASE + m * MIN + k * 1000)));
    // Deribit's trade ids are not sequential: never a gap.
    const deribit = [trade('deribit/perpetual', 'BTC-USD', 1, BASE), trade('deribit/perpetual', 'BTC-USD', 9, BASE + 1000)];
    await host.store([...binance, ...okx, ...deribit], 'trades', 59 + 8 + 2);
  }, 60_000);
  afterAll(async () => host?.close());

  const integrity = async (...args: string[]) => {
    const r = await cli('integrity', '--config-dir', host.configDir, '--json', ...args);
    return { code: r.code, r: JSON.parse(r.out) as IntegrityReport, out: r.out };
  };

  it('a complete range: rows per table and venue, no problem, exit 0', async () => {
    // The first two minutes: Binance ids 1..24, OKX minutes 0 and 1.
    const { code, r, out } = await integrity('--from', iso(BASE), '--to', iso(BASE + 2 * MIN));
    expect(r.errors, out).toEqual([]);
    expect(r.problems).toEqual([]);
    expect(code).toBe(0);
    expect(r.rows.filter((x) => x.table === 'trades').sort((a, b) => a.venue.localeCompare(b.venue))).toEqual([
      { table: 'trades', venue: 'binance/spot', rows: 24 },
      { table: 'trades', venue: 'deribit/perpetual', rows: 2 },
      { table: 'trades', venue: 'okx/spot', rows: 4 },
    ]);
    // Storage's own counters since it started, from its /metrics.
    expect(r.counters.find((c) => c.module === 'storage' && c.labels.data_type === 'trade' && c.labels.outcome === 'stored')!.value).toBe(69);
  });

  it('finds the trade-id gap and the empty minute; exit 1', async () => {
    const { code, r } = await integrity('--from', iso(BASE), '--to', iso(BASE + 10 * MIN));
    expect(code).toBe(1);
    expect(r.trade_id_gaps).toEqual([{ venue: 'binance/spot', symbol: 'BTC-USDT', gaps: 1, missing: 1, examples: [['29', '31']] }]);
    expect(r.empty_buckets).toEqual([{ table: 'marketprism_hot.trades', venue: 'okx/spot', symbol: 'ETH-USDT', empty: 1, examples: [iso(BASE + 2 * MIN)] }]);
    expect(r.problems.map((p) => [p.kind, p.venue, p.symbol, p.count])).toEqual([
      ['trade_id_gap', 'binance/spot', 'BTC-USDT', 1],
      ['empty_buckets', 'okx/spot', 'ETH-USDT', 1],
    ]);
  });

  it('says so in words, and --since covers the last hour by default', async () => {
    const r = await cli('integrity', '--config-dir', host.configDir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('binance/spot BTC-USDT: 1 ids missing in 1 gaps (29 → 31)');
    expect(r.out).toContain(`marketprism_hot.trades okx/spot ETH-USDT: 1 (${iso(BASE + 2 * MIN)})`);
    expect(r.out).toContain('2 problem(s):');
    // By publish time the last hour holds every record the test published: each stored (id 30 was never published).
    expect(r.out).toMatch(/^ {2}trades +binance\/spot +59 +59 +0 +0$/m);
    expect(r.out).toMatch(/^ {2}trades +okx\/spot +8 +8 +0 +0$/m);
  });

  it('a bad range is an error naming the option', async () => {
    expect(() => parseRange({ from: 'yesterday' })).toThrow('--from: expected a time like 2026-12-01T16:00:00Z');
    expect(() => parseRange({ since: '1h', from: iso(BASE) })).toThrow('--since goes alone');
    expect(() => parseRange({ from: iso(BASE), to: iso(BASE - 1) })).toThrow('--to must be after --from');
    expect(parseRange({ since: '2h' }, 10 * 3600_000)).toEqual({ from_ms: 8 * 3600_000, to_ms: 10 * 3600_000 });
    expect(parseRange({ from: '2026-12-01 16:00' })).toMatchObject({ from_ms: Date.parse('2026-12-01T16:00:00Z') });
    const r = await cli('integrity', '--config-dir', host.configDir, '--bucket', '1500ms');
    expect(r).toMatchObject({ code: 1, out: expect.stringContaining('--bucket: expected whole seconds') });
  });
});
