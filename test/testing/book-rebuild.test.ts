/**
 * The multi-host run's independent book rebuild (src/testing/multihost/book-rebuild.ts)
 * against the real simulator: two rebuilds from different REST snapshots hold the same book
 * at every update id both reached (the simulator's snapshots fall inside a push window, so
 * none equals a diff's end exactly), and a gap in the diff chain is seen, not papered over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { BinanceBookRebuild, compareDecimal } from '../../src/testing/multihost/book-rebuild.js';
import { waitFor } from '../../src/testing/ports.js';

const DEPTH = 20;

describe('BinanceBookRebuild', () => {
  let sim: ExchangeSim;
  beforeAll(async () => {
    sim = await startExchangeSim({
      venue: 'binance-usdm',
      source: { generate: { seed: 5, symbols: ['BTC-USDT', 'ETH-USDT'], ratePerSec: 20, bookLevels: 60 } },
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('compares decimals exactly', () => {
    expect(compareDecimal('10.5', '9.75')).toBeGreaterThan(0);
    expect(compareDecimal('1.50', '1.5')).toBe(0);
    expect(compareDecimal('0.001', '0.01')).toBeLessThan(0);
    expect(compareDecimal('60000.1', '60000.10000000000000000001')).toBeLessThan(0);
  });

  it('two rebuilds from different snapshots agree at every update id both reached; a dropped diff is a break', async () => {
    const symbols = ['BTCUSDT', 'ETHUSDT'];
    const a = new BinanceBookRebuild(sim.wsUrl, sim.restUrl, symbols, DEPTH);
    const b = new BinanceBookRebuild(sim.wsUrl, sim.restUrl, symbols, DEPTH);
    try {
      await a.start();
      await new Promise((res) => setTimeout(res, 700));
      await b.start();
      await waitFor('both in sync', () => a.synced && b.synced, 10_000, 50);
      await new Promise((res) => setTimeout(res, 1500));
      for (const s of symbols) {
        const common = [...b.tops.get(s)!.keys()].filter((u) => a.tops.get(s)!.has(u));
        expect(common.length, s).toBeGreaterThan(10);
        // a began earlier: it also holds ids from before b's snapshot.
        expect(Math.min(...a.tops.get(s)!.keys())).toBeLessThan(Math.min(...common));
        for (const u of common) expect(b.tops.get(s)!.get(u), `${s}@${u}`).toBe(a.tops.get(s)!.get(u));
        const [bids, asks] = a.tops.get(s)!.get(common.at(-1)!)!.split('|');
        expect(bids!.split(',')).toHaveLength(DEPTH);
        expect(asks!.split(',')).toHaveLength(DEPTH);
        // Best bid below best ask, bids descending.
        const prices = bids!.split(',').map((l) => l.split(':')[0]!);
        for (let i = 1; i < prices.length; i++) expect(compareDecimal(prices[i - 1]!, prices[i]!)).toBeGreaterThan(0);
        expect(compareDecimal(prices[0]!, asks!.split(':')[0]!)).toBeLessThan(0);
      }
      expect([...a.breaks, ...b.breaks]).toEqual([]);

      sim.inject({ kind: 'drop-diff', topic: 'btcusdt@depth@100ms' });
      await waitFor('the gap seen', () => a.breaks.length > 0, 5000, 20);
      expect(a.breaks[0]).toMatch(/^BTCUSDT: pu \d+, the last u \d+$/);
      // It starts over from a new snapshot and is in sync again.
      await waitFor('in sync again', () => a.synced, 10_000, 50);
    } finally {
      a.stop();
      b.stop();
    }
  });
});
