/**
 * Polled REST data (long/short ratios, open interest): every period's row is kept after
 * missed polls, each row once, oldest first, the same whether live or replayed (both go
 * through the adapter), and every period is UTC-aligned on both venues.
 */
import { describe, expect, it } from 'vitest';
import { binanceLsrLimit, normalPeriod, okxPeriod } from '../../src/collector/periods.js';
import { pollTargets } from '../../src/collector/rest/pollers.js';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { adapterFor } from './context.js';

const FIVE_MIN = 300_000;
const T0 = 1_765_200_000_000; // a multiple of 5 minutes

function binanceRows(from: number, to: number): string {
  const rows = [];
  for (let t = from; t <= to; t += FIVE_MIN)
    rows.push({ symbol: 'BTCUSDT', longShortRatio: '1.5', longAccount: '0.6', shortAccount: '0.4', timestamp: String(t) });
  return JSON.stringify(rows);
}

function okxRows(from: number, to: number): string {
  const rows = [];
  for (let t = to; t >= from; t -= FIVE_MIN) rows.push([String(t), '1.25']); // newest first, as OKX lists them
  return JSON.stringify({ code: '0', msg: '', data: rows });
}

describe('polled rows', () => {
  it('Binance: a poll after missed ones brings back every bucket, each once, oldest first', () => {
    const { adapter } = adapterFor('binance-usdm');
    const url = 'https://fapi.binance.com/futures/data/globalLongShortAccountRatio?symbol=BTCUSDT&period=5m&limit=73';
    expect(adapter.restRecords(url, binanceRows(T0, T0 + FIVE_MIN))!.map((r) => r.timestamp)).toEqual([T0, T0 + FIVE_MIN]);
    // Three polls missed: the window overlaps the last one seen.
    const next = adapter.restRecords(url, binanceRows(T0, T0 + 5 * FIVE_MIN))!;
    expect(next.map((r) => r.timestamp)).toEqual([2, 3, 4, 5].map((k) => T0 + k * FIVE_MIN));
    expect(next.every((r) => r.data_type === 'lsr_all_account' && 'period' in r && r.period === '5m')).toBe(true);
    expect(adapter.restRecords(url, binanceRows(T0, T0 + 5 * FIVE_MIN))).toEqual([]);
  });

  it('OKX: the same, from newest-first rows, with the period normalized', () => {
    const { adapter } = adapterFor('okx');
    const url = 'https://www.okx.com/api/v5/rubik/stat/contracts/long-short-account-ratio-contract?instId=BTC-USDT-SWAP&period=5m';
    expect(adapter.restRecords(url, okxRows(T0, T0 + FIVE_MIN))!.map((r) => r.timestamp)).toEqual([T0, T0 + FIVE_MIN]);
    expect(adapter.restRecords(url, okxRows(T0, T0 + 4 * FIVE_MIN))!.map((r) => r.timestamp)).toEqual([2, 3, 4].map((k) => T0 + k * FIVE_MIN));
    const day = 'https://www.okx.com/api/v5/rubik/stat/contracts/long-short-account-ratio-contract?instId=BTC-USDT-SWAP&period=1Dutc';
    const [row] = adapter.restRecords(day, JSON.stringify({ code: '0', msg: '', data: [['1765152000000', '1.1']] }))!;
    expect(row).toMatchObject({ period: '1d', timestamp: 1765152000000 });
  });

  it('asks OKX for UTC-aligned bars from 6 hours up, and Binance for a 6-hour window', () => {
    expect(['5m', '1h', '4h', '6h', '12h', '1d'].map(okxPeriod)).toEqual(['5m', '1H', '4H', '6Hutc', '12Hutc', '1Dutc']);
    expect(['1Dutc', '1H', '5m'].map(normalPeriod)).toEqual(['1d', '1h', '5m']);
    expect(['5m', '15m', '1h', '1d'].map(binanceLsrLimit)).toEqual([73, 25, 7, 2]);
    const c = loadCollectorConfig('config/collector.yaml');
    const binance = pollTargets(c.venues.find((v) => v.name === 'binance_derivatives')!);
    expect(binance.find((t) => t.url.includes('globalLongShortAccountRatio'))!.url).toContain('period=5m&limit=73');
  });
});
