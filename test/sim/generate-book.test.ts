import { describe, expect, it } from 'vitest';
import { SimBook } from '../../src/sim/generate/book.js';
import { instrumentSpec, SymbolMarket, withUpdatesPerStep } from '../../src/sim/generate/market.js';
import { Rng } from '../../src/sim/generate/rng.js';
import { startExchangeSim } from '../../src/sim/sim.js';

const scan = (levels: [number, number][], pick: (...n: number[]) => number) => pick(...levels.map(([p]) => p));

describe('SimBook', () => {
  it('answers the same best bid and ask as a scan of its levels, through updates, trades and trims', () => {
    const book = new SimBook(new Rng(3), { midTicks: 100_000, firstId: 1, idStep: [1, 1], maxLevels: 50 });
    for (let i = 0; i < 20_000; i++) {
      if (i % 7 === 0) book.trade(i % 2 ? 'buy' : 'sell');
      else book.mutate();
      if (i % 97 === 0) {
        const s = book.snapshot();
        expect(book.bestBid()).toBe(scan(s.bids, Math.max));
        expect(book.bestAsk()).toBe(scan(s.asks, Math.min));
        expect(s.bids.length).toBeLessThanOrEqual(50);
        expect(s.asks.length).toBeLessThanOrEqual(50);
        expect(book.bestBid()).toBeLessThan(book.bestAsk());
      }
    }
  });

  it('never has a price at or below zero, even for a cheap instrument with a deep book', () => {
    const book = new SimBook(new Rng(5), { midTicks: 100, firstId: 1, idStep: [1, 1], maxLevels: 400 });
    for (let i = 0; i < 5000; i++) {
      if (i % 5 === 0) expect(book.trade(i % 2 ? 'buy' : 'sell').price).toBeGreaterThan(0);
      else book.mutate();
      const push = book.flush();
      for (const c of [...(push?.bids ?? []), ...(push?.asks ?? [])]) expect(c.price).toBeGreaterThan(0);
    }
    const s = book.snapshot();
    expect(Math.min(...s.bids.map(([p]) => p))).toBeGreaterThan(0);
  });
});

describe('book updates per push', () => {
  const market = (updates?: readonly [number, number]) =>
    new SymbolMarket(new Rng(9), instrumentSpec('BTC', 1, 3), { firstId: 1, idStep: [1, 1], maxLevels: 400, ...(updates ? { updatesPerStep: updates } : {}) });
  const meanLevels = (m: SymbolMarket) => {
    let sum = 0;
    for (let i = 0; i < 1000; i++) {
      m.step(i);
      const p = m.flush()!;
      sum += p.bids.length + p.asks.length;
    }
    return sum / 1000;
  };

  it('default to 1-3 (2-3 levels a diff); 20-40 gives tens of levels', () => {
    expect(meanLevels(market())).toBeLessThan(4);
    const big = meanLevels(market([20, 40]));
    expect(big).toBeGreaterThan(20);
    expect(big).toBeLessThanOrEqual(40 + 4); // plus levels the 0-2 trades touched
  });

  it('reach the markets a feed builds through withUpdatesPerStep, and only while it runs', () => {
    const inside = withUpdatesPerStep([30, 30], () => market());
    expect(inside.updatesPerStep).toEqual([30, 30]);
    expect(market().updatesPerStep).toEqual([1, 3]);
    expect(() => withUpdatesPerStep([0, 3], () => market())).toThrow(/diffUpdates/);
    expect(() => withUpdatesPerStep([5, 2], () => market())).toThrow(/diffUpdates/);
  });

  it('are what a generated Binance USDⓈ-M diff carries when the simulator is started with diffUpdates', async () => {
    const sim = await startExchangeSim({ venue: 'binance-usdm', source: { generate: { seed: 1, ratePerSec: 50, bookLevels: 400, diffUpdates: [25, 35] } } });
    try {
      const { WebSocket } = await import('ws');
      const ws = new WebSocket(`${sim.wsUrl}/stream?streams=btcusdt@depth@0ms`);
      const sizes: number[] = [];
      await new Promise<void>((resolve, reject) => {
        ws.on('error', reject);
        ws.on('message', (d: Buffer) => {
          const m = JSON.parse(d.toString()) as { data?: { e?: string; b: unknown[]; a: unknown[] } };
          if (m.data?.e === 'depthUpdate') sizes.push(m.data.b.length + m.data.a.length);
          if (sizes.length >= 20) resolve();
        });
      });
      ws.close();
      const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
      expect(mean).toBeGreaterThan(20);
    } finally {
      await sim.stop();
    }
  });
});
